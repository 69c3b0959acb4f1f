"""Peers (k-diffusion, diffusers) under diffsolv solver names: skipped with a reason when the `peers` extra is missing."""
import importlib.util, os, subprocess, sys
import pytest, torch

os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ.setdefault('HF_HUB_DISABLE_TELEMETRY', '1')

from diffsolv.schedules import get_grid, append_zero
from diffsolv.solvers import sample, SOLVERS
from diffsolv.testbeds import get_problem

HINT = "peers extra not installed (pip install -e '.[peers]' && pip install --no-deps k-diffusion==0.1.1.post1, or make peers)"
needs_k = pytest.mark.skipif(importlib.util.find_spec('k_diffusion') is None, reason=HINT)
needs_d = pytest.mark.skipif(importlib.util.find_spec('diffusers') is None, reason=HINT)

def test_without_peers_nothing_registered():
    "With neither peer importable, diffsolv.peers imports, registers nothing, and says how to install."
    code = ("import sys; sys.modules['k_diffusion'] = sys.modules['diffusers'] = None\n"
            "import diffsolv.peers as P\n"
            "assert P.PEER_SOLVERS == [] and not any(':' in n for n in P.SOLVERS), P.PEER_SOLVERS\n"
            "try: P.load_k()\nexcept ModuleNotFoundError as e: assert 'pip install' in str(e)\nelse: raise SystemExit('no error')\n")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]

@pytest.fixture(scope='module')
def peers():
    import diffsolv.peers as P
    return P

@pytest.fixture(scope='module')
def ring():
    p = get_problem('ring2d')
    return p, p.noise(16, seed=3)

@needs_k
def test_k_package_init_not_run(peers):
    peers.load_k()
    assert 'k_diffusion' not in sys.modules

@needs_k
@pytest.mark.parametrize('ours,theirs', [('euler', 'k:euler'), ('heun', 'k:heun')])
@pytest.mark.parametrize('zero', [False, True])
def test_k_equivalence(peers, ring, ours, theirs, zero):
    p, x = ring
    sig = get_grid('karras', 8, p.schedule)
    sig = append_zero(sig) if zero else sig
    (a, ia), (b, ib) = sample(p.denoiser, x, sig, ours, return_info=True), sample(p.denoiser, x, sig, theirs, return_info=True)
    assert ia['nfe'] == ib['nfe'] and (a - b).abs().max() < 1e-12

@needs_k
def test_dpmpp_2m_equivalence(peers, ring):
    p, x = ring
    sig = get_grid('logsnr', 12, p.schedule)
    k = sample(p.denoiser, x, sig, 'k:dpmpp_2m')
    if 'dpmpp_2m' in SOLVERS: assert (sample(p.denoiser, x, sig, 'dpmpp_2m') - k).abs().max() < 1e-12
    if 'd:dpmsolver++2m' in SOLVERS:
        d = sample(p.denoiser, x, sig, 'd:dpmsolver++2m', config={'lower_order_final': False})
        assert (d - k).abs().max() < 1e-5   # diffusers' step runs in float32

@needs_d
@pytest.mark.parametrize('ours,theirs,tol', [('ddim', 'd:ddim', 1e-12), ('heun', 'd:heun', 1e-12), ('euler', 'd:euler', 1e-5)])
def test_diffusers_equivalence_on_grid(peers, ring, ours, theirs, tol):
    p, x = ring
    for sig in (get_grid('karras', 7, p.schedule), append_zero(get_grid('uniform_t', 5, p.schedule))):
        (a, ia), (b, ib) = sample(p.denoiser, x, sig, ours, return_info=True), sample(p.denoiser, x, sig, theirs, return_info=True)
        assert ia['nfe'] == ib['nfe'] and (a - b).abs().max() < tol

@needs_d
@pytest.mark.parametrize('order', [1, 2, 3])
def test_unipc_equals_diffusers(peers, order):
    "diffsolv's own UniPC (predictor + corrector, bh2, lower order on the last step) is diffusers' UniPCMultistepScheduler."
    p = get_problem('gmm64'); x = p.noise(8, seed=1)
    for sig in (get_grid('karras', 10, p.schedule), get_grid('logsnr', 6, p.schedule)):
        (a, ia) = sample(p.denoiser, x, sig, 'unipc', order=order, return_info=True)
        (b, ib) = sample(p.denoiser, x, sig, 'd:unipc', config=dict(solver_order=order), return_info=True)
        assert ia['nfe'] == ib['nfe'] == len(sig) - 1 and (a - b).abs().max() < 1e-12

@needs_k
@needs_d
def test_bench_runs_peer_rows(peers):
    from diffsolv.study import bench_run
    for solver in ('k:dpmpp_2m', 'd:unipc'):
        row = bench_run('ring2d', solver, nfe=6, n_samples=4)
        assert row['nfe'] == 6 and not row['diverged'] and row['err_mean'] < 1

@needs_d
def test_unet2d_from_folder(peers, tmp_path):
    import diffusers
    torch.manual_seed(0)
    unet = diffusers.UNet2DModel(sample_size=8, in_channels=1, out_channels=1, layers_per_block=1, block_out_channels=(8, 16), norm_num_groups=4,
                                 down_block_types=('DownBlock2D', 'DownBlock2D'), up_block_types=('UpBlock2D', 'UpBlock2D'))
    unet.save_pretrained(tmp_path / 'm')
    den = peers.load_diffusers_unet(tmp_path / 'm')
    sig = get_grid('karras', 3, den.schedule)
    x = torch.randn(2, 1, 8, 8, dtype=torch.float64) * sig[0]
    out, info = sample(den, x, sig, 'd:dpmsolver++2m', return_info=True)
    assert out.shape == x.shape and info['nfe'] == 3 and torch.isfinite(out).all()
    with pytest.raises(FileNotFoundError, match='save_pretrained'): peers.load_diffusers_unet(tmp_path / 'missing')
