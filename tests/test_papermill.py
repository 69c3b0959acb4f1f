"bench.ipynb through papermill, as the design card writes it: from notebooks/ and from the repository root."
import subprocess, sys, shutil
from pathlib import Path
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
PAPERMILL = str(Path(sys.executable).parent / 'papermill')

def run(cwd, nb, out, *params):
    args = [PAPERMILL, '-k', 'python3', '--no-progress-bar', nb, str(out)]
    for k, v in params: args += ['-p', k, v]
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True)

@pytest.fixture
def outdir():
    d = ROOT / '_test' / 'pytest_results'
    shutil.rmtree(d, ignore_errors=True)
    yield d
    shutil.rmtree(d, ignore_errors=True)

@pytest.mark.parametrize('cwd,nb', [(ROOT / 'notebooks', 'bench.ipynb'), (ROOT, 'notebooks/bench.ipynb')])
def test_results_land_in_repo_whatever_the_cwd(cwd, nb, outdir, tmp_path):
    r = run(cwd, nb, tmp_path / 'out.ipynb', ('solver', 'heun'), ('n_samples', '4'), ('results_dir', '_test/pytest_results'))
    assert r.returncode == 0, r.stderr[-2000:]
    files = list(outdir.glob('*.csv'))
    assert len(files) == 1 and not list(outdir.glob('*.tmp'))
    row = pd.read_csv(files[0]).iloc[0]
    assert row.solver == 'heun' and row.nfe == 10 and row.status == 'ok' and row.err_mean > 0

def test_unknown_solver_lists_the_choices(tmp_path, outdir):
    r = run(ROOT, 'notebooks/bench.ipynb', tmp_path / 'out.ipynb', ('solver', 'rk5'), ('results_dir', '_test/pytest_results'))
    assert r.returncode != 0
    assert "unknown solver 'rk5'; available: " in r.stdout + r.stderr and 'euler' in r.stdout + r.stderr
    assert not outdir.exists() or not list(outdir.iterdir())

def test_bad_options_are_refused(tmp_path, outdir):
    r = run(ROOT, 'notebooks/bench.ipynb', tmp_path / 'out.ipynb', ('options', '[1, 2]'), ('results_dir', '_test/pytest_results'))
    assert r.returncode != 0 and 'options must be a JSON object' in r.stdout + r.stderr

def test_sweep_runs_chunks_records_failures_and_resumes(tmp_path):
    "diffsolv-sweep: chunks of configurations per papermill run, one file each, a failure is a row (and exit status 1), a re-run skips what is done."
    grid = tmp_path / 'g.yml'
    grid.write_text("- {problem: ring2d, solver: [euler, heun], grid: karras, nfe: 4, n_samples: 4}\n"
                    "- {problem: ring2d, solver: ddim, grid: karras, nfe: 4, n_samples: 4, options: {eta: 2.0}}\n")
    res, exe = tmp_path / 'res', tmp_path / 'runs'
    sweep = [str(Path(sys.executable).parent / 'diffsolv-sweep'), str(grid), '--results-dir', str(res), '--executed-dir', str(exe), '--chunk', '2']
    r = subprocess.run(sweep, cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 1, r.stderr[-2000:]
    assert '3 to run in 2 papermill executions' in r.stdout, r.stdout
    assert '1 of 3 runs failed' in r.stderr and 'ring2d__ddim__karras__nfe4__' in r.stderr and '[0, 1]' in r.stderr, r.stderr
    rows = pd.concat([pd.read_csv(f) for f in res.glob('*.csv')])
    assert sorted(rows.status) == ['failed', 'ok', 'ok'] and '[0, 1]' in rows[rows.status == 'failed'].error.iloc[0]
    assert len(list(exe.glob('*.ipynb'))) == 2 and not list(res.glob('*.tmp'))
    r2 = subprocess.run(sweep, cwd=ROOT, capture_output=True, text=True)   # finished runs are skipped, the failed one is retried
    assert '2 already done, 1 to run' in r2.stdout and r2.returncode == 1, r2.stdout
    bad = subprocess.run(sweep + ['--chunk', '0'], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and 'chunk must be an integer >= 1, got 0' in bad.stderr, bad.stderr

def test_sweep_refuses_a_typo_before_any_run(tmp_path):
    "A misspelt key stops the sweep at once (exit 2), naming the file, the key and the allowed ones; nothing is run."
    grid = tmp_path / 'typo.yml'
    grid.write_text("- {problem: ring2d, solver: euler, grid: karras, nfe: 4, n_sample: 4}\n")
    r = subprocess.run([str(Path(sys.executable).parent / 'diffsolv-sweep'), str(grid), '--results-dir', str(tmp_path / 'res')], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2 and "unknown key 'n_sample' (did you mean 'n_samples'?)" in r.stderr and 'typo.yml' in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / 'res').exists()
    grid.write_text("- problem: ring2d\n  solver: [euler\n")
    r = subprocess.run([str(Path(sys.executable).parent / 'diffsolv-sweep'), str(grid)], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2 and 'typo.yml, line ' in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr

@pytest.mark.parametrize('params,message', [
    ((('solvr', 'rk4'),), "bench.ipynb has no parameter 'solvr' (did you mean 'solver'?)"),
    ((('solver', 'rk4'), ('nfe', '2')), "nfe=2 is less than one step of 'rk4', which costs 4 NFE; use nfe >= 4"),
    ((('solver', 'ddim'), ('options', '{"eta": "0.5"}')), "option 'eta' of solver 'ddim' must be a number, got '0.5' (str)"),
])
def test_mistakes_fail_before_any_work(params, message, tmp_path, outdir):
    "papermill runs with a misspelt parameter, a budget below one step or an option of the wrong type fail, and write nothing."
    r = run(ROOT, 'notebooks/bench.ipynb', tmp_path / 'out.ipynb', *params, ('results_dir', '_test/pytest_results'))
    assert r.returncode != 0 and message in r.stdout + r.stderr, (r.stdout + r.stderr)[-2000:]
    assert not outdir.exists() or not list(outdir.iterdir())

@pytest.mark.skipif(__import__('torch').cuda.is_available(), reason='checks the error where CUDA is absent')
def test_cuda_without_cuda_fails_before_any_work(tmp_path, outdir):
    "-p device cuda on a machine without CUDA: one clear error naming the devices that exist; nothing is written."
    r = run(ROOT, 'notebooks/bench.ipynb', tmp_path / 'out.ipynb', ('device', 'cuda'), ('results_dir', '_test/pytest_results'))
    out = r.stdout + r.stderr
    assert r.returncode != 0 and "device 'cuda' was asked for, but CUDA is not available here; available devices: cpu" in out, out[-2000:]
    assert not outdir.exists() or not list(outdir.iterdir())

def test_single_runs_go_to_an_ignored_folder(tmp_path):
    "A single run without results_dir writes to _runs/bench (ignored by git, not read by the report), never to results/bench."
    before = set((ROOT / 'results' / 'bench').glob('*.csv'))
    r = run(ROOT, 'notebooks/bench.ipynb', tmp_path / 'out.ipynb', ('n_samples', '3'), ('seed', '987'))
    new = list((ROOT / '_runs' / 'bench').glob('ring2d__euler__karras__nfe10__*.csv'))
    try:
        assert r.returncode == 0, r.stderr[-2000:]
        assert set((ROOT / 'results' / 'bench').glob('*.csv')) == before
        assert [f for f in new if pd.read_csv(f).seed.iloc[0] == 987]
        assert subprocess.run(['git', 'check-ignore', '-q', '_runs/bench/x.csv'], cwd=ROOT).returncode == 0
    finally:
        for f in new:
            if pd.read_csv(f).seed.iloc[0] == 987: f.unlink()

def test_training_notebook_runs_and_exports(tmp_path):
    "train.ipynb (the parameterised training run) end to end on a tiny model: trains, exports the EMA model, judges samples."
    out, export = tmp_path / 'run', tmp_path / 'm.pt'
    r = run(ROOT, 'notebooks/train.ipynb', tmp_path / 'train.ipynb', ('steps', '2'), ('batch_size', '8'), ('ch', '8,16'),
            ('out', str(out)), ('export', str(export)), ('n_show', '4'), ('nfe', '5'))
    assert r.returncode == 0, r.stderr[-3000:]
    assert (out / 'ckpt.pt').exists() and (out / 'loss.png').exists() and export.exists()
    from diffsolv.unet import load_model
    model, _, meta = load_model(export)
    assert model.precond == 'edm' and meta['step'] == 2
