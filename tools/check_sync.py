"""Check that the notebooks are clean and the package is exported: run nbdev_clean and nbdev_export and fail
if either changed a file (the changed files are left cleaned/exported, so a developer can commit them)."""
import hashlib, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

def snapshot():
    files = [*sorted((ROOT / 'notebooks').rglob('*.ipynb')), *sorted((ROOT / 'diffsolv').rglob('*.py'))]
    return {str(f.relative_to(ROOT)): hashlib.sha1(f.read_bytes()).hexdigest() for f in files if '.ipynb_checkpoints' not in f.parts}

before = snapshot()
subprocess.run([BIN / 'nbdev_clean'], cwd=ROOT, check=True)
after_clean = snapshot()
subprocess.run([BIN / 'nbdev_export'], cwd=ROOT, check=True)
after = snapshot()
dirty = sorted(k for k in before.keys() | after_clean.keys() if before.get(k) != after_clean.get(k))
stale = sorted(k for k in after_clean.keys() | after.keys() if after_clean.get(k) != after.get(k))
if dirty: print("nbdev_clean changed:", *dirty, sep='\n  ')
if stale: print("nbdev_export changed (diffsolv/ was not in sync with notebooks/):", *stale, sep='\n  ')
if dirty or stale: sys.exit(1)
print(f"notebooks clean and diffsolv/ in sync ({len(after)} files)")
