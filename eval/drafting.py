"""The drafting yardstick: how much of a draft's material comes from documents graded relevant, per ask.

Two sets over the documents of ``corpus/`` and ``../shared/corpus/pages``:

- ``precedents``: the graded queries of ``eval/data/precedents`` (a new proposal's title or its concern
  in the proposer's words), parsed into asks as a pasted proposal is;
- ``pages``: ``eval/data/drafting/pages.jsonl``, each published reply page's proposal as the page states
  it (its title, and the asks it quotes), judged by the graded documents of the precedent query on
  the same matter, with the reply itself left out of what may be cited (it does not exist yet while
  its reply is being drafted).

For every ask: the passages a draft holds by default (``material.DEFAULT_TICKED``, what `zhengce draft`
writes) and all passages offered to staff. Reported: the share of ticked passages from relevant
documents (over passages, and averaged over asks that got some), how many asks got material, and of
the asks with no relevant document to cite, how many were (rightly) given none.

    zhengce eval --drafts [--json out.json]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval.harness import DEFAULT_CACHE
from eval.precedents import PRECEDENTS, load_set, precedent_index

PAGES_SET = Path(__file__).resolve().parent / "data" / "drafting" / "pages.jsonl"


def run_drafting_eval(cache_dir: Path = DEFAULT_CACHE, *, embedder: Any = None) -> dict[str, Any]:
    from indexer.gongwen.proposal import read_proposal
    from indexer.retrieval.material import find_material
    from indexer.retrieval.search import Searcher

    files, queries, qrels = load_set(PRECEDENTS)
    index, embedder, corpus_id = precedent_index(files, cache_dir, embedder)
    doc_id_of = {name: doc_id for doc_id, name in corpus_id.items()}
    searcher = Searcher(index, embedder)
    Case = tuple[str, str, dict[str, int], frozenset[str]]  # query id, text, graded documents, left out
    cases: list[Case] = [(query_id, text, qrels.get(query_id, {}), frozenset()) for query_id, text in queries.items()]
    sets: dict[str, list[Case]] = {"precedents": cases, "pages": []}
    for line in PAGES_SET.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            judged = {doc: grade for doc, grade in qrels[row["judged_by"]].items() if doc != row["page"]}
            sets["pages"].append((row["_id"], row["text"], judged, frozenset({doc_id_of[row["page"]]})))
    results: dict[str, Any] = {"documents": len(index.documents), "sets": {}}
    for name, items in sets.items():
        asks = []
        for query_id, text, judged, excluded in items:
            proposal = read_proposal(text)
            texts = [proposal.ask_text(ask) for ask in proposal.asks] or [text]
            for material in find_material(searcher, texts, exclude=excluded):
                relevant = {doc_id_of[doc] for doc, grade in judged.items() if grade >= 1 and doc in doc_id_of}
                asks.append({
                    "query": query_id, "ask": material.index, "text": material.text,
                    "relevant_in_index": len(relevant),
                    "ticked": [_cited(hit, relevant, corpus_id) for hit in material.default_ticks()],
                    "offered": [_cited(hit, relevant, corpus_id) for hit in material.passages],
                })
        results["sets"][name] = {"queries": len(items), "asks": asks, "summary": summarise(asks)}
    return results


def _cited(hit: Any, relevant: set[str], corpus_id: dict[str, str]) -> dict[str, Any]:
    return {"doc": corpus_id[hit.document.doc_id], "relevant": hit.document.doc_id in relevant,
            "cosine": round(hit.scores.get("dense", 0.0), 4)}


def summarise(asks: list[dict[str, Any]]) -> dict[str, Any]:
    """Shares over passages and over asks; ``None`` where nothing was there to count."""
    def share(numerator: float, denominator: float) -> float | None:
        return round(numerator / denominator, 4) if denominator else None

    answerable = [a for a in asks if a["relevant_in_index"]]
    unanswerable = [a for a in asks if not a["relevant_in_index"]]
    out: dict[str, Any] = {"asks": len(asks), "asks_with_relevant_documents": len(answerable)}
    for kind in ("ticked", "offered"):
        passages = [p for a in asks for p in a[kind]]
        with_material = [a for a in asks if a[kind]]
        out[kind] = {
            "passages": len(passages),
            "relevant_share": share(sum(p["relevant"] for p in passages), len(passages)),
            "relevant_share_per_ask": share(sum(sum(p["relevant"] for p in a[kind]) / len(a[kind])
                                                for a in with_material), len(with_material)),
            "asks_with_material": len(with_material),
            "answerable_asks_with_relevant_material": share(
                sum(any(p["relevant"] for p in a[kind]) for a in answerable), len(answerable)),
            "unanswerable_asks_given_nothing": share(sum(not a[kind] for a in unanswerable), len(unanswerable)),
        }
    return out


def format_drafting(results: dict[str, Any]) -> str:
    lines = [f"drafting: material per ask over {results['documents']} documents (default ticked / all offered)",
             "set          asks  with-rel  relevant share (passages | per ask)   answerable: got relevant   "
             "unanswerable: given none"]
    for name, entry in results["sets"].items():
        s = entry["summary"]
        for kind in ("ticked", "offered"):
            k = s[kind]
            lines.append(
                f"{name:11s}  {s['asks']:4d}  {s['asks_with_relevant_documents']:8d}  {kind:8s} "
                f"{_pct(k['relevant_share'])} | {_pct(k['relevant_share_per_ask'])} ({k['passages']} passages)   "
                f"{_pct(k['answerable_asks_with_relevant_material'])}   {_pct(k['unanswerable_asks_given_nothing'])}"
            )
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "   n/a" if value is None else f"{value:6.1%}"
