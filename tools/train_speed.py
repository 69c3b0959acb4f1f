"""Seconds per training step of the U-Net on this machine, for the recipe choices that change speed, not quality.

    python tools/train_speed.py [--ch 32,64,64] [--out models/train_speed.csv]

One AdamW step (forward, backward, update) at batch 128 on random data; the median of 6 steps after 2 warm-up steps,
all configurations measured in one run (timings on a shared machine are only comparable as ratios within a run).
torch.compile's compile time is the extra time of its first two steps.
"""
import argparse, csv, time
from pathlib import Path
import torch
from diffsolv.unet import UNet

def step_time(ch, threads:int, channels_last:bool, compile_:bool, batch_size:int=128) -> tuple:
    "(median seconds per step, seconds spent in the two warm-up steps)."
    torch.set_num_threads(threads); torch.manual_seed(0)
    model = UNet(ch=ch, precond='edm')
    if channels_last: model = model.to(memory_format=torch.channels_last)
    opt, net = torch.optim.AdamW(model.parameters(), 1e-3), torch.compile(model) if compile_ else model
    x, t, y = torch.randn(batch_size, 1, 28, 28), torch.rand(batch_size) * 999, torch.randint(10, (batch_size,))
    if channels_last: x = x.contiguous(memory_format=torch.channels_last)
    times = []
    for _ in range(8):
        t0 = time.perf_counter()
        loss = (net(x, t, y) - x).pow(2).mean(); opt.zero_grad(); loss.backward(); opt.step()
        times.append(time.perf_counter() - t0)
    return sorted(times[2:])[3], sum(times[:2])

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--ch', default='32,64,64'); p.add_argument('--out', default='models/train_speed.csv')
    a = p.parse_args(argv); ch = [int(c) for c in a.ch.split(',')]
    rows = []
    for threads, cl, comp in [(1, False, False), (1, True, False), (2, False, False), (1, False, True)]:
        s, warm = step_time(ch, threads, cl, comp)
        rows.append(dict(ch=a.ch, threads=threads, channels_last=cl, compile=comp, sec_per_step=round(s, 3), warmup_s=round(warm, 1)))
        print(rows[-1], flush=True)
    base = rows[0]['sec_per_step']
    for r in rows: r['speedup'] = round(base / r['sec_per_step'], 2)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    with open(a.out, 'w', newline='') as f: w = csv.DictWriter(f, list(rows[0])); w.writeheader(); w.writerows(rows)

if __name__ == '__main__': main()
