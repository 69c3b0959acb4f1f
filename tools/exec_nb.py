"""Execute one notebook for the docs site, the way nbdev_test does: cells marked `#| eval: false`, the
`nbdev_export()` cell and cells carrying a skipped flag (`#| slow` unless DIFFSOLV_DOCS_SLOW=1) are not run.
Usage: python tools/exec_nb.py SRC.ipynb DST.ipynb (run with the notebook's folder as working directory)."""
import os, sys
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell

SKIP_FLAGS = set() if os.environ.get('DIFFSOLV_DOCS_SLOW') == '1' else {'slow'}

def directives(src):
    return [l[2:].strip().replace(' ', '') for l in src.splitlines() if l.startswith('#|')]

def skip(cell):
    if cell.cell_type != 'code' or 'nbdev_export' + '(' in cell.source: return True
    d = directives(cell.source)
    return 'eval:false' in d or bool(SKIP_FLAGS & {x.split(':')[0] for x in d})

if __name__ == '__main__':
    src, dst = sys.argv[1:3]
    sys.argv = [src]
    nb = read_nb(src)
    CaptureShell(src).run_all(nb, exc_stop=True, preproc=skip)
    write_nb(nb, dst)
