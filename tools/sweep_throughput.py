"""Throughput of diffsolv-sweep on this machine: configurations per minute of the local pool with 1 and 2 workers, and of
a Dask LocalCluster of 2 worker processes (its start-up and shutdown included), on one small ring2d grid in chunks of 2,
each run into a fresh temporary folder, the modes in turns (ROUNDS rounds). Writes results/sweep_throughput.csv (atomic).
The machine may be busy: the absolute rates are under that load; compare the ratios measured in the same run.
Run: .venv/bin/python tools/sweep_throughput.py [ROUNDS]"""
import sys, tempfile, time, os
from pathlib import Path
import pandas as pd
from diffsolv.io import repo_root, atomic_write_csv
from diffsolv.sweep import run_sweep

GRID = "- problem: ring2d\n  solver: [euler, heun]\n  grid: karras\n  nfe: [5, 10, 20, 40]\n  n_samples: 16\n"
MODES = [('pool', 1), ('pool', 2), ('dask-local', 2)]

def main(rounds:int=1):
    rows = []
    with tempfile.TemporaryDirectory(prefix='sweep-throughput-') as d:
        grid = Path(d) / 'throughput.yml'; grid.write_text(GRID)
        for r in range(rounds):
            for mode, w in MODES:
                out = Path(d) / f"{mode}{w}-{r}"
                t = time.perf_counter()
                df = run_sweep(grid, out / 'bench', out / 'runs', workers=w, chunk=2, scheduler='local' if mode == 'dask-local' else None)
                wall = time.perf_counter() - t
                assert (df.status == 'ok').all(), df[['solver', 'nfe', 'status', 'error']]
                rows.append(dict(round=r, mode=mode, workers=w, configurations=len(df), chunk=2, wall_s=round(wall, 2),
                                 configs_per_min=round(60 * len(df) / wall, 2), load_avg_1min=round(os.getloadavg()[0], 2), cores=os.cpu_count()))
    t = pd.DataFrame(rows)
    med = t.groupby(['mode', 'workers']).wall_s.median()
    t['speedup_vs_pool1'] = [round(med['pool', 1] / med[m, w], 3) for m, w in zip(t['mode'], t.workers)]
    t['wall_vs_pool2'] = [round(med[m, w] / med['pool', 2], 3) for m, w in zip(t['mode'], t.workers)]
    print(t.to_string(index=False))
    print(atomic_write_csv(t, repo_root() / 'results' / 'sweep_throughput.csv'))

if __name__ == '__main__': main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
