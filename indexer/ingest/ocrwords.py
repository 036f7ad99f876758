"""A line OCR boxed whole, cut where its characters stand apart.

RapidOCR's detector boxes a printed line as one across a gap of a character or two ("教育部      科技部",
two bodies signing on one line; "组长：张某　李某"), and its recogniser then often runs the words
together. The recogniser places each character it read (``return_word_box``: where it read it, from
its CTC columns, too coarse to tell a gap alone); the page's own ink settles it: where no ink stands
between two neighbouring characters for more than a character's pitch, the line is cut there into
boxes, and the layout joins them with a word or cell gap, as it joins a PDF's text layer. A
punctuation mark is not such a neighbour: its ink fills part of its square and leaves the rest blank
("”“" stand about a character and a half of blank apart), so no blank beside one shows a gap.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

GAP_PITCHES = 1.0  # no ink for more than this many character pitches between two characters parts them
_CONTRAST = 60  # a line whose ink is not this much darker than its paper (0-255) is not cut


@dataclass(frozen=True)
class Piece:
    """Part of an OCR line: its text and its left and right edges on the page."""

    text: str
    x0: float
    x1: float


@dataclass(frozen=True)
class _Placed:
    """One character (or a Latin word) as the recogniser placed it: where it starts in the line's
    text, where it ends, and its middle on the page."""

    start: int
    end: int
    middle: float
    ideograph: bool
    word: bool  # letters, digits or ideographs at both its ends: not a punctuation mark


def placed(text: str, words: Sequence) -> list[_Placed] | None:
    """The recogniser's characters of one line, found in its text in order; None when they do not
    spell the text (nothing is cut then)."""
    found, at = [], 0
    for word, _score, quad in words:
        start = text.find(word, at)
        if not word or start < 0 or text[at:start].strip():
            return None
        xs = [float(point[0]) for point in quad]
        found.append(_Placed(start, start + len(word), (min(xs) + max(xs)) / 2, _ideograph(word),
                             word[0].isalnum() and word[-1].isalnum()))
        at = start + len(word)
    if text[at:].strip() or any(b.middle < a.middle for a, b in zip(found, found[1:])):
        return None
    return found


def line_pitch(chars: list[_Placed]) -> float | None:
    """The distance from one character's middle to the next's, between ideographs (punctuation and
    Latin stand narrower): the median, if the line has two such steps."""
    steps = [b.middle - a.middle for a, b in zip(chars, chars[1:]) if a.ideograph and b.ideograph]
    return statistics.median(steps) if len(steps) >= 2 else None


def cut(text: str, x0: float, x1: float, band: np.ndarray, chars: list[_Placed], pitch: float) -> list[Piece]:
    """The line's pieces: cut between two neighbouring characters where the page (``band``: the
    line's rows of the greyscale page, columns from 0) shows no ink for more than ``GAP_PITCHES``
    pitches; each piece reaches from its first character's ink to its last's (the line's own edges
    at its ends). Ink is what is darker than halfway from the line's paper to its darkest print
    (grey type on a web page's header is ink too)."""
    paper, darkest = float(np.percentile(band, 90)) if band.size else 0.0, float(band.min()) if band.size else 0.0
    if paper - darkest < _CONTRAST:
        return [Piece(text, x0, x1)]
    inked = np.asarray((band < (paper + darkest) / 2).any(axis=0))
    pieces, start, left = [], 0, x0
    for a, b in zip(chars, chars[1:]):
        if not (a.word and b.word):
            continue
        blank = _widest_blank(inked, int(a.middle), int(b.middle))
        if blank is not None and blank[1] - blank[0] > GAP_PITCHES * pitch:
            pieces.append(Piece(text[start:a.end], left, float(blank[0])))
            start, left = b.start, float(blank[1])
    pieces.append(Piece(text[start:], left, x1))
    return pieces


def _widest_blank(inked: np.ndarray, left: int, right: int) -> tuple[int, int] | None:
    """The widest run of columns without ink in [left, right): (first, past the last), or None."""
    columns = inked[max(left, 0):max(min(right, len(inked)), 0)]
    best, run_start = None, None
    for k, ink in enumerate([*columns, True]):
        if not ink and run_start is None:
            run_start = k
        elif ink and run_start is not None:
            if best is None or k - run_start > best[1] - best[0]:
                best = (run_start, k)
            run_start = None
    return None if best is None else (best[0] + max(left, 0), best[1] + max(left, 0))


def _ideograph(word: str) -> bool:
    return len(word) == 1 and "\u3400" <= word <= "\u9fff"
