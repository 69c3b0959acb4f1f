"The sweep on a Dask cluster (diffsolv.sweep): a LocalCluster of 2 worker processes gives the pool's rows; a worker killed mid-sweep loses nothing and duplicates nothing; bad input stops before any work."
import os, signal, subprocess, sys, threading, time
from pathlib import Path
import pandas as pd
import pytest
from diffsolv.sweep import run_sweep, load_grid

ROOT = Path(__file__).resolve().parent.parent
TIMINGS = ['ref_wall_s', 'wall_s', 'wall_per_nfe']

@pytest.fixture(scope='module')
def cluster():
    from dask.distributed import LocalCluster
    c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    yield c
    c.close(timeout=20)

def rows(df):
    return df.drop(columns=TIMINGS + ['file']).sort_values(['solver', 'nfe']).reset_index(drop=True)

@pytest.mark.parametrize('transport', ['shared', 'client'])
def test_local_cluster_gives_the_pool_rows(cluster, transport, tmp_path):
    pool = run_sweep('ci.yml', tmp_path / 'pool', tmp_path / 'pool_runs', workers=2, chunk=2)
    dask = run_sweep('ci.yml', tmp_path / 'dask', tmp_path / 'dask_runs', chunk=2, scheduler=cluster.scheduler_address, transport=transport)
    assert len(dask) == 4 and (dask.status == 'ok').all(), dask[['solver', 'nfe', 'status', 'error']]
    pd.testing.assert_frame_equal(rows(dask), rows(pool))   # errors identical, timings aside
    assert sorted(f.name for f in (tmp_path / 'dask').glob('*')) == sorted(f.name for f in (tmp_path / 'pool').glob('*'))
    assert len(list((tmp_path / 'dask_runs').glob('*.ipynb'))) == 2   # each result keeps its executed notebook

def test_killed_worker_loses_nothing(tmp_path):
    from dask.distributed import Client, LocalCluster
    grid = tmp_path / 'g.yml'
    grid.write_text("- problem: ring2d\n  solver: [euler, heun]\n  grid: karras\n  nfe: [3, 4]\n  n_samples: 8\n")
    res = tmp_path / 'bench'
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as c, Client(c) as client:
        out = {}
        t = threading.Thread(target=lambda: out.update(df=run_sweep(grid, res, tmp_path / 'runs', chunk=1, scheduler=c.scheduler_address)))
        t.start()
        killed = None
        while t.is_alive() and killed is None:   # once one result exists, kill a worker process that is running a chunk
            busy = [w for w, ks in client.processing().items() if ks]
            if list(res.glob('*.csv')) and busy:
                pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
                os.kill(pid, signal.SIGKILL); killed = pid
            time.sleep(0.2)
        t.join(120)
        assert killed is not None, 'the sweep ended before a worker could be killed'
        assert killed not in client.run(os.getpid).values()
    df = out['df']
    files = sorted(res.glob('*.csv'))
    assert len(df) == 4 and (df.status == 'ok').all(), df[['solver', 'nfe', 'status', 'error']]
    assert len(files) == 4 and all(len(pd.read_csv(f)) == 1 for f in files)   # one file each, one row each
    assert sorted(f.name for f in files) == sorted(Path(p).name for p in df.file)
    assert not list(res.glob('*.tmp'))

def sweep_cli(*args):
    return subprocess.run([sys.executable, '-c', 'from diffsolv.sweep import sweep_main; sweep_main()', *args], capture_output=True, text=True, cwd=ROOT)

def test_unreachable_scheduler(tmp_path):
    t = time.monotonic()
    r = sweep_cli('ci.yml', '--results-dir', str(tmp_path / 'bench'), '--scheduler', 'tcp://127.0.0.1:1')
    assert r.returncode == 2 and 'cannot reach the Dask scheduler at tcp://127.0.0.1:1 within 5s' in r.stderr, r.stderr
    assert time.monotonic() - t < 40 and not list((tmp_path / 'bench').glob('*.csv'))

def test_results_dir_workers_cannot_write(cluster, tmp_path):
    (tmp_path / 'f').write_text('')   # root writes anywhere: a file in the way makes the folder impossible
    with pytest.raises(ValueError, match='cannot write the results.*nothing was run'):
        run_sweep('ci.yml', tmp_path / 'f' / 'bench', tmp_path / 'runs', scheduler=cluster.scheduler_address)
    from diffsolv.sweep import _worker_problems
    from dask.distributed import Client
    with Client(cluster.scheduler_address) as client:   # what run_sweep asks every worker before sending work
        probs = client.run(_worker_problems, [str(tmp_path / 'f' / 'x')], 'shared')
    assert len(probs) == 2 and all(len(p) == 1 and 'Not a directory' in p[0] for p in probs.values())
