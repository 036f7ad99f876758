"""`zhengce eval --answers` without a dataset: does /ask answer what the documents say and refuse
what they do not, and does /similar say when nothing handled a proposal?

The yardstick is ``eval/data/trust`` (its README): staff-style questions about ``corpus/`` and the
published pages, answerable ones with the fact an answer must hold, unanswerable ones on the same
matters, off-topic ones; and pasted proposals on and off the matters of ``corpus/``. Questions are
asked of an index of both folders (the one ``eval.precedents`` builds), and again of ``corpus/``
alone for the questions about it (the pages taken out); proposals of ``corpus/`` alone. Reported at
the shipped floors and along the floor: answered right (answerable: the answer holds the fact),
answered (answerable), falsely answered (unanswerable and off-topic: any answer), and /similar's
``found`` right per proposal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from eval.datasets import comparable
from eval.harness import DEFAULT_CACHE

TRUST = Path(__file__).resolve().parent / "data" / "trust"
TOP_K = 5  # /ask's default number of passages read
FLOORS = np.round(np.arange(0.1, 0.91, 0.05), 2)


def load_rows(name: str, folder: Path = TRUST) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def run_trust_eval(folder: Path = TRUST, cache_dir: Path = DEFAULT_CACHE) -> dict[str, Any]:
    """Every question's answer (its confidence, whether it holds the expected fact) over both scopes,
    and every proposal's best precedent confidence over ``corpus/``."""
    from eval.confidence_dumps import Without
    from eval.precedents import load_set, precedent_index
    from indexer.retrieval import answers, precedents
    from indexer.retrieval.search import Searcher

    files, _, _ = load_set()
    index, embedder, corpus_id = precedent_index(files, cache_dir)
    corpus_only = Without(index, {doc_id for doc_id, name in corpus_id.items() if not name.startswith("corpus/")}).index
    threshold = answers.load_threshold()
    results: dict[str, Any] = {"questions": {}, "proposals": {}}
    calibration = Searcher(index, embedder).calibration
    if calibration is None:
        raise SystemExit("no confidence model: run python -m eval.calibration fit --write")
    for scope, searched in (("corpus+pages", index), ("corpus", corpus_only)):
        searcher = Searcher(searched, embedder, calibration=calibration)
        rows = []
        for row in load_rows("questions.jsonl", folder):
            where = row.get("source") or row.get("near") or ""
            if scope == "corpus" and where.startswith("pages/"):
                continue
            hits = searcher.search(row["text"], top_k=TOP_K)
            answer = answers.extract_answer(row["text"], hits, embedder, threshold, searched, calibration)
            text = "".join(s.text for s in answer.sentences)
            rows.append({"id": row["_id"], "kind": row["kind"], "answered": answer.found,
                         "confidence": answer.confidence, "reason": answer.reason,
                         "right": bool(answer.found and row.get("expect")
                                       and comparable(row["expect"]) in comparable(text)),
                         "answer": text[:200]})
        results["questions"][scope] = rows
    searched = corpus_only
    for row in load_rows("proposals.jsonl", folder):
        parts = precedents.input_parts(row["text"], searched)
        texts = [row["text"][p.char_start : p.char_end] for p in parts]
        found = precedents.find_precedents(searched, parts, texts, embedder.encode_queries(texts), top_k=5)
        precedents.calibrate(found, calibration)
        best = max((p.confidence or 0.0 for p in found), default=0.0)
        results["proposals"][row["_id"]] = {"on_topic": row["on_topic"], "confidence": best,
                                            "top": found[0].document.source if found else None}
    results["floors"] = {"answer": calibration.floor("answer"), "similar": calibration.floor("similar")}
    results["summary"] = summarise(results)
    return results


def answer_shares(rows: list[dict[str, Any]], floor: float) -> dict[str, float]:
    """At ``floor``: answered right and answered among answerable questions, answered among the rest."""
    def answered(row: dict[str, Any]) -> bool:
        return bool(row["answered"] and row["confidence"] is not None and row["confidence"] >= floor)

    kinds: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        kinds.setdefault(row["kind"], []).append(row)
    answerable = kinds.get("answerable", [])
    return {
        "answerable": len(answerable),
        "answered_right": float(np.mean([answered(r) and r["right"] for r in answerable])) if answerable else 0.0,
        "answered": float(np.mean([answered(r) for r in answerable])) if answerable else 0.0,
        **{f"{kind}_answered": float(np.mean([answered(r) for r in kinds.get(kind, [])])) if kinds.get(kind) else 0.0
           for kind in ("unanswerable", "off_topic")},
        **{f"{kind}_count": float(sum(answered(r) for r in kinds.get(kind, []))) for kind in ("unanswerable", "off_topic")},
        **{f"{kind}s": len(kinds.get(kind, [])) for kind in ("unanswerable", "off_topic")},
    }


def summarise(results: dict[str, Any]) -> dict[str, Any]:
    floors = results["floors"]
    summary: dict[str, Any] = {}
    for scope, rows in results["questions"].items():
        summary[scope] = {"at_floor": answer_shares(rows, floors["answer"]),
                          "curve": [{"floor": float(f), **answer_shares(rows, float(f))} for f in FLOORS]}
    proposals = results["proposals"].values()
    summary["proposals"] = {
        "found_right": int(sum((p["confidence"] >= floors["similar"]) == p["on_topic"] for p in proposals)),
        "proposals": len(proposals),
        "curve": [{"floor": float(f), "found_right": int(sum((p["confidence"] >= f) == p["on_topic"] for p in proposals))}
                  for f in FLOORS],
    }
    return summary


def format_trust_table(results: dict[str, Any]) -> str:
    summary, floors = results["summary"], results["floors"]
    lines = []
    for scope in results["questions"]:
        at = summary[scope]["at_floor"]
        lines.append(f"{scope}: {at['answerable']} answerable, {at['unanswerables']} unanswerable, "
                     f"{at['off_topics']} off-topic questions; answer floor {floors['answer']:.2f}")
        lines.append("  floor  answered right  answered  unanswerable answered  off-topic answered")
        for row in summary[scope]["curve"]:
            mark = " *" if abs(row["floor"] - floors["answer"]) < 1e-9 else ""
            lines.append(f"  {row['floor']:5.2f}  {row['answered_right']:14.3f}  {row['answered']:8.3f}  "
                         f"{row['unanswerable_answered']:21.3f}  {row['off_topic_answered']:18.3f}{mark}")
        lines.append(f"  at the floor: {at['unanswerable_count']:.0f} of {at['unanswerables']} unanswerable and "
                     f"{at['off_topic_count']:.0f} of {at['off_topics']} off-topic questions answered")
    p = summary["proposals"]
    lines.append(f"/similar over corpus/: found right for {p['found_right']} of {p['proposals']} proposals "
                 f"(floor {floors['similar']:.2f})")
    return "\n".join(lines)
