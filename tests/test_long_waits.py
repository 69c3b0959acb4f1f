"""Long waits say what they do, and caches go where the results go (issue 15, item 3).

A network problem is imitated by ring2d under another name whose policy caches its reference (Problem(...,
cache_reference=True)): its reference is then solved, announced and cached exactly as the U-Net's is, in a second
instead of minutes."""
import os, shutil, subprocess, sys
from pathlib import Path
import pandas as pd
import pytest
import torch
from diffsolv import study
from diffsolv.testbeds import PROBLEMS, Problem, get_problem, reference_flow

ROOT = Path(__file__).resolve().parent.parent
NAME = 'ring2d_net'
PLUGIN = f'''from diffsolv.testbeds import register_problem, get_problem, Problem
def {NAME}():
    p = get_problem('ring2d')
    return Problem('{NAME}', p.denoiser, p.shape, p.schedule, data=p.data, reference_tol=1e-6, cache_reference=True)
register_problem('{NAME}', {NAME})
'''

def _net():
    p = get_problem('ring2d')
    return Problem(NAME, p.denoiser, p.shape, p.schedule, data=p.data, reference_tol=1e-6, cache_reference=True, fit_budget=dict(n_calib=4, maxfev=20))

@pytest.fixture
def net(monkeypatch):
    "A cached-reference problem, and no DIFFSOLV_CACHE from the caller's shell."
    monkeypatch.delenv('DIFFSOLV_CACHE', raising=False)
    monkeypatch.setitem(PROBLEMS, NAME, _net)
    return _net()

def repo_caches():
    "Every file in the repository's cache places."
    return {p for k in study.CACHE_PLACES for p in study.cache_dir(k).glob('*') if p.suffix != '.lock'}

def test_reference_solve_says_what_it_does(net, tmp_path, capsys):
    x = net.noise(6, 0)
    before = repo_caches()
    ref = study.reference_solution(net, x, 80., 0.002, 0, cache=tmp_path)
    err = capsys.readouterr().err
    files = list((tmp_path / 'refs').glob(f'{NAME}__*.pt'))
    assert len(files) == 1 and repo_caches() == before
    first = err.splitlines()[0]
    assert first == f"reference solve for {NAME}: 6 samples (seed 0), DOP853 rtol=atol=1e-06, sigma 80 -> 0.002; cached in {files[0].resolve()}", first
    assert 'reference solve: 100%' in err and 'evaluations' in err and 'log-sigma 10.60/10.60' in err, err
    assert torch.equal(ref, reference_flow(net.denoiser, x, 80., 0.002, rtol=1e-6, atol=1e-6))   # the bar changes no number
    assert torch.equal(study.reference_solution(net, x, 80., 0.002, 0, cache=tmp_path), ref)   # read from the cache: silent
    assert capsys.readouterr().err == ''

def test_reference_solve_is_quiet_when_asked(net, tmp_path, capsys):
    study.reference_solution(net, net.noise(3, 1), 80., 0.002, 1, cache=tmp_path, progress=False)
    assert capsys.readouterr().err == '' and len(list((tmp_path / 'refs').glob('*.pt'))) == 1

def test_shipped_references_are_read_not_copied(net, tmp_path, monkeypatch, capsys):
    "A run whose results go elsewhere still uses the references in the default place (results/refs) and copies nothing."
    shipped = tmp_path / 'shipped'
    monkeypatch.setitem(study.CACHE_PLACES, 'refs', str(shipped))   # an absolute path stands in for results/refs
    x = net.noise(4, 2)
    ref = study.reference_solution(net, x, 80., 0.002, 2, cache=tmp_path / 'a', progress=False)
    shipped.mkdir(); f, = (tmp_path / 'a' / 'refs').glob('*.pt'); shutil.move(f, shipped / f.name)
    assert torch.equal(study.reference_solution(net, x, 80., 0.002, 2, cache=tmp_path / 'b'), ref)
    assert capsys.readouterr().err == '' and not (tmp_path / 'b').exists()

@pytest.mark.parametrize('env', [False, True])
def test_caches_follow_the_results_dir(net, tmp_path, monkeypatch, env, capsys):
    "run_configs with results elsewhere: the reference and the fitted grid go to results_dir/cache (or $DIFFSOLV_CACHE), never into the repository."
    if env: monkeypatch.setenv('DIFFSOLV_CACHE', str(tmp_path / 'mycache'))
    root = tmp_path / 'mycache' if env else tmp_path / 'bench' / 'cache'
    before = repo_caches()
    cfg = dict(problem=NAME, solver='midpoint', grid='optimized', nfe=4, n_samples=4, seed=0, final_zero=False, options='{}')
    out, = study.run_configs([cfg], tmp_path / 'bench')
    row = pd.read_csv(out).iloc[0]
    assert row.status == 'ok', row.error
    assert out.parent == tmp_path / 'bench'
    assert len(list((root / 'grids').glob(f'{NAME}__midpoint__nfe4__*.csv'))) == 1
    assert len(list((root / 'refs').glob(f'{NAME}__*.pt'))) >= 2   # the calibration reference of the fit and the run's own
    assert repo_caches() == before
    assert f'reference solve for {NAME}' in capsys.readouterr().err

def test_default_layout_is_unchanged(monkeypatch):
    "With the default results folder the caches stay where the committed ones are."
    monkeypatch.delenv('DIFFSOLV_CACHE', raising=False)
    root = study.cache_root('results/bench')
    assert root is None
    assert study.cache_dir('refs', root) == ROOT / 'results' / 'refs' and study.cache_dir('grids', root) == ROOT / 'results' / 'grids'
    assert study.cache_dir('features', root) == ROOT / '.cache' / 'features'
    assert list((ROOT / 'results' / 'refs').glob('mnist_unet__*.pt'))   # the shipped references are where the study looks

def test_kernel_notes_pass_only_the_announcement():
    shown = []
    notes = study.KernelNotes(shown.append)
    for chunk in ['wrote 3 files\nreference solve for mnist_unet: 32 samples', ' (seed 4), DOP853; cached in x.pt\nreference solve:   3%|',
                  '| log-sigma 0.30/10.60\rreference solve:  10%|', '\n']:
        notes.write(chunk)
    assert shown == ['reference solve for mnist_unet: 32 samples (seed 4), DOP853; cached in x.pt']
    notes.every = 0   # the kernel's bar comes through at most every `every` seconds
    notes.write('reference solve:  42%|####  | log-sigma 4.45/10.60 [01:10<01:37, 812 evaluations]\r')
    assert shown[-1] == 'reference solve:  42%|####  | log-sigma 4.45/10.60 [01:10<01:37, 812 evaluations]'

def test_a_sweep_announces_a_reference_solve(tmp_path):
    "diffsolv-sweep shows the kernel's announcement of an uncached reference solve (a long wait is never silent); its caches follow --results-dir."
    (tmp_path / 'netplugin.py').write_text(PLUGIN)
    grid = tmp_path / 'g.yml'
    grid.write_text(f"- {{problem: {NAME}, solver: euler, grid: karras, nfe: 4, n_samples: 4}}\n")
    env = {**os.environ, 'DIFFSOLV_PLUGINS': 'netplugin', 'PYTHONPATH': os.pathsep.join(filter(None, [str(tmp_path), os.environ.get('PYTHONPATH')]))}
    env.pop('DIFFSOLV_CACHE', None)
    before = repo_caches()
    r = subprocess.run([str(Path(sys.executable).parent / 'diffsolv-sweep'), str(grid), '--results-dir', str(tmp_path / 'res'),
                        '--executed-dir', str(tmp_path / 'runs'), '--workers', '1'], cwd=ROOT, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert f'reference solve for {NAME}: 4 samples (seed 0)' in r.stderr, r.stderr
    assert len(list((tmp_path / 'res' / 'cache' / 'refs').glob(f'{NAME}__*.pt'))) == 1 and repo_caches() == before

def test_diffsolv_cache_applies_to_direct_calls(net, tmp_path, monkeypatch):
    "bench_run called as a function (no results folder) also writes its caches under $DIFFSOLV_CACHE."
    monkeypatch.setenv('DIFFSOLV_CACHE', str(tmp_path))
    before = repo_caches()
    assert study.bench_run(NAME, 'euler', 4, 'karras', n_samples=3, seed=5, progress=False)['status'] == 'ok'
    assert len(list((tmp_path / 'refs').glob(f'{NAME}__*.pt'))) == 1 and repo_caches() == before

def test_readme_says_where_files_go():
    readme = (ROOT / 'README.md').read_text()
    part = readme[readme.index('## Where files go'):readme.index('## Your own model')]
    for words in ('DIFFSOLV_CACHE', '`cache/` inside that results folder', 'results/refs/', '.cache/features/', 'progress bar'):
        assert words in part, words
