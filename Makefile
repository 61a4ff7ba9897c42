# Two commands do everything: `make train` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
ARGS ?=

.PHONY: train test explain bench dashboard clean

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e . || $(PY) -m pip install --quiet --no-deps -e .
	touch $@

train: $(VENV)/.installed  ## train the deck's network, logging to runs/ (extra flags: ARGS="--steps 3300")
	$(PY) scripts/train.py $(ARGS)

test: $(VENV)/.installed  ## the whole test suite
	$(PY) -m pytest -q $(ARGS)

explain: $(VENV)/.installed  ## the worked example, step by step, with the deck's errata
	$(PY) scripts/explain.py $(ARGS)

bench: $(VENV)/.installed  ## speed and memory figures, side by side
	$(PY) scripts/benchmark.py $(ARGS)

dashboard: $(VENV)/.installed  ## TensorBoard on http://localhost:6006
	$(VENV)/bin/tensorboard --logdir runs --host localhost --port 6006

clean:
	rm -rf $(VENV) *.egg-info
