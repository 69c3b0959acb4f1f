"""Quality of an MNIST model file, measured the way issue 10 asks (models/README.md quotes its output).

    python tools/model_quality.py MODEL [--n 2000] [--nfe 50] [--solver heun] [--label cycle --guidance 1] [--out results/model_quality.csv]

Unconditional samples (seeds 0..n-1, `diffsolv.cli.generate`; with `--label cycle --guidance 1` the conditional model's
samples over all ten digits instead, sample i asking for digit i mod 10, the way class-conditional models are sampled
for a Frechet distance): fd_mnist against the 10,000 MNIST test images (with a 95% bootstrap interval) and the
real-vs-real floor at the same N (n training images drawn with a fixed seed against the same test set), class
balance (normalised entropy of the predicted classes) and mean confidence under the project's classifier; guided
samples (labels cycled 0..9, w = 2, n // 4 of them): label accuracy. One CSV row per call is appended to --out.
"""
import argparse, csv, time
from pathlib import Path
import pandas as pd
import torch
from diffsolv.cli import generate
from diffsolv.classifier import judge
from diffsolv.classifier import mnist_distances, fd_floor
from diffsolv.io import atomic_write_csv
from diffsolv.unet import BALANCED_RULES, file_id, load_model

def train_seconds(model_path):
    "Training wall time summed from the run's log.csv beside the model file (None if there is none)."
    log = Path(model_path).parent / 'log.csv'
    if not log.exists(): return None
    with open(log) as f: rows = list(csv.DictReader(f))
    steps = [0] + [int(r['step']) for r in rows]
    return round(sum(float(r['sec_per_step']) * (b - a) for r, a, b in zip(rows, steps, steps[1:])))

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('model'); p.add_argument('--n', type=int, default=2000); p.add_argument('--nfe', type=int, default=50)
    p.add_argument('--solver', default='heun'); p.add_argument('--guided-n', type=int, default=None)
    p.add_argument('--threads', type=int, default=0); p.add_argument('--out', default='results/model_quality.csv')
    p.add_argument('--tag', default='', help='a free-form name for the row (e.g. the recipe)')
    p.add_argument('--label', default=None, choices=BALANCED_RULES, help="measure the conditional model over all ten digits (sample i asks for i mod 10) instead of the unconditional one")
    p.add_argument('--guidance', type=float, default=None, help='with --label: the guidance weight of those samples (1: the conditional model, no guidance)')
    a = p.parse_args(argv)
    if a.guidance is not None and a.label is None: p.error('--guidance needs --label cycle (unconditional samples are not guided)')
    if a.label is not None and a.guidance is None: p.error('--label cycle needs --guidance (1: the conditional model without guidance)')
    if a.threads: torch.set_num_threads(a.threads)
    meta = load_model(a.model)[2]
    md, t0 = mnist_distances(), time.perf_counter()
    r = generate(a.model, solver=a.solver, nfe=a.nfe, n=a.n, seed=0, label=a.label, guidance=a.guidance, batch_size=250)
    t_gen = time.perf_counter() - t0
    d = md(r['images'], which=('fd',), fd_boot=200)
    u = judge(r['images'], r['labels'])
    g = generate(a.model, solver=a.solver, nfe=a.nfe, n=a.guided_n or a.n // 4, seed=10**6, label='cycle', guidance=2.0, batch_size=250)
    acc = judge(g['images'], g['labels'])['label_accuracy']
    row = dict(tag=a.tag, model=a.model, model_id=file_id(a.model), step=meta.get('step'), train_s=train_seconds(a.model), precond=meta.get('train_config', {}).get('precond', 'eps'),
               sampled='unconditional' if a.label is None else f'labels {a.label}, w={a.guidance:g}', n=a.n, solver=a.solver, nfe=r['nfe'],
               fd_mnist=round(d['fd_mnist'], 3), fd_mnist_lo=round(d['fd_mnist_lo'], 3), fd_mnist_hi=round(d['fd_mnist_hi'], 3), fd_floor=round(fd_floor(a.n), 3), class_balance=round(u['class_balance'], 4),
               confidence=round(u['confidence'], 4), label_accuracy=round(u['label_accuracy'], 4) if 'label_accuracy' in u else None, guided_accuracy_w2=round(acc, 4), guided_n=len(g['images']), sample_s=round(t_gen, 1))
    row['fd_over_floor'] = round(row['fd_mnist'] / row['fd_floor'], 2)
    print(row)
    out = Path(a.out); old = pd.read_csv(out) if out.exists() else pd.DataFrame()
    if len(old) and 'sampled' not in old: old['sampled'] = 'unconditional'   # rows written before the column: all unconditional
    atomic_write_csv(pd.concat([old, pd.DataFrame([row])], ignore_index=True), out)   # rows of older versions keep their columns

if __name__ == '__main__': main()
