"""Subprocess tests of the MNIST model: DDP training and sampling under torchrun (2 CPU processes), bit-exact resume."""
import os, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
import torch

ENV = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONWARNINGS': 'ignore'}
TINY = ['--ch', '8,16', '--no-attn', '--batch-size', '8', '--limit', '256', '--log-every', '1', '--warmup', '2', '--no-progress', '--threads', '1']

def run(args, check=True, **kw):
    "Run a command with one torch thread per process; return the CompletedProcess."
    r = subprocess.run(args, env=ENV, capture_output=True, text=True, timeout=300, **kw)
    if check and r.returncode: raise AssertionError(f"{args} failed ({r.returncode}):\n{r.stdout}\n{r.stderr[-3000:]}")
    return r

def cli(*args): return [sys.executable, '-m', 'diffsolv.cli', *args]
def torchrun(*args): return [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2', '-m', 'diffsolv.cli', *args]
def weights(path, key='model'): return torch.load(path, weights_only=True)[key]

@pytest.fixture(scope='module')
def tiny_model(tmp_path_factory):
    "A tiny conditional U-Net trained 2 steps (enough to be a valid model file)."
    d = tmp_path_factory.mktemp('tiny')
    run(cli('train', '--out', str(d / 'run'), '--steps', '2', *TINY, '--export', str(d / 'm.pt')))
    return d / 'm.pt'

def test_resume_is_bit_exact(tmp_path):
    "6 steps straight == 3 steps, process exit, then resume to 6: identical model, EMA and optimiser state."
    run(cli('train', '--out', str(tmp_path / 'a'), '--steps', '6', *TINY))
    run(cli('train', '--out', str(tmp_path / 'b'), '--steps', '6', '--stop-at', '3', *TINY))
    assert torch.load(tmp_path / 'b' / 'ckpt.pt', weights_only=True)['step'] == 3
    run(cli('train', '--out', str(tmp_path / 'b'), '--steps', '6', *TINY))
    a, b = torch.load(tmp_path / 'a' / 'ckpt.pt', weights_only=True), torch.load(tmp_path / 'b' / 'ckpt.pt', weights_only=True)
    assert a['step'] == b['step'] == 6
    for k in ('model', 'ema'):
        for n in a[k]: assert torch.equal(a[k][n], b[k][n]), (k, n)
    for s, u in zip(a['opt']['state'].values(), b['opt']['state'].values()):
        for q in s: assert torch.equal(s[q], u[q])

def test_bad_checkpoints_give_clear_errors(tmp_path):
    (tmp_path / 'c').mkdir(); (tmp_path / 'c' / 'ckpt.pt').write_bytes(b'\x80garbage')
    r = run(cli('train', '--out', str(tmp_path / 'c'), '--steps', '2', *TINY), check=False)
    assert r.returncode == 1 and 'corrupt or not a diffsolv checkpoint' in r.stderr, r.stderr[-2000:]
    run(cli('train', '--out', str(tmp_path / 'd'), '--steps', '2', *TINY))
    r = run(cli('train', '--out', str(tmp_path / 'd'), '--steps', '2', *TINY, '--seed', '5'), check=False)
    assert r.returncode == 1 and 'does not match this run' in r.stderr, r.stderr[-2000:]

def test_ddp_training_matches_single_process(tmp_path):
    "torchrun with 2 gloo ranks (batch 4 each) follows the single-process run with batch 8 up to float rounding."
    run(cli('train', '--out', str(tmp_path / 'one'), '--steps', '4', *TINY))
    r = run(torchrun('train', '--out', str(tmp_path / 'two'), '--steps', '4', *TINY))
    assert 'trained to step 4' in r.stdout
    one, two = weights(tmp_path / 'one' / 'ckpt.pt'), weights(tmp_path / 'two' / 'ckpt.pt')
    for n in one: torch.testing.assert_close(one[n], two[n], atol=1e-4, rtol=1e-3)
    l1 = np.loadtxt(tmp_path / 'one' / 'log.csv', delimiter=',', skiprows=1)[:, 1]
    l2 = np.loadtxt(tmp_path / 'two' / 'log.csv', delimiter=',', skiprows=1)[:, 1]
    np.testing.assert_allclose(l1, l2, rtol=1e-4)

def test_ddp_sampling_is_identical(tmp_path, tiny_model):
    "Seeds sharded over 2 ranks give exactly the images of one process (same --batch-size)."
    args = ['sample', '--model', str(tiny_model), '--count', '7', '--nfe', '5', '--label', 'cycle', '--batch-size', '2']
    run(cli(*args, '--out', str(tmp_path / 'one.npz')))
    run(torchrun(*args, '--out', str(tmp_path / 'two.npz')))
    a, b = np.load(tmp_path / 'one.npz'), np.load(tmp_path / 'two.npz')
    assert a['samples'].shape == (7, 1, 28, 28)
    np.testing.assert_array_equal(a['samples'], b['samples'])
    np.testing.assert_array_equal(a['labels'], b['labels'])

def test_sample_cli_errors(tmp_path, tiny_model):
    r = run(cli('sample', '--model', str(tiny_model), '--solver', 'nope', '--out', 'x.png'), check=False)
    assert r.returncode == 2 and "invalid choice: 'nope'" in r.stderr
    r = run(cli('sample', '--model', str(tmp_path / 'missing.pt'), '--out', 'x.png'), check=False)
    assert r.returncode == 2 and 'does not exist' in r.stderr

def test_killed_run_resumes_to_the_same_weights(tmp_path):
    "SIGKILL in the middle of a run (checkpoint every step), then resume: the same weights as a run never interrupted."
    import signal, time
    args = ['--steps', '30', '--ckpt-every', '1', *TINY]
    run(cli('train', '--out', str(tmp_path / 'a'), *args))
    p = subprocess.Popen(cli('train', '--out', str(tmp_path / 'b'), *args), env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt, t0 = tmp_path / 'b' / 'ckpt.pt', time.time()
    while time.time() - t0 < 120 and not (ckpt.exists() and torch.load(ckpt, weights_only=True)['step'] >= 5): time.sleep(0.05)
    p.send_signal(signal.SIGKILL); p.wait()
    killed_at = torch.load(ckpt, weights_only=True)['step']
    assert 5 <= killed_at < 30, killed_at
    run(cli('train', '--out', str(tmp_path / 'b'), *args))
    a, b = torch.load(tmp_path / 'a' / 'ckpt.pt', weights_only=True), torch.load(ckpt, weights_only=True)
    for k in ('model', 'ema'):
        for n in a[k]: assert torch.equal(a[k][n], b[k][n]), (k, n, killed_at)

@pytest.mark.parametrize('bad, message', [
    (['--batch-size', '300'], 'batch_size 300 is larger than the 256 training images'),
    (['--steps', '-3'], 'steps must be an integer >= 1'),
    (['--schedule', 'cosin'], "unknown schedule 'cosin'; choose one of ('linear', 'cosine')"),
    (['--precond', 'v'], "unknown precond 'v'; choose one of ('eps', 'edm')")])
def test_impossible_training_configs_fail_before_writing(tmp_path, bad, message):
    r = run(cli('train', '--out', str(tmp_path / 'x'), '--steps', '2', *TINY, *bad), check=False)
    assert r.returncode == 1 and message in r.stderr, r.stderr[-2000:]
    assert not (tmp_path / 'x').exists()
