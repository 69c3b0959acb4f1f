"""Move a replaced network's study rows out of the way: `results/archive/<problem>_<model id>/`.

When `models/mnist_unet.pt` is replaced, the network rows of the study must not be mixed with the new model's
(issue 10). They are all keyed by the old checkpoint's file id, so nothing is recomputed for the old model, but
the report would show them side by side. This moves, for one model id:

* bench rows (`results/bench/<problem>*__*.csv` whose `model` column is the id): each problem to its own
  `results/archive/<problem>_<id>/bench/` (the guided problems `mnist_unet_guided_w*` included);
* fitted grids (`results/grids/`) and cached DOP853 references (`results/refs/`) whose names carry the id's hash;
* a copy of the report's summaries (`summary_best.csv`, `stability.csv`, `peers_best.csv`, `summary_slopes.csv`) to
  `results/archive/<problem>_<id>/summary/`, which the report's "What changed" compares the new model with;
* a stamp `ARCHIVED` (UTC time and what moved): the latest archive is the previous model.

`results/fit/` and `results/model_quality.csv` stay: their rows name their model, and the report picks the shipped
model's. Each file is moved with `os.replace` (atomic on one file system); a run that is cut off is finished by running
it again. Usage:

    python tools/archive_model.py OLD_ID            # what would move, nothing moved
    python tools/archive_model.py OLD_ID --apply    # move it
"""
from __future__ import annotations
import argparse, datetime, json, os, re, shutil, sys
from pathlib import Path
import pandas as pd

SUMMARIES = ('summary_best.csv', 'stability.csv', 'peers_best.csv', 'summary_slopes.csv')


def ref_names(problem: str, model: str, max_n: int = 4096) -> dict:
    "Reference file names a model's problem can have: `reference_path` for that model over seeds 0 and CALIB_SEED, n up to max_n, the grids' end points."
    import copy
    from diffsolv.testbeds import get_problem
    from diffsolv.schedules import get_grid
    from diffsolv.gridopt import CALIB_SEED
    from diffsolv.reference import reference_path
    q = copy.copy(get_problem(problem)); q.cache_key = model   # the problem as the replaced model was keyed
    s = get_grid('karras', 10, q.schedule)
    return {reference_path(q, n, float(s[0]), float(s[-1]), seed, Path('.')).name: (seed, n) for seed in (0, CALIB_SEED) for n in range(1, max_n + 1)}


def grid_names(problem: str, model: str, options) -> set:
    "`grid_cache_path`'s hash part for this model and these solver options (JSON strings), for fits from Karras and from the best start."
    from diffsolv.gridopt import grid_cache_path
    return {grid_cache_path('.', problem, 'any', 0, json.loads(o), model, init).stem.rsplit('__', 1)[-1]
            for o in set(options) | {'{}'} for init in ('karras', 'best')}


def plan(results: Path, base: str, model: str) -> tuple[list, list]:
    "(moves [(src, dst)], notes) for archiving `model`'s rows of problem `base` and its variants."
    moves, notes, options, problems = [], [], set(), set()
    arch = lambda prob: results / 'archive' / f"{prob}_{model}"
    for f in sorted((results / 'bench').glob(f"{base}*__*.csv")):
        prob = f.name.split('__')[0]
        if not re.fullmatch(rf"{re.escape(base)}(_guided_w[0-9.]+)?", prob): continue
        try: d = pd.read_csv(f)
        except Exception as e: notes.append(f"unreadable, left: {f} ({type(e).__name__})"); continue
        if 'model' not in d or d.model.isna().all(): notes.append(f"no model column, left: {f.name}"); continue
        if (d.model.astype(str) == model).all():
            moves.append((f, arch(prob) / 'bench' / f.name)); problems.add(prob)
            if 'grid' in d and 'options' in d: options |= set(d.loc[d.grid == 'optimized', 'options'].fillna('{}').astype(str))
    hs = grid_names(base, model, options)
    for f in sorted((results / 'grids').glob(f"{base}*__*.csv")):
        if f.stem.rsplit('__', 1)[-1] in hs: moves.append((f, arch(f.name.split('__')[0]) / 'grids' / f.name))
    for prob in sorted(problems | {base}):
        try: names = ref_names(prob, model)
        except Exception as e: notes.append(f"references of {prob} not identified ({type(e).__name__}: {e})"); continue
        for f in sorted((results / 'refs').glob(f"{prob}__*.pt")):
            if f.name in names: moves.append((f, arch(prob) / 'refs' / f.name))
    return moves, notes


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('model', help="the replaced checkpoint's file id (12 hex digits, the `model` column of its rows)")
    ap.add_argument('--problem', default='mnist_unet', help="the network's problem (its guided variants go with it)")
    ap.add_argument('--results', default='results', help="the results folder (default: results/)")
    ap.add_argument('--apply', action='store_true', help="move the files (without it: only say what would move)")
    a = ap.parse_args(argv)
    if not re.fullmatch(r'[0-9a-f]{12}', a.model): ap.error(f"model must be a file id of 12 hex digits (the `model` column of its rows), got {a.model!r}")
    results = Path(a.results)
    if not (results / 'bench').is_dir(): ap.error(f"{results / 'bench'} is not a folder: pass the study's results folder with --results")
    from diffsolv.unet import default_checkpoint
    from diffsolv.io import file_id
    ck = default_checkpoint()
    if ck.is_file() and file_id(ck) == a.model:
        ap.error(f"{a.model} is the shipped model's id ({ck}): its rows are the study's present rows, not a replaced model's")
    moves, notes = plan(results, a.problem, a.model)
    for n in notes: print(f"note: {n}")
    if not moves: ap.error(f"no bench row, grid or reference of model {a.model} for {a.problem} under {results}")
    kinds = pd.Series([d.parent.name for _, d in moves]).value_counts().to_dict()
    print(f"{'moving' if a.apply else 'would move'} {len(moves)} files of model {a.model}: " + ', '.join(f"{v} {k}" for k, v in sorted(kinds.items())))
    if not a.apply:
        print("nothing moved; run again with --apply"); return 0
    dst_summary = results / 'archive' / f"{a.problem}_{a.model}" / 'summary'
    dst_summary.mkdir(parents=True, exist_ok=True)
    for s in SUMMARIES:   # the report's summaries as they stand for the old model (copied before its rows leave)
        if (results / s).is_file() and not (dst_summary / s).exists():
            tmp = dst_summary / f".{s}.tmp"
            shutil.copyfile(results / s, tmp); os.replace(tmp, dst_summary / s)
    for src, dst in moves:
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
    stamp = dst_summary.parent / 'ARCHIVED'
    stamp.write_text(f"{datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}\n"
                     f"python tools/archive_model.py {a.model} --problem {a.problem} --apply: " + ', '.join(f"{v} {k}" for k, v in sorted(kinds.items())) + "\n")
    print(f"done: {results / 'archive'}/{a.problem}*_{a.model}/ (stamp {stamp})")
    return 0


if __name__ == '__main__':
    sys.exit(main())
