"""`zhengce eval --answers --generate`: what the office's model writes, and how much of it survives the check.

Each question goes through /ask's retrieval and extractive decision; where /ask would answer, the
model configured by ``ZHENGCE_LLM_*`` writes an answer from the passages and every sentence is
checked (``indexer.generation``). Reported: questions, model calls, how many answers were shown as
generated and why the others fell back, the generated sentences kept and dropped (by reason), and
an independent re-check (``recheck``, written apart from the checker and sharing none of its code)
of every sentence that passed the check: its count of failures must be 0.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval.answers import TOP_K
from eval.harness import DEFAULT_CACHE
from indexer.generation.client import MAX_TOKENS

if TYPE_CHECKING:
    from indexer.embed import Embedder
    from indexer.generation.client import ChatClient
    from indexer.index.settings import IndexSettings

_MARK = re.compile(r"[\[【［]\s*([\d,，、\s]+)\s*[\]】］]")
_ARABIC = re.compile(r"\d+(?:\.\d+)?")
_CN = "零〇一二两三四五六七八九十百千"
_CN_RUN = re.compile(f"[{_CN}]+")
_BRACKETED = re.compile(r"[〔\[［(（【]\s*((?:19|20)\d\d)\s*[〕\]］)）】]\s*第?\s*(\d+)\s*号")
_QUOTES = re.compile(r"「(.+?)」|“(.+?)”|《(.+?)》")


def recheck(sentence: str, passages: list[str]) -> list[str]:
    """Why a shown sentence fails (empty: it passes): markers in range, and every arabic number,
    文号 (year and number) and quoted phrase present in one passage it cites. Names are not
    re-checked (they need the checker's own tagger)."""
    numbers = [int(n) for m in _MARK.finditer(sentence) for n in re.findall(r"\d+", m.group(1))]
    if not numbers or any(not 1 <= n <= len(passages) for n in numbers):
        return [f"markers {numbers} outside 1..{len(passages)}"]
    cited = [_plain(passages[n - 1]) for n in numbers]
    claim = _plain(_MARK.sub(" ", sentence))
    failures = []
    for year, number in _BRACKETED.findall(claim):
        if not any(re.search(rf"{year}\D{{0,3}}第?0*{int(number)}号", p) for p in cited):
            failures.append(f"文号 {year} {number}")
    for groups in _QUOTES.findall(claim):
        phrase = next(g for g in groups if g)
        if not any(phrase in p for p in cited):
            failures.append(f"quote {phrase}")
    for value in map(_canon, _ARABIC.findall(claim)):
        if not any(value in _numbers_of(p) for p in cited):
            failures.append(f"number {value}")
    return failures


def _plain(text: str) -> str:
    return re.sub(r"(?<=\d),(?=\d)|\s+", "", unicodedata.normalize("NFKC", text))


def _canon(number: str) -> str:
    return number if "." in number else str(int(number))


def _numbers_of(text: str) -> set[str]:
    """Arabic numbers of a passage, and its Chinese numerals read both as a whole and digit by digit."""
    found = {_canon(v) for v in _ARABIC.findall(text)}
    for run in _CN_RUN.findall(text):
        found.update(_cn_values(run))
    return found


def _cn_values(run: str) -> set[str]:
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
    values = set()
    if all(c in digits for c in run):
        values.add(str(int("".join(str(digits[c]) for c in run))))
        values.add("".join(str(digits[c]) for c in run))
    total, current = 0, 0
    for c in run:
        if c in digits:
            current = digits[c]
        else:
            total += (current or 1) * {"十": 10, "百": 100, "千": 1000}[c]
            current = 0
    values.add(str(total + current))
    for i in range(len(run)):  # a numeral inside a longer run (三十二个 after 第)
        for j in range(i + 1, len(run) + 1):
            if all(c in digits for c in run[i:j]):
                values.add(str(int("".join(str(digits[c]) for c in run[i:j]))))
    return values


def run_generate_eval(dataset_dir: Path, split: str, max_queries: int | None, client: ChatClient | None, *,
                      cache_dir: Path = DEFAULT_CACHE, seed: int = 0, settings: IndexSettings | None = None,
                      fusion: str = "auto", index_dir: Path | None = None, embedder: Embedder | None = None,
                      threshold: float | None = None, max_tokens: int = MAX_TOKENS,
                      progress: Path | None = None) -> dict[str, Any]:
    """The figures above over (a seeded sample of) the split's questions; ``client`` a ChatClient or None.
    ``threshold``: /ask's (None: the calibrated one). ``progress``: each question's record is appended
    to this JSON-lines file as soon as it is judged (a slow model's run can be read before it ends)."""
    from eval.answers import answer_index
    from indexer.generation.answer import generate_answer
    from indexer.index.settings import IndexSettings
    from indexer.retrieval.answers import decide, load_threshold, score_sentences
    from indexer.retrieval.search import Searcher

    settings = settings if settings is not None else IndexSettings()
    full, gold, query_ids, index, embedder = answer_index(dataset_dir, split, max_queries, seed, cache_dir, settings,
                                                          index_dir, embedder)
    searcher = Searcher(index, embedder, fusion=fusion)
    threshold = load_threshold() if threshold is None else threshold
    calibration = searcher.calibration
    floor = calibration.floor("answer") if calibration is not None else None
    per_query: dict[str, Any] = {}
    started = time.monotonic()
    for query_id in query_ids:
        question = full.queries[query_id]
        hits = searcher.search(question, top_k=TOP_K)
        # /ask's own decision: no model call for a question it would not answer
        answered = decide(question, score_sentences(question, hits, embedder, index), hits, threshold, calibration,
                          floor).found
        outcome = generate_answer(question, hits, client, answered=answered, max_tokens=max_tokens)
        check = outcome.check
        passed = check.kept if check else []  # shown when the answer is generated; re-checked either way
        failures = {s.text: recheck(s.text, [src.text for src in outcome.sources]) for s in passed}
        per_query[query_id] = {
            "question": question, "model_called": answered and client is not None, "mode": outcome.mode,
            "why": outcome.why, "detail": outcome.detail, "generated": outcome.text,
            "kept": [s.text for s in passed],
            "dropped": [{"text": d.text, "code": d.code, "reason": d.reason} for d in check.dropped] if check else [],
            "recheck_failures": {t: f for t, f in failures.items() if f},
        }
        if progress is not None:
            with progress.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps({"query_id": query_id, **per_query[query_id]}, ensure_ascii=False) + "\n")
    return {
        "dataset": full.name, "split": split, "sample_seed": seed, "model": getattr(client, "model", None),
        "fusion": searcher.fusion, "threshold": threshold, "max_tokens": max_tokens,
        "seconds": round(time.monotonic() - started, 1), **figures(list(per_query.values())), "per_query": per_query,
    }


def figures(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The counts and shares of a run from its per-question records (a finished run's, or a progress file's)."""
    kept = sum(len(r["kept"]) for r in records)
    dropped = sum(len(r["dropped"]) for r in records)
    reasons = Counter(d["code"] for r in records for d in r["dropped"])
    outcomes = Counter(r["mode"] if r["mode"] == "generated" else f"extractive: {r['why']}" for r in records)
    total = kept + dropped
    return {
        "questions": len(records),
        "model_calls": sum(bool(r.get("model_called", r["why"] not in ("no_answer", "no_model"))) for r in records),
        "outcomes": dict(outcomes),
        "sentences": {"generated": total, "kept": kept, "dropped": dropped,
                      "kept_share": kept / total if total else None, "dropped_share": dropped / total if total else None,
                      "dropped_by_reason": dict(reasons.most_common())},
        "kept_sentences_failing_recheck": sum(len(r["recheck_failures"]) for r in records),
    }


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def format_generate_table(results: dict[str, Any]) -> str:
    s = results["sentences"]
    lines = [
        f"{results.get('dataset', '')} {results.get('split', '')}: {results['questions']} questions, model "
        f"{results.get('model')}, {results['model_calls']} model calls, {results.get('seconds', '-')} s",
        "outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(results["outcomes"].items())),
        f"generated sentences {s['generated']}: kept {s['kept']} ({_share(s['kept_share'])}), "
        f"dropped {s['dropped']} ({_share(s['dropped_share'])})",
        "dropped by reason: " + (", ".join(f"{k} {v}" for k, v in s["dropped_by_reason"].items()) or "none"),
        f"kept sentences failing the independent re-check: {results['kept_sentences_failing_recheck']}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # python -m eval.generate RUN.progress.jsonl: the figures of a run so far
    import sys

    lines = Path(sys.argv[1]).read_text(encoding="utf-8").splitlines()
    print(format_generate_table(figures([json.loads(line) for line in lines if line.strip()])))
