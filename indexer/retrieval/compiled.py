"""The learned ranker's per-candidate loops, compiled to machine code with numba.

Compiling takes seconds, so the machine code is kept in numba's cache (beside the module, else in the
user's cache folder) and later processes load it; the Searcher loads it when it is made, so no search
waits for it. Where no cache can be written, each process compiles once instead of failing to import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba


def compiled(function: Callable[..., Any]) -> Any:
    """``function`` compiled without the GIL (concurrent searches run it side by side), cached on disk
    where it can be."""
    try:
        return numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:  # numba's "cannot cache function ...: no locator available"
        return numba.njit(nogil=True)(function)
