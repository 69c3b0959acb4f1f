"The commands a new user runs first: each mistake fails at once with a clear message, each README command works as written."
import os, shutil, subprocess, sys
from pathlib import Path
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

def test_negative_guidance_is_refused():
    r = subprocess.run([str(BIN / 'diffsolv-sample'), '--guidance', '-1', '--label', '3', '--out', 'x.png'], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2 and '--guidance must be >= 0' in r.stderr, r.stderr

def test_grids_are_found_under_study(tmp_path):
    "`diffsolv-sweep ci.yml` from the repository root runs study/ci.yml."
    r = subprocess.run([str(BIN / 'diffsolv-sweep'), 'ci.yml', '--results-dir', str(tmp_path / 'res'), '--executed-dir', str(tmp_path / 'runs'), '--workers', '1'],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert len(list((tmp_path / 'res').glob('ring2d__*.csv'))) == 4
    rows = pd.concat([pd.read_csv(f) for f in (tmp_path / 'res').glob('*.csv')])
    assert (rows.status == 'ok').all() and 'unstable' in rows and 'data_rms' in rows
    r = subprocess.run([str(BIN / 'diffsolv-sweep'), 'nope.yml'], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2 and 'no grid file nope.yml' in r.stderr and 'ci.yml' in r.stderr, r.stderr

def test_kernel_config_hides_the_tcp_warning(tmp_path):
    "tools/ipython_kernel_config.py (installed into .venv/etc/ipython by make) removes ipykernel's TCP warning from papermill's output."
    def warnings(ipdir):
        env = {**os.environ, 'IPYTHONDIR': str(ipdir)}
        r = subprocess.run([str(BIN / 'papermill'), '-k', 'python3', 'notebooks/bench.ipynb', str(tmp_path / 'o.ipynb'), '-p', 'n_samples', '2',
                            '-p', 'results_dir', str(tmp_path / 'res')], cwd=ROOT, capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr[-2000:]
        return r.stderr.count('without encryption')
    prof = tmp_path / 'ip' / 'profile_default'; prof.mkdir(parents=True)
    if not (Path(sys.prefix) / 'etc' / 'ipython' / 'ipython_kernel_config.py').exists():
        assert warnings(tmp_path / 'ip') == 1   # without the file the warning is there (so this test can fail)
    shutil.copy(ROOT / 'tools' / 'ipython_kernel_config.py', prof)
    assert warnings(tmp_path / 'ip') == 0

def test_make_lab_allows_root():
    r = subprocess.run(['make', '-n', 'lab'], cwd=ROOT, capture_output=True, text=True)
    line = [l for l in r.stdout.splitlines() if 'jupyter lab' in l][-1]
    out = subprocess.run(['bash', '-c', 'echo ' + line.split('jupyter lab', 1)[1]], capture_output=True, text=True).stdout
    assert ('--allow-root' in out) == (os.getuid() == 0), (line, out)
