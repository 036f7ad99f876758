"""What every search reads from the vector files, held in memory while it fits a budget.

A search gathers scattered rows per query: each candidate's chunk vector, and for the learned ranker the
codes of every sentence of those candidates. Memory-mapped, those rows come from disk whenever their pages
are not in the page cache (after a restart, or once other files pushed them out), and a cold search then
costs several times a warm one (docs/performance.md). Read into the process's memory when the generation
loads, they cost their size in RAM once and never a disk read per search. An exact (``Flat``) FAISS index
already holds every chunk vector in memory, so its own array serves and nothing is read twice.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SHARE_OF_MEMORY = 4  # by default at most a quarter of the machine's memory holds an index's vectors


def machine_memory() -> int:
    """This machine's physical memory in bytes (0 where the system does not say)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return 0


@dataclass
class Budget:
    """Bytes of vector files still allowed in memory for one loaded generation."""

    left: int

    @classmethod
    def of(cls, mib: int | None) -> Budget:
        """``mib`` None: a quarter of this machine's memory; 0: every file stays memory-mapped."""
        return cls(machine_memory() // SHARE_OF_MEMORY if mib is None else mib * 2**20)

    def load(self, path: Path) -> np.ndarray:
        """The .npy file at ``path``, read-only either way: read into memory if it fits what is left,
        else memory-mapped."""
        size = path.stat().st_size
        if size > self.left:
            return np.load(path, mmap_mode="r")
        self.left -= size
        held = np.load(path)
        held.flags.writeable = False
        return held


def flat_vectors(dense: Any) -> np.ndarray | None:
    """The vectors an exact FAISS index holds, as a read-only numpy view of its own memory (no copy);
    None for other index types (IVF keeps them in lists by cell, not by row). The view, and every slice
    of it, keeps ``dense`` alive: FAISS frees its memory with the index, and a slice taken from a
    generation may outlive it. A loaded generation never changes its index, so the view stays valid."""
    import faiss

    if not isinstance(dense, faiss.IndexFlat) or dense.ntotal == 0:
        return None
    raw = faiss.rev_swig_ptr(dense.get_xb(), dense.ntotal * dense.d).reshape(dense.ntotal, dense.d)
    view = np.asarray(_Owned(raw, dense))
    view.flags.writeable = False
    return view


class _Owned:
    """An array's memory together with the object that owns it: numpy keeps this as the view's base."""

    def __init__(self, array: np.ndarray, owner: Any) -> None:
        self.__array_interface__ = array.__array_interface__
        self.owner = owner
