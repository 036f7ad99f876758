"""`zhengce eval --dataset DIR`: retrieval evaluation on a BEIR-layout dataset (eval.harness)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from eval.harness import DEFAULT_CACHE, DEFAULT_RUNS, format_table, run_eval
from indexer.gongwen.chunk import ChunkSettings
from indexer.index.settings import IndexSettings


def main_eval(args: Any) -> int:
    """`zhengce eval --dataset DIR [--split S] [--retrievers R,...] [--max-queries N] [--json OUT] ...`."""
    settings = IndexSettings()
    chunk = ChunkSettings.for_target(args.chunk_chars) if getattr(args, "chunk_chars", None) else ChunkSettings()
    settings.chunk = replace(chunk, heading_path=not getattr(args, "no_heading_path", False))
    results = run_eval(
        args.dataset,
        args.split,
        args.retrievers,
        args.level,
        args.max_queries,
        args.cache or DEFAULT_CACHE,
        args.runs_dir or DEFAULT_RUNS,
        seed=args.seed,
        depth=args.depth,
        settings=settings,
    )
    print(format_table(results))
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"results: {args.json_out}")
    return 0
