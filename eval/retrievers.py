"""The retriever mini-language of `zhengce eval`: ``bm25,dense,hybrid,hybrid-rrf-k30,hybrid-linear-0.7``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from indexer.errors import BadInput

MODES = {"bm25": "lexical", "lexical": "lexical", "dense": "dense", "hybrid": "hybrid"}


@dataclass(frozen=True)
class Retriever:
    """A named search configuration: ``hybrid-rrf-k30`` and ``hybrid-linear-0.7`` compare fusions."""

    name: str
    mode: str
    fusion: dict[str, Any] = field(default_factory=dict)  # Searcher keyword arguments; {} = its defaults


def parse_retrievers(spec: str) -> list[Retriever]:
    """``bm25,dense,hybrid,hybrid-rrf-k30,hybrid-linear-0.7`` -> retrievers, in that order."""
    retrievers = []
    for name in (part.strip() for part in spec.split(",")):
        if not name:
            continue
        base, _, variant = name.partition("-")
        if base not in MODES:
            raise BadInput(f"unknown retriever {name!r}: use bm25, dense, hybrid or hybrid-<fusion>")
        if variant and base != "hybrid":
            raise BadInput(f"unknown retriever {name!r}: only hybrid has variants")
        retrievers.append(Retriever(name, MODES[base], fusion_options(variant) if variant else {}))
    if not retrievers:
        raise BadInput("no retrievers given")
    if len({r.name for r in retrievers}) != len(retrievers):
        raise BadInput(f"retriever named twice in {spec!r}")
    return retrievers


def fusion_options(variant: str) -> dict[str, Any]:
    """``rrf``, ``rrf-k30``, ``rrf-w0.7``, ``linear-0.7`` (= ``linear-w0.7``), ``learned`` -> Searcher fusion arguments.

    ``kN`` is the RRF constant, ``wX`` the dense retriever's weight; a bare number is k for RRF
    and the dense weight for linear fusion.
    """
    method, *params = variant.split("-")
    if method not in {"rrf", "linear", "learned"}:
        raise BadInput(f"unknown hybrid variant {variant!r}: use rrf, linear or learned, e.g. rrf-k60, linear-0.7")
    if method == "learned" and params:
        raise BadInput(f"hybrid variant {variant!r}: the learned ranker takes no parameters (its model file has them)")
    options: dict[str, Any] = {"fusion": method}
    for param in params:
        try:
            if param.startswith("k") and method == "rrf":
                options["rrf_k"] = float(param[1:])
            elif param.startswith("w"):
                options["dense_weight"] = float(param[1:])
            elif method == "rrf":
                options["rrf_k"] = float(param)
            else:
                options["dense_weight"] = float(param)
        except ValueError:
            raise BadInput(f"hybrid variant {variant!r}: cannot read {param!r} (kN = RRF k, wX = dense weight)") from None
    return options
