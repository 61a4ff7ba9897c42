# Two commands do everything: `make train` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
ARGS ?=

.PHONY: train test explain bench dashboard mutants clean

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e . || $(PY) -m pip install --quiet --no-deps -e .
	touch $@

train: $(VENV)/.installed  ## train the deck's network, logging to runs/ (extra flags: ARGS="--steps 3300")
	$(PY) scripts/train.py $(ARGS)

test: $(VENV)/.installed  ## the whole test suite, one worker per core (pytest-xdist; ARGS="-n 0" for one process)
	$(PY) -m pytest -q -n auto --dist worksteal $(ARGS)

explain: $(VENV)/.installed  ## the worked example, step by step, with the deck's errata
	$(PY) scripts/explain.py $(ARGS)

bench: $(VENV)/.installed  ## speed and memory figures, side by side
	$(PY) scripts/benchmark.py $(ARGS)

mutants: $(VENV)/.installed  ## mutation testing of the core, 20-50 min on 2 cores (not part of CI)
	$(PY) scripts/mutants.py $(ARGS)

# TensorBoard keeps 1,000 scalars and 10 images per tag unless told (and with its fast loader, 0
# keeps none): this keeps every round of runs up to 100,000 logged rounds, so round 1 and the last
# are there (tests/test_dashboard.py starts the server with this line).
TENSORBOARD_FLAGS := --samples_per_plugin scalars=100000,images=100
DASHBOARD_URL := http://localhost:6006/?smoothing=0&pinnedCards=%5B%7B%22plugin%22%3A%22scalars%22%2C%22tag%22%3A%22loss%2Ftotal%22%7D%5D\#timeseries

dashboard: $(VENV)/.installed  ## TensorBoard on http://localhost:6006, every logged round kept
	@echo 'open $(DASHBOARD_URL)  (loss/total pinned first, no smoothing)'
	$(VENV)/bin/tensorboard --logdir runs --host localhost --port 6006 $(TENSORBOARD_FLAGS)

clean:
	rm -rf $(VENV) *.egg-info
