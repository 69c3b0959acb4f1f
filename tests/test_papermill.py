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
    "diffsolv-sweep: chunks of configurations per papermill run, one file each, a failure is a row, a re-run skips what is done."
    grid = tmp_path / 'g.yml'
    grid.write_text("- {problem: ring2d, solver: [euler, heun], grid: karras, nfe: 4, n_samples: 4}\n"
                    "- {problem: ring2d, solver: heun, grid: karras, nfe: 4, n_samples: 4, options: {time_var: kelvin}}\n")
    res, exe = tmp_path / 'res', tmp_path / 'runs'
    sweep = [str(Path(sys.executable).parent / 'diffsolv-sweep'), str(grid), '--results-dir', str(res), '--executed-dir', str(exe), '--chunk', '2']
    r = subprocess.run(sweep, cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert '3 to run in 2 papermill executions' in r.stdout and '1 failed' in r.stdout, r.stdout
    rows = pd.concat([pd.read_csv(f) for f in res.glob('*.csv')])
    assert sorted(rows.status) == ['failed', 'ok', 'ok'] and 'kelvin' in rows[rows.status == 'failed'].error.iloc[0]
    assert len(list(exe.glob('*.ipynb'))) == 2 and not list(res.glob('*.tmp'))
    r2 = subprocess.run(sweep, cwd=ROOT, capture_output=True, text=True)   # finished runs are skipped, the failed one is retried
    assert '2 already done, 1 to run' in r2.stdout, r2.stdout
    bad = subprocess.run(sweep + ['--chunk', '0'], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode != 0 and '--chunk must be >= 1' in bad.stderr.replace('--workers, --threads and ', '')
