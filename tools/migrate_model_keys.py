"""Rename committed result rows and fitted grids of checkpoint-backed problems to the names that include the checkpoint's
identity (issue 11: a problem's caches are keyed by its `cache_key`). Before that change, file names and the `config_hash`
column of `mnist_unet` rows did not depend on the model file; the rows in results/ were made with the committed
models/mnist_unet.pt. Run it once, with that model in place:

    .venv/bin/python tools/migrate_model_keys.py [--results results] [--dry-run]

It renames (git mv if tracked) each file whose name is not yet its new name and rewrites `config_hash`; numbers are untouched.
Files that already have their new name are left alone, so running it twice changes nothing."""
import argparse, json, subprocess, sys
from pathlib import Path
import pandas as pd
from diffsolv.bench import RunConfig
from diffsolv.gridopt import grid_cache_path
from diffsolv.io import atomic_write_csv, config_hash
from diffsolv.testbeds import problem_key

def _move(src:Path, dst:Path, dry:bool):
    print(f"{src} -> {dst.name}")
    if dry: return
    tracked = subprocess.run(['git', 'ls-files', '--error-unmatch', str(src)], capture_output=True).returncode == 0
    if tracked: subprocess.run(['git', 'mv', str(src), str(dst)], check=True)
    else: src.rename(dst)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--results', default='results'); ap.add_argument('--dry-run', action='store_true')
    a = ap.parse_args(argv)
    root = Path(a.results); n = 0
    for f in sorted((root / 'bench').glob('*.csv')):
        row = pd.read_csv(f, keep_default_na=False, dtype=str).iloc[0]
        if not problem_key(row['problem']): continue   # closed-form problems: names never changed
        cfg = RunConfig(row['problem'], row['solver'], row['grid'], int(row['nfe_requested']), int(row['n_samples']),
                        int(row['seed']), row['final_zero'] == 'True', row['options'])
        dst = cfg.path(f.parent)
        if dst.name == f.name: continue
        if not f.stem.endswith(config_hash(cfg.columns())):   # the old name: the configuration's hash without the model
            sys.exit(f"{f} is not named by its configuration (expected hash {config_hash(cfg.columns())}); not touching it")
        if dst.exists(): sys.exit(f"{dst} exists already; refusing to overwrite it with {f}")
        df = pd.read_csv(f, keep_default_na=False, dtype=str)
        if not a.dry_run: atomic_write_csv(df.assign(config_hash=cfg.row_hash), f)
        _move(f, dst, a.dry_run); n += 1
    for f in sorted((root / 'grids').glob('*.csv')):
        problem, solver, nfe, _ = f.stem.split('__')
        key = problem_key(problem)
        if not key: continue
        df = pd.read_csv(f, keep_default_na=False, dtype=str)
        options = df['options'].iloc[0] if 'options' in df else '{}'
        dst = grid_cache_path(f.parent, problem, solver, int(nfe[3:]), json.loads(options or '{}'), key=key)
        if dst.name == f.name: continue
        if dst.exists(): sys.exit(f"{dst} exists already; refusing to overwrite it with {f}")
        _move(f, dst, a.dry_run); n += 1
    print(f"{n} files {'would be ' if a.dry_run else ''}renamed")

if __name__ == '__main__': main()
