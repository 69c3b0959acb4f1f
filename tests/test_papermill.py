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
