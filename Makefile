# Quick start: `make demo` (every bundled scenario -> results/ and figures/) and `make test`.
# Each target creates the virtual environment .venv and installs what it needs.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint docs bench clean

demo: $(VENV)/.installed
	$(BIN)/lbp-headache demo --out results --figures figures
	$(BIN)/lbp-headache sweep scenarios/sweeps/chronification_map.yaml --out results/sweeps/chronification_map
	cp results/sweeps/chronification_map/figures/persistent_back_pain__headache_days_per_month_map.png figures/chronification_map.png
	$(BIN)/lbp-headache trial manual_therapy_ctth --out results/trials/manual_therapy_ctth
	cp results/trials/manual_therapy_ctth/figures/replicates.png figures/trial_manual_therapy_ctth.png
	# The committed calibration result, if any: its report's figures and docs/calibration.md.
	if [ -f calibration/result/calibration_result.json ]; then \
	  $(BIN)/lbp-headache calibrate --report-only calibration/result --out results/calibration_report && \
	  for f in observed_vs_predicted posterior_vs_prior posterior_correlations target_constraint; do \
	    cp results/calibration_report/$$f.png figures/calibration_$$f.png; done; \
	fi
	$(BIN)/python -m lbp_headache.report.docs

test: $(VENV)/.installed-dev
	$(BIN)/ruff check model tests benchmarks
	$(BIN)/python -m lbp_headache.report.docs --check
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check model tests benchmarks
	$(BIN)/lint-imports

docs: $(VENV)/.installed
	$(BIN)/python -m lbp_headache.report.docs

# Speed, accuracy and memory against libRoadRunner (on demand, not in CI): benchmarks/README.md.
bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

$(VENV)/.created:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "lbp-headache needs Python >= 3.10 (set PYTHON=python3.x)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.created pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) results build *.egg-info
