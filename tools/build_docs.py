"""Build README.md and the HTML docs site offline.

    python tools/build_docs.py readme   # README.md from notebooks/index.ipynb
    python tools/build_docs.py site     # _docs/ from the notebooks (executed), with vendored KaTeX

Environment: DIFFSOLV_REPORT, the executed report shown as the "Study report" page (default _study/report.ipynb);
DIFFSOLV_DOCS, the output folder (default _docs). `make test` builds its preview of the CI-sized report into
_test/docs, and a report that is not the study's gets a banner saying so, so _docs/ stays the study's site.

Why not `nbdev_docs`/`nbdev_readme`: both call Quarto, which cannot be installed on this machine (its PyPI
package downloads a binary). When a real `quarto` is on PATH, `make docs` uses `nbdev_docs` instead.
Here the notebooks are executed into `_exec/` (cached by modification time), processed by nbdev's own
notebook processors into `_proc/`, and rendered by the pure-Python `smalldocs`. smalldocs links KaTeX from a
CDN; the site gets a local copy (from the npm registry's `katex` package, fetched by `make`) instead, so
formulas render with no network.
"""
import json, os, re, shutil, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBS, EXEC, PROC, DOCS = ROOT / 'notebooks', ROOT / '_exec', ROOT / '_proc', ROOT / '_docs'
KATEX_CACHE = ROOT / '.cache' / 'katex' / 'package' / 'dist'
KATEX_CDN = re.compile(r'https://cdn\.jsdelivr\.net/npm/katex@[0-9.]+/dist')
STUDY_REPORT = ROOT / os.environ.get('DIFFSOLV_REPORT', '_study/report.ipynb')   # executed report (papermill); shown in the site if present
DOCS = ROOT / os.environ.get('DIFFSOLV_DOCS', '_docs')
PREVIEW_NOTE = ("> **Preview, not the study.** This page was computed by `make test` from the CI-sized sweep "
                "(`study/ci.yml`, a handful of runs, results in `{}`); its numbers and conclusions say nothing about the solvers. "
                "`make study` builds the study's report into `_docs/`.")


def frontmatter(nb):
    "Front-matter keys of a notebook (first raw or markdown cell between --- lines)."
    for c in nb['cells'][:2]:
        src = ''.join(c['source']).strip()
        if c['cell_type'] in ('raw', 'markdown') and src.startswith('---'):
            return dict(l.split(':', 1) for l in src.strip('-\n').splitlines() if ':' in l)
    return {}


def readme(check=False):
    "Write (or with check=True, verify) README.md from notebooks/index.ipynb: markdown as is, code fenced, hidden cells dropped."
    nb = json.loads((NBS / 'index.ipynb').read_text())
    out = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown': out.append(src)
        elif c['cell_type'] == 'code':
            lines = src.splitlines()
            if any(l.strip() in ('#| hide', '#|hide') for l in lines): continue
            code = '\n'.join(l for l in lines if not l.startswith('#|')).strip()
            if code: out.append(f"```python\n{code}\n```")
    text = '<!-- generated from notebooks/index.ipynb by `make readme`: do not edit -->\n\n' + '\n\n'.join(out) + '\n'
    if check:
        if (ROOT / 'README.md').read_text() != text: sys.exit("README.md is out of date with notebooks/index.ipynb: run `make readme`")
        return print('README.md is in sync with notebooks/index.ipynb')
    (ROOT / 'README.md').write_text(text)
    print('wrote README.md')


def _stale(src, dst, deps):
    return not dst.exists() or dst.stat().st_mtime < max(p.stat().st_mtime for p in [src, *deps])


def copy_report(src, dst):
    "Copy the executed report into _exec/, papermill's injected parameters hidden; one that is not the study's (_study/report.ipynb) gets a preview banner after its title."
    nb = json.loads(Path(src).read_text())
    for c in nb['cells']:   # papermill's injected parameters are run bookkeeping, not for the reader
        if 'injected-parameters' in c.get('metadata', {}).get('tags', []): c['source'] = ['#| include: false\n'] + list(c['source'])
    if Path(src).resolve() != (ROOT / '_study' / 'report.ipynb').resolve():
        note = PREVIEW_NOTE.format(Path(src).parent.relative_to(ROOT) if Path(src).is_relative_to(ROOT) else Path(src).parent)
        nb['cells'].insert(1, dict(cell_type='markdown', id='cipreview', metadata={}, source=[note]))
        nb['cells'][0]['source'] = [l.replace('title: Study report', 'title: Study report (CI preview)') for l in nb['cells'][0]['source']]
    Path(dst).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')


LEAK = re.compile(r'(?:^|[\s\'"(=])/tmp/\S*|\w*Warning: .*')   # a temporary path, or a Python warning line ("...: UserWarning: ...")


def leaks(nb) -> list:
    "What the shown outputs of a notebook should not show: temporary paths and library warnings, as (cell index, text)."
    found = []
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] != 'code' or any(l.strip() in ('#| hide', '#|hide') for l in ''.join(c['source']).splitlines()): continue
        for o in c.get('outputs', []):
            text = ''.join(o.get('text', '')) + ''.join(o.get('data', {}).get('text/plain', ''))
            found += [(i, m.group(0).strip()[:160]) for m in LEAK.finditer(text)]
    return found


def execute_notebooks(workers=2):
    "Copy notebooks/ into _exec/ and execute each notebook there (skip_exec ones are copied unexecuted)."
    EXEC.mkdir(exist_ok=True)
    deps = list((ROOT / 'diffsolv').glob('*.py'))
    jobs = []
    for src in sorted(NBS.iterdir()):
        if src.name.startswith(('.', '_')) and src.name != '_quarto.yml': continue
        if src.is_dir(): continue
        dst = EXEC / src.name
        if src.suffix != '.ipynb':
            shutil.copy2(src, dst); continue
        nb = json.loads(src.read_text())
        if src.name == 'report.ipynb' and STUDY_REPORT.exists():
            copy_report(STUDY_REPORT, dst); continue
        if str(frontmatter(nb).get('skip_exec', '')).strip().lower() == 'true':
            shutil.copy2(src, dst); continue
        if _stale(src, dst, deps): jobs.append((src, dst))
    procs = []
    for src, dst in jobs:
        while len([p for p in procs if p[0].poll() is None]) >= workers: time.sleep(0.2)
        print('executing', src.name, flush=True)
        cmd = [sys.executable, str(ROOT / 'tools' / 'exec_nb.py'), str(src), str(dst) + '.tmp']
        procs.append((subprocess.Popen(cmd, cwd=NBS, env={**os.environ, 'IN_TEST': '1', 'MPLBACKEND': 'agg'}), src, dst))
    failed, shown = [], []
    for p, src, dst in procs:
        if p.wait() != 0: failed.append(src.name); continue
        found = [f"{src.name}, cell {i} shows {text!r}" for i, text in leaks(json.loads(Path(str(dst) + '.tmp').read_text()))]
        if found: shown += found; os.remove(str(dst) + '.tmp'); continue   # not kept: the next build executes it again
        os.replace(str(dst) + '.tmp', dst)
    if failed: sys.exit(f"docs: executing {failed} failed; see the traceback above")
    if shown: sys.exit("docs: pages would show temporary paths or warnings (hide the cell's output or print relative names):\n  " + "\n  ".join(shown))


def process():
    "nbdev's notebook processing (directives, show_doc, sidebar) from _exec/ into _proc/, without Quarto."
    from nbdev.quarto import refresh_quarto_yml, nbdev_sidebar
    from nbdev.serve import proc_nbs
    import nbdev.doclinks
    os.chdir(ROOT)
    refresh_quarto_yml()
    nbdev.doclinks._build_modidx()
    nbdev_sidebar.__wrapped__(path=str(NBS))
    for f in ('nbdev.yml', 'sidebar.yml', '_quarto.yml'): shutil.copy2(NBS / f, EXEC / f)
    if PROC.exists(): shutil.rmtree(PROC)
    proc_nbs(str(EXEC), n_workers=0, force=True)
    for f in (ROOT / 'figures').glob('*'):   # the report links figures/ by relative path
        (PROC / 'figures').mkdir(exist_ok=True); shutil.copy2(f, PROC / 'figures' / f.name)


def _settings():
    import configparser
    c = configparser.ConfigParser(); c.read(ROOT / 'settings.ini')
    return c['DEFAULT']


def fix_links(text:str, depth:int, pages:dict) -> str:
    "Cross-references to doc_host become relative links to this site's pages; 'source' links to git_url are dropped; `NoneType` annotations go."
    cfg = _settings()
    host = (cfg['doc_host'].rstrip('/') + '/' + cfg.get('doc_baseurl', '/').strip('/')).rstrip('/') + '/'
    up = '../' * depth
    def local(m):
        page, anchor = m.group(1), m.group(2) or ''
        return f'href="{up}{pages.get(page, page)}{anchor}"'
    text = re.sub(r'href="' + re.escape(host) + r'([^"#]*)(#[^"]*)?"', local, text)
    text = re.sub(r'\[(`[^`\]]*`)\]\(' + re.escape(host) + r'[^)]*\)', r'\1', text)   # markdown links left inside code comments
    text = re.sub(r'<a href="' + re.escape(cfg['git_url'].rstrip('/')) + r'/[^"]*"[^>]*>source</a>', '', text)
    return re.sub(r':NoneType(?=<span class="op">=)', '', text).replace('<td>NoneType</td>', '<td></td>')


def render():
    "Render _proc/ with smalldocs into _docs/ and swap KaTeX's CDN for a local copy."
    if not (KATEX_CACHE / 'katex.min.js').exists():
        sys.exit(f"docs: KaTeX assets missing at {KATEX_CACHE}; run `make .cache/katex` (npm pack katex) first")
    if DOCS.exists(): shutil.rmtree(DOCS)
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    from smalldocs.site import build
    site = build(str(PROC), quiet=True)
    for w in site.warnings: print('smalldocs warning:', w, file=sys.stderr)
    out = PROC / '_docs'
    shutil.move(str(out), DOCS)
    shutil.copytree(KATEX_CACHE, DOCS / 'site_libs' / 'katex', dirs_exist_ok=True)
    n = 0
    pages = {re.sub(r'^\d+[a-z]?_', '', h.name): str(h.relative_to(DOCS)) for h in DOCS.rglob('*.html')}   # nbdev links 'solvers.html', the page is 02_solvers.html
    for html in DOCS.rglob('*.html'):
        depth = len(html.relative_to(DOCS).parts) - 1
        text, k = KATEX_CDN.subn(('../' * depth) + 'site_libs/katex', html.read_text())
        n += bool(k)
        html.write_text(fix_links(text, depth, pages))
    if not (DOCS / 'index.html').exists(): sys.exit("docs: _docs/index.html was not produced")
    print(f"docs: {len(list(DOCS.rglob('*.html')))} pages in {DOCS} ({n} with local KaTeX)")


if __name__ == '__main__':
    what = sys.argv[1] if len(sys.argv) > 1 else 'site'
    if what == 'readme': readme()
    elif what == 'check-readme': readme(check=True)
    elif what == 'site': execute_notebooks(); process(); render()
    else: sys.exit(f"unknown command {what!r}; use 'readme' or 'site'")
