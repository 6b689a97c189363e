# The README's commands. Needs only python3 (3.11+) and make; everything else is
# installed into .venv by the first target that needs it: `make demo` installs only
# what the main job needs, `make test` adds the test, MPI, Dask, app (viz), browser,
# calibration and analysis extras (the app's browser test drives the system's Chromium),
# `make experiments` the analysis extra (scenario discovery, SALib).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CORE   := $(VENV)/.installed-core
DEV    := $(VENV)/.installed-dev
ANA    := $(VENV)/.installed-analysis
# pytest workers: both cores by default (override: make test JOBS=1)
JOBS   ?= 2
# the scenario `make app` starts from
SCENARIO ?= experiments/app/small.toml

CALIB  := $(VENV)/.installed-calib

.PHONY: install demo test bench experiments calibration lint clean app

install: $(CORE)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(CORE): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $(CORE)

$(DEV): pyproject.toml $(CORE)
	$(BIN)/python -m pip install -q -e ".[dev,mpi,dask,viz,browser,calib,analysis]"
	touch $(DEV)

$(ANA): pyproject.toml $(CORE)
	$(BIN)/python -m pip install -q -e ".[analysis]"
	touch $(ANA)

## The main job: the bundled policy scenarios -> results/ (tables, figures, report)
demo: $(CORE)
	$(BIN)/diffusion-sim compare experiments/policy_comparison.toml --out results/policy_comparison

## The whole test suite
test: $(DEV)
	$(BIN)/ruff check src tests benchmarks experiments
	$(BIN)/python -m pytest -q -n $(JOBS) tests

## The interactive app on http://127.0.0.1:8765/ (SCENARIO=path.toml to start from one)
app: $(CORE)
	$(BIN)/python -m pip install -q -e ".[viz]"
	$(BIN)/diffusion-sim app $(SCENARIO)

## The research experiments (figures and tables under results/<experiment>/)
experiments: $(ANA)
	$(BIN)/python experiments/strategy_mix/run.py results/strategy_mix
	$(BIN)/diffusion-sim compare experiments/seeding/comparison.toml --out results/seeding
	$(BIN)/diffusion-sim compare experiments/counterproductive/comparison.toml --out results/counterproductive
	$(BIN)/diffusion-sim sweep experiments/sensitivity/sweep.toml --out results/sensitivity --resume
	$(BIN)/diffusion-sim compare experiments/motivation/comparison.toml --out results/motivation
	$(BIN)/python experiments/reinforcement/run.py results/reinforcement
	$(BIN)/diffusion-sim compare experiments/robustness/comparison.toml --out results/robustness

## Calibration: the illustrative example and the coverage experiment (needs the calib
## extra: pyabc, optuna; the coverage run takes tens of minutes on 2 cores)
$(CALIB): pyproject.toml $(CORE)
	$(BIN)/python -m pip install -q -e ".[calib]"
	touch $(CALIB)

calibration: $(CALIB)
	$(BIN)/diffusion-sim calibrate experiments/calibration/illustrative.toml --out results/calibration --resume
	$(BIN)/diffusion-sim compare experiments/calibration/comparison.toml --out results/calibration_comparison
	$(BIN)/python experiments/calibration/coverage.py results/calibration_coverage

## Speed benchmarks (by hand, not in CI)
bench: $(DEV)
	$(BIN)/python -m pip install -q -e ".[bench]"
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/bench_step.py
	$(BIN)/python benchmarks/bench_throughput.py
	$(BIN)/python benchmarks/bench_scale.py
	$(BIN)/python benchmarks/bench_peers.py

lint: $(DEV)
	$(BIN)/ruff check src tests benchmarks experiments
	$(BIN)/ruff format --check src tests benchmarks experiments

clean:
	rm -rf $(VENV) build *.egg-info
