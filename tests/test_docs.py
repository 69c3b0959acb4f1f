"The docs site: links that stay inside the site, no dead source links, no NoneType, a CI report marked as a preview."
import json, sys
import pytest
from pathlib import Path
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tools'))
import build_docs

def test_links_stay_inside_the_site():
    cfg = build_docs._settings()
    host = cfg['doc_host'].rstrip('/') + '/'
    html = (f'<a href="{host}solvers.html#sample">sample</a> <a href="{host}testbeds.html">t</a> '
            f'<a href="{cfg["git_url"]}/blob/main/diffsolv/solvers.py#L9" target="_blank" style="float:right">source</a>'
            f'(see [`check_sigmas`]({host}solvers.html#check_sigmas)) label:NoneType<span class="op">=</span> <td>NoneType</td>')
    out = build_docs.fix_links(html, 1, {'solvers.html': '02_solvers.html', 'testbeds.html': '01_testbeds.html'})
    assert 'example.org' not in out and 'NoneType' not in out and '>source<' not in out, out
    assert 'href="../02_solvers.html#sample"' in out and 'href="../01_testbeds.html"' in out and '(see `check_sigmas`)' in out

def test_a_ci_report_is_marked_as_a_preview(tmp_path):
    nb = dict(cells=[dict(cell_type='raw', metadata={}, source=['---\n', 'title: Study report\n', '---']),
                     dict(cell_type='markdown', metadata={}, source=['text'])], metadata={}, nbformat=4, nbformat_minor=5)
    src = tmp_path / 'report.ipynb'; src.write_text(json.dumps(nb))
    build_docs.copy_report(src, tmp_path / 'out.ipynb')
    out = json.loads((tmp_path / 'out.ipynb').read_text())
    assert 'Study report (CI preview)' in ''.join(out['cells'][0]['source']) and 'Preview, not the study' in out['cells'][1]['source'][0]

def test_the_report_page_hides_papermills_parameters(tmp_path):
    nb = dict(cells=[dict(cell_type='raw', metadata={}, source=['---\n', 'title: Study report\n', '---']),
                     dict(cell_type='code', metadata=dict(tags=['injected-parameters']), source=['# Parameters\n', 'out_dir = "x"\n'], outputs=[]),
                     dict(cell_type='code', metadata={}, source=['1 + 1'], outputs=[])], metadata={}, nbformat=4, nbformat_minor=5)
    src = tmp_path / 'report.ipynb'; src.write_text(json.dumps(nb))
    build_docs.copy_report(src, tmp_path / 'out.ipynb')
    code = [c for c in json.loads((tmp_path / 'out.ipynb').read_text())['cells'] if c['cell_type'] == 'code']
    assert code[0]['source'][0] == '#| include: false\n' and code[1]['source'] == ['1 + 1']

def test_make_test_builds_its_docs_apart():
    make = (ROOT / 'Makefile').read_text()
    test_rule = make[make.index('\ntest:'):make.index('\nSTUDY_GRID')]
    assert 'DIFFSOLV_DOCS=_test/docs' in test_rule and 'test -f _test/docs/index.html' in test_rule


def _code(src, text): return dict(cell_type='code', source=[src], outputs=[dict(output_type='stream', name='stdout', text=[text])])

def test_leaks_finds_temporary_paths_and_warnings():
    nb = dict(cells=[_code("print(d)", "wrote 3 samples to /tmp/tmps2wx/x.png in 0.1s\n"),
                     _code("md = MnistDistances(x)", "/x/torchmetrics/prints.py:43: UserWarning: Metric `Kernel Inception Distance` will save all\n"),
                     _code("#| hide\nprint(d)", "/tmp/hidden is not rendered\n"),
                     _code("r", "{'step': 3, 'out': 'run'}\n")])
    found = build_docs.leaks(nb)
    assert [i for i, _ in found] == [0, 1] and found[0][1] == '/tmp/tmps2wx/x.png', found
    assert 'UserWarning: Metric `Kernel Inception Distance`' in found[1][1]

KNOWN_LEAKS = set()   # notebooks allowed to show a temporary path or a warning: none

def test_rendered_pages_show_no_temporary_paths_or_warnings():
    "The executed notebooks of the last docs build (_exec/, written by `make docs`/`make test`) show neither."
    nbs = sorted(f for f in build_docs.EXEC.glob('*.ipynb') if f.name not in KNOWN_LEAKS and f.name != 'report.ipynb')
    if not nbs: pytest.skip('no docs build yet (_exec/ is empty)')
    bad = {f.name: build_docs.leaks(json.loads(f.read_text())) for f in nbs}
    assert not {k: v for k, v in bad.items() if v}, bad
