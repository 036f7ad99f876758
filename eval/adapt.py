"""Train and cross-validate the query adapter (indexer.embed.adapter) on the dev splits.

    zhengce eval --dataset ../shared/eval/msgabench_govqa --json var/eval-msgabench.json   # each set, once
    zhengce eval --dataset ../shared/eval/ncppolicies --json var/eval-ncppolicies.json
    python -m eval.adapt var/eval-msgabench.json var/eval-ncppolicies.json [--weights 1,0] [--json CV.json]
        [--write var/query_adapter.npz]

The queries of every set are dealt into folds (a query never in both training and evaluation; with
``--group-by-document`` the queries sharing a gold document stay together). For each fold an adapter
is trained on the other folds of all sets together; then ``zhengce eval`` runs each set again with
every query encoded by the adapter of its own held-out fold, through the real Searcher, and the
per-query dense and hybrid figures are compared with the given runs by a paired randomisation test.
``--write FILE`` then trains one adapter on every query and writes it there with its record; an office
trains one on its own judged questions (an adapter learnt on one collection loses on another:
eval/results.md, section 19) and serves with ``ZHENGCE_QUERY_ADAPTER=FILE``.

Training: softmax over the chunks relevant to the training queries of the same set (in-batch
negatives; every chunk of a gold document counts as relevant), loss -log(share of the relevant
chunks), each set's mean times its weight (``--weights``, default 1 each) added, plus a penalty on
|W|^2; full-batch Adam. Negatives from the whole
collection lose on MSGA (eval/results.md, section 18): there each answer answers one question, so
the adapter would learn to push queries away from the answers of questions it has not seen.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.significance import compare
from indexer.embed import Embedder
from indexer.embed.adapter import QueryAdapter

FOLDS = 5
RETRIEVERS = "dense,hybrid-linear-0.7"  # the adapter under the fixed blend (eval/results.md, section 19)


@dataclass(frozen=True)
class Training:
    """Fixed before the held-out hybrid runs (eval/results.md, section 18)."""

    epochs: int = 150
    learning_rate: float = 2e-3
    temperature: float = 0.02
    penalty: float = 0.01  # x |W|^2


@dataclass
class SetVectors:
    """One set's queries with their vectors and, per query, the rows of its relevant chunks."""

    dataset: str
    results_path: Path
    query_ids: list[str]
    texts: list[str]
    groups: list[str]  # queries with the same group share a fold
    vectors: np.ndarray  # (queries, dim), the model's own query vectors
    chunks: np.ndarray  # (chunks, dim), the index's passage vectors
    relevant: list[np.ndarray]  # chunk rows per query
    embedder: Any = None  # the index's plain model, loaded once: the held-out runs encode through it


def load_set(results_path: Path, *, group_by_document: bool) -> SetVectors:
    """The set behind a ``zhengce eval --json`` run, read from that run's own index."""
    from eval.datasets import load_dataset
    from eval.harness import judged_units, resolve_level
    from indexer.index.settings import IndexSettings
    from indexer.index.stores import open_store

    results = json.loads(results_path.read_text(encoding="utf-8"))
    dataset = load_dataset(Path(results["dataset_path"]), results["split"])
    if dataset.is_passage_set:
        raise SystemExit("the adapter is trained on BEIR sets (corpus ids as units)")
    qrels = judged_units(dataset, resolve_level(dataset, results["level"]))
    index = open_store("local", index_dir=results["index"]["dir"]).open()
    rows_of: dict[str, list[int]] = {}
    for row, chunk in enumerate(index.chunks):
        rows_of.setdefault(chunk.doc_id, []).append(row)
    query_ids = sorted(dataset.queries)  # those without a relevant unit are searched, never trained on
    gold = {q: sorted(u for u, v in qrels.get(q, {}).items() if v > 0) for q in query_ids}
    texts = [dataset.queries[q] for q in query_ids]
    embedder = index.manifest.load_embedder(cache=IndexSettings().embed_cache, query_adapter=False)
    return SetVectors(
        dataset=dataset.name,
        results_path=results_path,
        query_ids=query_ids,
        texts=texts,
        groups=_groups(query_ids, texts, gold) if group_by_document else texts,
        vectors=embedder.encode_queries(texts),
        chunks=np.asarray(index.vectors(range(len(index.chunks))), dtype=np.float32),
        relevant=[np.array(sorted(r for u in gold[q] for r in rows_of.get(u, [])), dtype=np.int64) for q in query_ids],
        embedder=embedder,
    )


def _groups(query_ids: list[str], texts: list[str], gold: dict[str, list[str]]) -> list[str]:
    """Each query's first gold document; a text asked twice follows its first query's document, so
    one text is never in two folds."""
    first: dict[str, str] = {}
    for query_id, text in zip(query_ids, texts):
        first.setdefault(text, gold[query_id][0] if gold[query_id] else text)
    return [first[text] for text in texts]


def deal_folds(sets: list[SetVectors], folds: int, seed: int) -> list[np.ndarray]:
    """Fold of each query, set by set: the groups of each set are shuffled and dealt out."""
    rng = np.random.default_rng(seed)
    assignment = []
    for data in sets:
        groups = sorted(set(data.groups))
        fold_of = {g: position % folds for position, g in enumerate(groups[i] for i in rng.permutation(len(groups)))}
        folds_of_text: dict[str, set[int]] = {}
        for text, group in zip(data.texts, data.groups):
            folds_of_text.setdefault(text, set()).add(fold_of[group])
        if any(len(f) > 1 for f in folds_of_text.values()):  # one text, two folds: it would be trained on
            raise SystemExit(f"{data.dataset}: the same query text falls in two folds; group by text")
        assignment.append(np.array([fold_of[g] for g in data.groups]))
    return assignment


def train(sets: list[SetVectors], masks: list[np.ndarray], training: Training,
          weights: list[float] | None = None) -> np.ndarray:
    """W for the queries selected by ``masks`` (one boolean row mask per set); ``weights`` scale each
    set's mean loss (a set of weight 0 is only evaluated, never trained on)."""
    import torch

    torch.manual_seed(0)
    batches = []
    for data, mask, weight in zip(sets, masks, weights or [1.0] * len(sets)):
        if weight == 0:
            continue
        chosen = np.flatnonzero(mask & np.array([len(r) > 0 for r in data.relevant]))
        pool = np.unique(np.concatenate([data.relevant[i] for i in chosen]))
        is_relevant = np.zeros((len(chosen), len(pool)), dtype=bool)
        for row, i in enumerate(chosen):
            is_relevant[row, np.searchsorted(pool, data.relevant[i])] = True
        batches.append((weight, torch.from_numpy(data.vectors[chosen]), torch.from_numpy(data.chunks[pool]),
                        torch.from_numpy(is_relevant)))
    dim = sets[0].vectors.shape[1]
    matrix = torch.zeros(dim, dim, requires_grad=True)
    optimiser = torch.optim.Adam([matrix], lr=training.learning_rate)
    for _ in range(training.epochs):
        optimiser.zero_grad()
        loss = training.penalty * (matrix ** 2).sum()
        for weight, queries, chunks, labels in batches:
            moved = torch.nn.functional.normalize(queries + queries @ matrix, dim=1)
            logits = moved @ chunks.T / training.temperature
            relevant = logits.masked_fill(~labels, float("-inf"))
            loss = loss + weight * (torch.logsumexp(logits, 1) - torch.logsumexp(relevant, 1)).mean()
        loss.backward()
        optimiser.step()
    return matrix.detach().numpy().astype(np.float32)


class HeldOutEmbedder:
    """Each query text through the adapter of its own held-out fold; passages unchanged."""

    def __init__(self, inner: Embedder, adapter_of: dict[str, QueryAdapter]) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self._adapter_of = adapter_of

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        vectors = self.inner.encode_queries(texts)
        return np.vstack([self._adapter_of[t].apply(v[None, :]) for t, v in zip(texts, vectors)])

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self.inner.encode_passages(texts)


def fold_adapters(sets: list[SetVectors], model_id: str, training: Training, assignment: list[np.ndarray],
                  weights: list[float] | None = None) -> list[QueryAdapter]:
    """One adapter per fold, each trained on the queries of every other fold."""
    adapters = []
    for k in range(int(max(fold.max() for fold in assignment)) + 1):
        adapters.append(QueryAdapter(model_id, train(sets, [fold != k for fold in assignment], training, weights)))
        print(f"fold {k + 1} trained", file=sys.stderr, flush=True)
    return adapters


def held_out_embedder(data: SetVectors, fold: np.ndarray, adapters: list[QueryAdapter]) -> HeldOutEmbedder:
    """The index's plain model, each query of ``data`` through its own fold's adapter."""
    return HeldOutEmbedder(data.embedder, {text: adapters[k] for text, k in zip(data.texts, fold.tolist())})


def cross_validate(sets: list[SetVectors], assignment: list[np.ndarray], adapters: list[QueryAdapter], *,
                   seed: int = 0) -> dict[str, dict[str, Any]]:
    """Held-out dense and hybrid of each set through ``zhengce eval``, against the given runs."""
    from eval.harness import run_eval

    rows: dict[str, dict[str, Any]] = {}
    for data, fold in zip(sets, assignment):
        measured = json.loads(data.results_path.read_text(encoding="utf-8"))
        held_out = run_eval(measured["dataset_path"], measured["split"], RETRIEVERS,
                            cache_dir=Path(measured["index"]["dir"]).parent,
                            embedder=held_out_embedder(data, fold, adapters), runs_dir=None, seed=seed,
                            progress=False)
        rows[data.dataset] = {}
        for name in RETRIEVERS.split(","):
            before = measured["retrievers"][name]["per_query"]
            after = held_out["retrievers"][name]["per_query"]
            entry = {}
            for metric in ("nDCG@10", "R@10"):
                result = compare(before, after, metric=metric, names=(f"{data.dataset}:{name}",
                                                                      f"{data.dataset}:{name}+adapter"), seed=seed)
                entry[metric] = {"before": round(result.mean_a, 4), "after": round(result.mean_b, 4),
                                 "difference": round(result.difference, 4), "p": round(result.p_value, 4)}
                print(result.summary(), flush=True)
            rows[data.dataset][name] = entry
    return rows


def dump_for_learning(sets: list[SetVectors], assignment: list[np.ndarray], adapters: list[QueryAdapter],
                      out_dir: Path) -> None:
    """eval.learn's candidate dumps with held-out adapted query vectors and these very folds, so a
    ranker trained on them (``python -m eval.learn train DIR/*.pkl``) is cross-validated with the
    adapter: no query's label reaches its own vector or its own ranker."""
    from eval.learn.dumps import dump

    for data, fold in zip(sets, assignment):
        folds = dict(zip(data.query_ids, fold.tolist()))
        print(dump(data.results_path, out_dir, embedder=held_out_embedder(data, fold, adapters), folds=folds),
              file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="+", type=Path, help="zhengce eval --json files (their indexes are read)")
    parser.add_argument("--group-by-document", action="store_true",
                        help="keep the queries of one gold document in one fold (memorisation check)")
    defaults = Training()
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--temperature", type=float, default=defaults.temperature)
    parser.add_argument("--penalty", type=float, default=defaults.penalty, help="weight of |W|^2")
    parser.add_argument("--weights", help="comma-separated loss weight of each set, in order (default: 1 each;"
                        " 0: evaluated only)")
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-cv", action="store_true", help="with --write: train and write without the CV runs")
    parser.add_argument("--json", type=Path, help="write the cross-validated figures here")
    parser.add_argument("--learn", type=Path, metavar="DIR",
                        help="also dump eval.learn's candidates with the held-out adapted vectors and these folds")
    parser.add_argument("--write", type=Path, metavar="FILE",
                        help="then train on every query and write the adapter here (ZHENGCE_QUERY_ADAPTER=FILE uses it)")
    args = parser.parse_args(argv)
    sets = [load_set(path, group_by_document=args.group_by_document) for path in args.results]
    model_id = sets[0].embedder.model_id
    training = Training(args.epochs, args.learning_rate, args.temperature, args.penalty)
    weights = [float(w) for w in args.weights.split(",")] if args.weights else [1.0] * len(sets)
    if len(weights) != len(sets) or not any(weights):
        raise SystemExit("--weights: one weight per results file, not all 0")
    rows: dict[str, dict[str, Any]] = {}
    if not args.skip_cv:
        assignment = deal_folds(sets, args.folds, args.seed)
        adapters = fold_adapters(sets, model_id, training, assignment, weights)
        rows = cross_validate(sets, assignment, adapters, seed=args.seed)
        if args.learn:
            dump_for_learning(sets, assignment, adapters, args.learn)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    if args.write:
        matrix = train(sets, [np.ones(len(s.query_ids), dtype=bool) for s in sets], training, weights)
        record = {"trained_on": {s.dataset: len(s.query_ids) for s, w in zip(sets, weights) if w},
                  "weights": dict(zip((s.dataset for s in sets), weights)), "training": asdict(training),
                  "negatives": "in-batch: the chunks relevant to the training queries of the same set",
                  "cross_validated": rows, "folds": args.folds, "seed": args.seed,
                  "command": " ".join(["python -m eval.adapt", *(argv if argv is not None else sys.argv[1:])])}
        args.write.parent.mkdir(parents=True, exist_ok=True)
        QueryAdapter(model_id, matrix, record).save(args.write)
        print(f"wrote {args.write}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
