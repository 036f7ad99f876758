"""Train and cross-validate the learned ranker (indexer.retrieval.rerank) on the dev splits.

    zhengce eval --dataset ../shared/eval/ncppolicies --json var/eval-ncppolicies.json   # each set, once
    python -m eval.learn dump var/eval-ncppolicies.json   # candidates + features of that run's index
    python -m eval.learn dump var/eval-msgabench.json
    python -m eval.learn train var/eval/learn/*.pkl [--json CV.json] [--write PATH]   # 5-fold CV, then the model
    python -m eval.learn repeated CV-seed*.json --variant V   # per-query mean over deals of the folds

``dump`` (``dumps``) saves each dev query's candidate pool, searched exactly as ``zhengce eval`` does,
with its features and labels; ``train`` cross-validates each variant (``variants``: the pairwise
logistic model of ``logistic`` and the LightGBM LambdaRank models of ``lambdarank``) by query
(``crossval``) and compares the held-out rankings with today's fusion (``report``); ``--write`` then
trains one LambdaRank variant on every query and exports its trees to the path given (``export``;
``make rerank-model`` passes the shipped model's place in the source tree).
"""
