"""`zhengce eval`: retrieval evaluation (eval.harness), answer accuracy on a set with gold spans
(eval.answers), the trust yardstick (eval.trust: ``--answers`` without ``--dataset``) or a paired
significance test of two results files (eval.significance)."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer.cli.backend_flags import add_backend_flags
from indexer.errors import BadInput

if TYPE_CHECKING:
    from indexer.index.settings import IndexSettings


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    evaluate = commands.add_parser("eval", help="retrieval evaluation on a BEIR-layout dataset")
    evaluate.add_argument("--dataset", type=Path, default=None, help="a BEIR-layout folder (not needed with --compare)")
    add_backend_flags(evaluate)
    evaluate.add_argument("--split", default="dev")
    evaluate.add_argument("--retrievers", default=None,
                          help="default bm25,dense,hybrid-linear-0.7,hybrid (hybrid: the default fusion, learned "
                               "where the index keeps sentence vectors)")
    evaluate.add_argument("--level", choices=["auto", "passage", "document"], default="auto")
    evaluate.add_argument("--max-queries", type=int, default=None, help="evaluate a fixed sample")
    evaluate.add_argument("--quick", action="store_true",
                          help="the bundled seeds set (eval/data/seeds: 24 staff questions over corpus/) with bm25, dense "
                               "and hybrid, about half a minute; a smoke test of a set-up, not a measurement")
    evaluate.add_argument("--cache", type=Path, default=None, help="where built eval indexes live")
    evaluate.add_argument("--runs-dir", type=Path, default=None, help="where TREC run files go")
    evaluate.add_argument("--json", dest="json_out", type=Path, default=None, help="write results JSON")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the --max-queries sample")
    evaluate.add_argument("--depth", type=int, default=300, help="chunks retrieved per query before aggregation")
    evaluate.add_argument("--chunk-chars", type=int, default=None, help="target chunk size in characters")
    evaluate.add_argument("--no-heading-path", action="store_true",
                          help="embed and index passages without their document title and heading path")
    evaluate.add_argument("--no-sentences", action="store_true",
                          help="index without sentence vectors (hybrid then ranks by linear 0.7; not with a learned retriever)")
    evaluate.add_argument("--compare", nargs=2, default=None, metavar="RESULTS.json[:RETRIEVER]",
                          help="paired randomisation test of two --json results (second minus first); no search")
    evaluate.add_argument("--metric", default="nDCG@10", help="per-query metric --compare tests")
    evaluate.add_argument("--answers", action="store_true",
                          help="answer accuracy of /ask on the dataset's answers/<split>.jsonl gold spans, "
                          "also with each gold document removed; without --dataset: the trust yardstick "
                          "(eval/data/trust: questions the documents answer and do not, proposals for /similar)")
    evaluate.add_argument("--fusion", choices=("auto", "linear", "rrf", "learned"), default="auto",
                          help="with --answers: the hybrid fusion of /ask's retrieval (ZHENGCE_FUSION; default auto)")
    evaluate.add_argument("--drafts", action="store_true",
                          help="reply drafting: the share of each part's draft material from relevant documents "
                               "(eval/data/precedents and eval/data/drafting; no --dataset)")
    evaluate.add_argument("--generate", action="store_true",
                          help="with --answers: answers written by the ZHENGCE_LLM_* model, each sentence's citations "
                               "checked; the share of sentences kept and dropped (docs/llm.md)")
    evaluate.set_defaults(handler=main_eval)


def main_eval(args: argparse.Namespace) -> int:
    """`zhengce eval --dataset DIR [--split S] [--retrievers R,...] [--answers] [--json OUT] ...`,
    `zhengce eval --quick` or `zhengce eval --compare A.json[:R] B.json[:R] [--metric nDCG@10]`."""
    from indexer.gongwen.chunk import ChunkSettings
    from indexer.index.settings import IndexSettings

    if args.compare:
        return _compare(args)
    if getattr(args, "drafts", False):
        return _drafts(args)
    if getattr(args, "quick", False):
        from eval.harness import QUICK_DATASET, QUICK_RETRIEVERS

        if args.dataset is not None:
            raise BadInput("--quick evaluates the bundled seeds set: leave out --dataset")
        args.dataset, args.retrievers = QUICK_DATASET, args.retrievers or QUICK_RETRIEVERS
    if args.dataset is None and args.answers:
        return _trust(args)
    if args.dataset is None:
        raise BadInput("--dataset is required (or --compare A.json B.json, or --answers for the trust yardstick)")
    settings = IndexSettings()
    chunk = ChunkSettings.for_target(args.chunk_chars) if getattr(args, "chunk_chars", None) else ChunkSettings()
    settings.chunk = replace(chunk, heading_path=not getattr(args, "no_heading_path", False))
    settings.sentences = not getattr(args, "no_sentences", False)
    if args.answers and getattr(args, "generate", False):
        results = _generate(args, settings)
    elif args.answers:
        from eval.answers import DEFAULT_CACHE, format_answer_table, run_answer_eval

        results = run_answer_eval(args.dataset, args.split, args.max_queries, args.cache or DEFAULT_CACHE,
                                  seed=args.seed, settings=settings, fusion=args.fusion)
        print(format_answer_table(results))
    else:
        from eval.harness import DEFAULT_CACHE, DEFAULT_RETRIEVERS, DEFAULT_RUNS, format_table, run_eval

        results = run_eval(
            args.dataset,
            args.split,
            args.retrievers or DEFAULT_RETRIEVERS,
            args.level,
            args.max_queries,
            args.cache or DEFAULT_CACHE,
            args.runs_dir or DEFAULT_RUNS,
            seed=args.seed,
            depth=args.depth,
            settings=settings,
            backend=args.backend,
            milvus_uri=args.milvus_uri,
        )
        print(format_table(results))
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"results: {args.json_out}")
    return 0


def _trust(args: argparse.Namespace) -> int:
    """The trust yardstick (eval/data/trust): answered right, answered falsely, and /similar's found."""
    from eval.harness import DEFAULT_CACHE
    from eval.trust import format_trust_table, run_trust_eval

    results = run_trust_eval(cache_dir=args.cache or DEFAULT_CACHE)
    print(format_trust_table(results))
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=_plain), encoding="utf-8")
        print(f"results: {args.json_out}")
    return 0


def _plain(value: Any) -> Any:
    """numpy scalars as the Python numbers they hold."""
    return value.item() if hasattr(value, "item") else str(value)
def _generate(args: argparse.Namespace, settings: IndexSettings) -> dict[str, Any]:
    from eval.answers import DEFAULT_CACHE
    from eval.generate import format_generate_table, run_generate_eval
    from search_api.generation import llm_client
    from search_api.settings import Settings

    service_settings = Settings()
    client = llm_client(service_settings)
    if client is None:
        raise BadInput("--generate needs a model: set ZHENGCE_LLM_BASE_URL and ZHENGCE_LLM_MODEL (docs/llm.md)")
    with client:
        results = run_generate_eval(args.dataset, args.split, args.max_queries, client, cache_dir=args.cache or DEFAULT_CACHE,
                                    seed=args.seed, settings=settings, fusion=args.fusion,
                                    max_tokens=service_settings.llm_max_tokens,
                                    progress=args.json_out.with_suffix(".progress.jsonl") if args.json_out else None)
    print(format_generate_table(results))
    return results


def _compare(args: argparse.Namespace) -> int:
    from eval.significance import compare, load_per_query

    (name_a, scores_a), (name_b, scores_b) = (load_per_query(spec) for spec in args.compare)
    print(compare(scores_a, scores_b, metric=args.metric, names=(name_a, name_b)).summary())
    return 0


def _drafts(args: argparse.Namespace) -> int:
    from eval.drafting import format_drafting, run_drafting_eval
    from eval.harness import DEFAULT_CACHE

    results = run_drafting_eval(args.cache or DEFAULT_CACHE)
    print(format_drafting(results))
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"results: {args.json_out}")
    return 0
