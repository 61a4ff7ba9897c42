# Two commands do everything: `make train` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
ARGS ?=

.PHONY: train test explain bench dashboard sweep-dashboard mutants clean

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

# The server's flags and the address to open belong to torch_bp/training/dashboard.py; the
# command prints the address and starts TensorBoard. Runs and sweeps have a dashboard each.
dashboard: $(VENV)/.installed  ## TensorBoard on the training runs (runs/), http://localhost:6006
	$(PY) scripts/dashboard.py $(ARGS)

sweep-dashboard: $(VENV)/.installed  ## TensorBoard on the sweeps (sweeps/), their HParams table
	$(PY) scripts/dashboard.py --sweeps $(ARGS)

clean:
	rm -rf $(VENV) *.egg-info
