"""tools/archive_model.py on a small results folder: a replaced model's rows, grids and references move to
results/archive/<problem>_<id>/, another model's stay, nothing moves without --apply, and bad input is refused."""
import os, subprocess, sys
from pathlib import Path
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tools'))
import archive_model  # noqa: E402
from diffsolv.gridopt import grid_cache_path  # noqa: E402

OLD, NEW = 'aaaaaaaaaaaa', 'bbbbbbbbbbbb'


def tool(results, *args, model_file=None):
    # the shipped model (not OLD or NEW): the tool reads the network's schedule from it to name its references
    env = {**os.environ, 'DIFFSOLV_MODEL': str(model_file or ROOT / 'models' / 'mnist_unet.pt'), 'PYTHONWARNINGS': 'ignore'}
    return subprocess.run([sys.executable, str(ROOT / 'tools' / 'archive_model.py'), *args, '--results', str(results)],
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def results(tmp_path):
    r = tmp_path / 'results'
    for sub in ('bench', 'grids', 'refs'): (r / sub).mkdir(parents=True)
    for i, (prob, model, status) in enumerate([('mnist_unet', OLD, 'ok'), ('mnist_unet', OLD, 'failed'), ('mnist_unet', NEW, 'ok'),
                                               ('mnist_unet_guided_w2', OLD, 'ok'), ('ring2d', None, 'ok')]):
        row = dict(problem=prob, solver='heun', grid='optimized' if i == 0 else 'karras', options='{}', status=status, **({'model': model} if model else {}))
        pd.DataFrame([row]).to_csv(r / 'bench' / f"{prob}__heun__karras__nfe10__{i:010d}.csv", index=False)
    for model in (OLD, NEW): pd.DataFrame(dict(i=[0], sigma=[1.])).to_csv(grid_cache_path(r / 'grids', 'mnist_unet', 'heun', 10, key=model), index=False)
    names = {m: sorted(archive_model.ref_names('mnist_unet', m, max_n=64)) for m in (OLD, NEW)}
    for m in (OLD, NEW): (r / 'refs' / names[m][0]).write_bytes(b'ref')
    pd.DataFrame(dict(problem=['mnist_unet'], solver=['heun'])).to_csv(r / 'summary_best.csv', index=False)
    return r


def test_dry_run_moves_nothing(results):
    before = sorted(p.relative_to(results) for p in results.rglob('*'))
    out = tool(results, OLD)
    assert out.returncode == 0, out.stderr
    assert 'would move 5 files' in out.stdout and '3 bench' in out.stdout and '1 grids' in out.stdout and '1 refs' in out.stdout
    assert sorted(p.relative_to(results) for p in results.rglob('*')) == before


def test_apply_moves_only_that_model(results):
    out = tool(results, OLD, '--apply')
    assert out.returncode == 0, out.stderr
    arch = results / 'archive' / f'mnist_unet_{OLD}'
    assert len(list((arch / 'bench').glob('*.csv'))) == 2                      # its ok and its failed row
    assert len(list((results / 'archive' / f'mnist_unet_guided_w2_{OLD}' / 'bench').glob('*.csv'))) == 1
    left = sorted(f.name for f in (results / 'bench').glob('*.csv'))
    assert len(left) == 2 and all(pd.read_csv(results / 'bench' / f).get('model', pd.Series([NEW])).iloc[0] == NEW for f in left)
    assert [g.name for g in (arch / 'grids').iterdir()] == [grid_cache_path('.', 'mnist_unet', 'heun', 10, key=OLD).name]
    assert len(list((results / 'grids').iterdir())) == 1 and len(list((results / 'refs').iterdir())) == 1 and len(list((arch / 'refs').iterdir())) == 1
    assert (arch / 'summary' / 'summary_best.csv').read_text() == (results / 'summary_best.csv').read_text()   # copied, not moved
    assert (arch / 'ARCHIVED').read_text().startswith('20')
    again = tool(results, OLD, '--apply')   # nothing left of it: said so
    assert again.returncode == 2 and f'no bench row, grid or reference of model {OLD}' in again.stderr


def test_bad_input(results, tmp_path):
    r = tool(results, 'abc')
    assert r.returncode == 2 and "model must be a file id of 12 hex digits" in r.stderr
    r = tool(tmp_path / 'nowhere', OLD)
    assert r.returncode == 2 and 'is not a folder: pass the study' in r.stderr
    shipped = tmp_path / 'shipped.pt'; shipped.write_bytes(b'weights')
    from diffsolv.io import file_id
    r = tool(results, file_id(shipped), model_file=shipped)
    assert r.returncode == 2 and "is the shipped model's id" in r.stderr
