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

def run_python(code:str):
    "Run `code` in a fresh interpreter (nothing imported yet) and fail with its stderr if it fails."
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]

def test_without_peers_nothing_registered():
    "With neither peer importable, diffsolv.peers imports and offers no solver, and asking for a peer says how to install it."
    code = ("import sys; sys.modules['k_diffusion'] = sys.modules['diffusers'] = None\n"
            "import diffsolv.peers as P, diffsolv.solvers as S\n"
            "assert P.peer_solvers() == [] and not any(':' in n for n in S.SOLVERS), S.SOLVERS\n"
            "try: P.load_k()\nexcept ModuleNotFoundError as e: assert 'pip install' in str(e)\nelse: raise SystemExit('no error')\n"
            "try: S.get_solver('k:euler')\nexcept ValueError as e: assert 'is a peer that is not installed' in str(e) and 'pip install' in str(e), e\n"
            "else: raise SystemExit('no error')\n"
            "assert not any(':' in n for n in S.SOLVERS)\n")
    run_python(code)

@needs_k
@needs_d
def test_peers_from_the_registry_alone():
    "get_solver('k:...') and sample(..., 'd:...') work from anywhere: the registry loads the peers, no import of diffsolv.peers needed."
    code = ("import sys, torch\n"
            "from diffsolv.solvers import get_solver, sample, SOLVERS\n"
            "assert 'diffsolv.peers' not in sys.modules and not any(':' in n for n in SOLVERS)\n"
            "assert get_solver('k:euler').kind == 'peer' and get_solver('d:heun').nfe_per_step == 2\n"
            "assert 'diffsolv.peers' in sys.modules and 'k:lms' in SOLVERS\n")
    run_python(code)

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

def _gauss_denoiser(mu=0.5, c=0.5):
    "The exact denoiser of N(mu, c^2) per coordinate, on whatever device x lives."
    def den(x, s):
        s = s.reshape(-1, *[1] * (x.ndim - 1))
        return mu + (x - mu) * c * c / (c * c + s * s)
    return den

@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
def test_cuda_equals_cpu():
    "Every solver (peers included where installed) on a CUDA state gives the CPU's result to rounding, with the same NFE; a sample depends on its seed, not on the device."
    from diffsolv.solvers import SOLVERS, get_solver, PerSampleGenerators
    names = [n for n in SOLVERS if ':' not in n]
    if importlib.util.find_spec('k_diffusion'): names += ['k:euler', 'k:heun', 'k:dpmpp_2m', 'k:euler_ancestral']
    den, sig = _gauss_denoiser(), append_zero(torch.tensor([80., 20., 5., 1., .3, .05], dtype=torch.float64))
    x = torch.randn(8, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 80
    for name in names:
        s = sig[:-1] if name.startswith('k:dpm_adaptive') else sig
        gen = lambda: PerSampleGenerators(range(8)) if get_solver(name).needs_generator else None
        a, ia = sample(den, x, s, name, generator=gen(), return_info=True)
        b, ib = sample(den, x.cuda(), s, name, generator=gen(), return_info=True)
        assert b.device.type == 'cuda' and ia['nfe'] == ib['nfe'], name
        assert (a - b.cpu()).abs().max() < 1e-9, (name, (a - b.cpu()).abs().max())
    for ours, theirs in (('euler', 'k:euler'), ('heun', 'k:heun')) if importlib.util.find_spec('k_diffusion') else ():
        assert (sample(den, x.cuda(), sig, ours) - sample(den, x.cuda(), sig, theirs)).abs().max() < 1e-12
