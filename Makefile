# One virtual environment in .venv; torch is the CPU build (the default wheel pulls CUDA, several GB).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_SPEC := torch==2.13.0
# Offices without /opt/wheels get the CPU build from PyTorch's own index.
TORCH_SOURCE := $(if $(wildcard /opt/wheels/torch-2.13.0*),--find-links /opt/wheels,--index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple)
INDEX ?= var/index
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install test test-fast test-slow test-web lint serve eval eval-with-sentences eval-cv eval-sentences bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q $(TORCH_SOURCE) "$(TORCH_SPEC)"
	$(PIP) install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

test: install
	$(PY) -m pytest -q

# the tier without the real model or the load test: storage, filters, fusion, API contract (seconds)
test-fast: install
	$(PY) -m pytest -q -m "not model and not slow"

lint: install
	$(PY) -m ruff check indexer search_api eval tests
	$(PY) -m mypy

test-slow: install
	$(PY) -m pytest -q -m slow

# the staff web page in Chromium; rewrites docs/screenshots/*.png
test-web: install
	$(PY) -m pytest -q tests/test_web.py

serve: install
	$(VENV)/bin/zhengce serve --index $(INDEX) --corpus corpus --host $(HOST) --port $(PORT)

eval: install
	$(VENV)/bin/zhengce eval --dataset ../shared/eval/msgabench_govqa --split dev --json var/eval-msgabench.json
	$(VENV)/bin/zhengce eval --dataset ../shared/eval/ncppolicies --split dev --json var/eval-ncppolicies.json

# the dev sets evaluated on indexes that keep each chunk's sentence vectors (what the learned ranker
# reads; the same figures as make eval). The first run embeds every sentence of both dev corpora:
# about 30 minutes on two cores; later runs find them in the embedding cache
eval-with-sentences: install
	$(VENV)/bin/zhengce eval --sentences --dataset ../shared/eval/msgabench_govqa --split dev --json var/eval-msgabench-s.json
	$(VENV)/bin/zhengce eval --sentences --dataset ../shared/eval/ncppolicies --split dev --json var/eval-ncppolicies-s.json

# the query adapter (both sets, NCPP weighted 0.3) with LambdaRank on the same folds, one deal of the
# folds per seed, then each query's held-out figures averaged over the deals (eval/results.md, section 21)
DEALS ?= 0 1 2 3 4 5
eval-cv: eval-with-sentences
	for seed in $(DEALS); do \
	  $(PY) -m eval.adapt var/eval-msgabench-s.json var/eval-ncppolicies-s.json --weights 1,0.3 --seed $$seed \
	    --learn var/cv/$$seed --json var/cv/$$seed/adapt.json && \
	  $(PY) -m eval.learn train var/cv/$$seed/*.pkl --variants lambdarank+hybrid --json var/cv/$$seed/learn.json \
	  || exit 1; done
	$(PY) -m eval.learn repeated var/cv/*/learn.json --variant lambdarank+hybrid --json var/cv/repeated.json

# each chunk scored by its best sentence too (eval/results.md, section 22): the three-score blend
# cross-validated, then the shipped ranker's variant (LambdaRank over the fusion score and the sentence
# scores), each query averaged over six fold deals
eval-sentences: eval-with-sentences
	$(PY) -m eval.sentences var/eval-msgabench-s.json var/eval-ncppolicies-s.json --json var/sentences-cv.json
	$(PY) -m eval.learn dump var/eval-msgabench-s.json
	$(PY) -m eval.learn dump var/eval-ncppolicies-s.json
	for seed in $(DEALS); do \
	  $(PY) -m eval.learn train var/eval/learn/*.pkl --variants lambdarank+hybrid-no-doc+sentences --seed $$seed \
	    --json var/cv-sentences/$$seed.json || exit 1; done
	$(PY) -m eval.learn repeated var/cv-sentences/*.json --variant lambdarank+hybrid-no-doc+sentences \
	  --json var/cv-sentences/repeated.json

bench: install
	$(VENV)/bin/zhengce bench --out eval/bench-report.json

clean:
	rm -rf $(VENV) var .pytest_cache
