"""Loops compiled to machine code with numba: the learned ranker's per-candidate loops and the
sentence codes' products.

Compiling takes seconds, so the machine code is kept in numba's cache (beside the module, else in the
user's cache folder) and later processes load it; the Searcher and the index load it when they are
made, so no search waits for it. Where no cache can be written, each process compiles once instead
of failing to import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba

# Let the compiler reorder a sum to add several terms at a time (SIMD): the result changes in its last
# bits with the order, and is the same on every call on one machine.
REORDERED_SUMS = frozenset({"reassoc", "contract"})


def compiled(function: Callable[..., Any], *, fastmath: frozenset[str] = frozenset()) -> Any:
    """``function`` compiled without the GIL (concurrent searches run it side by side), cached on disk
    where it can be; ``fastmath``: the floating-point liberties it may take (``REORDERED_SUMS``)."""
    options: dict[str, Any] = {"nogil": True, "fastmath": set(fastmath)}
    try:
        return numba.njit(cache=True, **options)(function)
    except RuntimeError:  # numba's "cannot cache function ...: no locator available"
        return numba.njit(**options)(function)
