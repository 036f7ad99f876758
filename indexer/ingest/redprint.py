"""Red print on a page image: which of it is a 红头 masthead to read, as against a seal to drop.

A 发文机关标志 is large red type set across the upper part of the first page: a band of red rows
much wider than it is tall. A seal (公章) is round, as wide as it is tall, and sits over the
signature; the red rule under the 文号 is a line a few pixels thick. Only mastheads are returned.
"""

from __future__ import annotations

import numpy as np

_TOP_SHARE = 0.45  # a masthead starts in the upper part of the page
_MIN_HEIGHT = 0.012  # of the page height: red type, not a rule (about 21 pixels on an A4 page at 150 dpi)
_MIN_WIDTH = 0.2  # of the page width
_MIN_ASPECT = 2.2  # width over height: a seal is about 1
_ROW_SHARE = 0.004  # a row with this share of its pixels red belongs to a band
_ROW_GAP = 4  # pixels of rows without red that still keep a band together (between two lines of a joint masthead)


def red_mask(rgb: np.ndarray) -> np.ndarray:
    """Pixels of red ink: red well above green and blue."""
    r, g, b = (rgb[:, :, k].astype(np.int16) for k in range(3))
    return (r > 130) & (r - g > 60) & (r - b > 50)


def masthead_bands(rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
    """(top, bottom, left, right) pixel bounds of each masthead on the page."""
    height, width = rgb.shape[:2]
    mask = red_mask(rgb)
    rows = np.flatnonzero(mask.sum(axis=1) >= _ROW_SHARE * width)
    bands = []
    for top, bottom in _runs(rows, _ROW_GAP):
        if top > _TOP_SHARE * height:
            break
        columns = np.flatnonzero(mask[top:bottom + 1].any(axis=0))
        for left, right in _runs(columns, max(8, 2 * (bottom - top))):  # a seal beside a masthead stands apart
            band_height, band_width = bottom - top + 1, right - left + 1
            if band_height >= _MIN_HEIGHT * height and band_width >= _MIN_WIDTH * width and band_width >= _MIN_ASPECT * band_height:
                margin = max(2, band_height // 8)
                bands.append((max(0, top - margin), min(height, bottom + margin + 1), max(0, left - margin),
                              min(width, right + margin + 1)))
    return bands


def _runs(values: np.ndarray, gap: int) -> list[tuple[int, int]]:
    """(first, last) of each stretch of sorted values whose steps are at most ``gap``."""
    runs: list[tuple[int, int]] = []
    for value in values.tolist():
        if runs and value - runs[-1][1] <= gap:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs
