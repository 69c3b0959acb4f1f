"Where the solvers run (`device`): a run parameter, not part of a configuration. CPU checks here; the GPU checks run where CUDA exists."
import pytest
import torch
import pandas as pd
from diffsolv.bench import RunConfig, bench_run
from diffsolv.gridopt import grid_cache_path, optimize_grid, optimized_grid
from diffsolv.io import resolve_device
from diffsolv.metrics import NOISE_SEED_OFFSET
from diffsolv.schedules import get_grid
from diffsolv.solvers import PerSampleGenerators, get_solver, sample
from diffsolv.testbeds import get_problem

TIMING = ('wall_s', 'wall_per_nfe', 'ref_wall_s')
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason='checks the error where CUDA is absent')

def untimed(row): return {k: v for k, v in row.items() if k not in TIMING}

@pytest.mark.parametrize('solver', ['heun', 'ddpm'])
def test_cpu_device_is_the_default_run(solver):
    "bench_run(device='cpu') gives the row of bench_run() exactly (apart from wall times), a stochastic solver included."
    kw = dict(problem='ring2d', solver=solver, nfe=6, n_samples=8, progress=False)
    a, b = bench_run(**kw), bench_run(**kw, device='cpu')
    assert untimed(a) == untimed(b) and b['device'] == 'cpu'

def test_result_names_do_not_depend_on_the_device():
    "Committed result names and hashes are unchanged: the device is not part of RunConfig."
    names = [(RunConfig().file_name, RunConfig().row_hash),
             (RunConfig('gmm64', 'ab2', 'quadratic_t', 10).file_name, None),
             (RunConfig('ring2d', 'ddim', 'karras', 4, 4, 0, False, {'eta': 0.5}).file_name, None),
             (RunConfig('gauss4', 'heun', 'optimized', 20, 64, 3).file_name, None)]
    assert names == [('ring2d__euler__karras__nfe10__d707dca251.csv', 'bc25887890'), ('gmm64__ab2__quadratic_t__nfe10__cc9c093c38.csv', None),
                     ('ring2d__ddim__karras__nfe4__3927b8fd82.csv', None), ('gauss4__heun__optimized__nfe20__762d216534.csv', None)]
    assert 'device' not in RunConfig().columns()

@pytest.mark.parametrize('device,message', [('gpu', "device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got 'gpu'; available devices: cpu"),
                                            ('cuda:99', 'available devices: cpu')])
def test_a_bad_device_is_refused_naming_the_devices(device, message):
    with pytest.raises(ValueError, match='available devices: cpu') as e: bench_run(device=device, n_samples=2)
    assert message in str(e.value)

@no_cuda
def test_cuda_without_cuda_fails_fast():
    with pytest.raises(ValueError) as e: bench_run(device='cuda', n_samples=2)
    assert "device 'cuda' was asked for, but CUDA is not available here; available devices: cpu" in str(e.value)
    with pytest.raises(ValueError, match='available devices: cpu'): get_problem('ring2d', device='cuda')

def test_grid_fit_takes_the_device():
    "optimize_grid(device='cpu') is the fit it always was; a bad device is refused with the benchmark's message, even for a cached fit."
    kw = dict(n_calib=8, maxfev=40)
    a, b = optimize_grid('ring2d', 'heun', 6, **kw), optimize_grid('ring2d', 'heun', 6, **kw, device='cpu')
    assert torch.equal(a['sigmas'], b['sigmas']) and a['calib_loss'] == b['calib_loss'] and b['device'] == 'cpu'
    with pytest.raises(ValueError, match="got 'gpu'; available devices: cpu"): optimized_grid('ring2d', 'euler', 5, device='gpu')   # committed fit
    with pytest.raises(ValueError, match="device 'cuda:99' was asked for, but"): optimize_grid('ring2d', 'heun', 6, device='cuda:99')

def test_closed_forms_are_float64_on_the_cpu():
    for name in ('ring2d', 'gmm64', 'gauss4', 'images_ideal'):
        p = get_problem(name, device='cpu')
        x = p.noise(3, 0)
        assert p.device == torch.device('cpu') and x.dtype == torch.float64 and p.denoiser(x, 1.).dtype == torch.float64

# --- where CUDA exists -------------------------------------------------------------------------------------------

def _samples(p, solver, dev, n=6, seed=0, nfe=8):
    x = p.noise(n, seed)
    sig = get_grid('karras', 4 if solver == 'heun' else nfe, p.schedule)
    gen = PerSampleGenerators(range(NOISE_SEED_OFFSET + seed, NOISE_SEED_OFFSET + seed + n)) if get_solver(solver).stochastic else None
    return sample(p.denoiser, x.to(dev), sig, solver, generator=gen)

@cuda
@pytest.mark.parametrize('name', ['ring2d', 'gmm64', 'gauss4', 'images_ideal'])
@pytest.mark.parametrize('solver', ['heun', 'dpmpp_2m', 'dp54', 'ddpm', 'euler_churn'])
def test_same_seeds_same_samples_on_cpu_and_gpu(name, solver):
    "Noise drawn on the CPU from the seeds: the GPU gives the CPU's samples, to float64 rounding."
    cpu, gpu = _samples(get_problem(name), solver, 'cpu'), _samples(get_problem(name, device='cuda'), solver, 'cuda')
    assert gpu.device.type == 'cuda' and gpu.dtype == torch.float64
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-9, atol=1e-9)

@cuda
@pytest.mark.parametrize('name', ['ring2d', 'gmm64', 'gauss4', 'images_ideal'])
def test_exact_score_testbeds_stay_float64_on_the_gpu(name):
    p, q = get_problem(name, device='cuda'), get_problem(name)
    x, s = q.noise(4, 1), torch.full((4,), 0.5, dtype=torch.float64)
    out = p.denoiser(x.cuda(), s.cuda())
    assert out.dtype == torch.float64 and out.device.type == 'cuda'
    assert all(t.dtype == torch.float64 and t.device.type == 'cuda' for t in p.denoiser._on(torch.device('cuda', torch.cuda.current_device())))
    torch.testing.assert_close(out.cpu(), q.denoiser(x, s), rtol=1e-12, atol=1e-12)
    if q.data is not None: torch.testing.assert_close(q.data.log_prob(x.cuda(), 0.5).cpu(), q.data.log_prob(x, 0.5), rtol=1e-12, atol=1e-12)

@cuda
@pytest.mark.parametrize('solver', ['rk4', 'ddpm'])
def test_bench_run_on_the_gpu_matches_the_cpu(solver):
    kw = dict(problem='gmm64', solver=solver, nfe=8, n_samples=16, progress=False)
    c, g = bench_run(**kw), bench_run(**kw, device='cuda')
    assert g['device'] == str(resolve_device('cuda')) and g['config_hash'] == c['config_hash']
    for k in ('err_mean', 'err_median', 'err_max', 'swd', 'nll', 'sigma_max', 'sigma_min'): assert g[k] == pytest.approx(c[k], rel=1e-8, abs=1e-12), k
    assert g['nfe'] == c['nfe'] and g['unstable'] == c['unstable']

@cuda
@pytest.mark.parametrize('name,solver,nfe', [('ring2d', 'heun', 8), ('gmm64', 'rk4', 8), ('images_ideal', 'euler', 5)])
def test_grid_fit_on_the_gpu_matches_the_cpu(name, solver, nfe, tmp_path):
    """The grid fitted with the solver on the GPU is the CPU's fit to float tolerance; its cache file is the same for both devices.
    Configurations whose Powell path is stable: a relative perturbation of 4e-15 in every loss (rounding, emulated on the CPU)
    moved these fits by at most 7e-11; some others (gmm64/dpmpp_2m at 5 NFE: 59%) are not, see 03_gridopt."""
    kw = dict(n_calib=16, maxfev=200)
    c, g = optimize_grid(name, solver, nfe, **kw), optimize_grid(name, solver, nfe, **kw, device='cuda')
    assert g['device'] == str(resolve_device('cuda')) and g['sigmas'].device.type == 'cpu' and g['sigmas'].dtype == torch.float64
    torch.testing.assert_close(g['sigmas'], c['sigmas'], rtol=1e-7, atol=0)
    assert g['calib_loss'] == pytest.approx(c['calib_loss'], rel=1e-7) and g['calib_loss_init'] == pytest.approx(c['calib_loss_init'], rel=1e-9)
    fitted = optimized_grid(name, solver, nfe, cache_dir=tmp_path, device='cuda', **kw)
    assert [q.name for q in tmp_path.glob('*.csv')] == [grid_cache_path(tmp_path, name, solver, nfe).name]
    assert torch.equal(optimized_grid(name, solver, nfe, cache_dir=tmp_path, device='cpu', **kw), fitted)   # the CPU reads the GPU's fit

@cuda
def test_bench_optimized_grid_fits_on_the_run_device(tmp_path):
    "bench_run(grid='optimized', device='cuda') fits its grid on the GPU (recorded in the grid file) and matches the CPU run."
    kw = dict(problem='gmm64', solver='rk4', nfe=8, grid='optimized', n_samples=16, progress=False)
    c, g = bench_run(**kw, cache=tmp_path / 'cpu'), bench_run(**kw, cache=tmp_path / 'gpu', device='cuda')
    fc, fg = (pd.read_csv(next((tmp_path / d / 'grids').glob('*.csv'))) for d in ('cpu', 'gpu'))
    assert fc.device.unique().tolist() == ['cpu'] and fg.device.unique().tolist() == [str(resolve_device('cuda'))]
    assert fg.sigma.values == pytest.approx(fc.sigma.values, rel=1e-7)
    for k in ('err_mean', 'err_max', 'sigma_max', 'sigma_min'): assert g[k] == pytest.approx(c[k], rel=1e-6), k
