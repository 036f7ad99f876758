"""OCR of page images, offline: RapidOCR (PP-OCR models inside its wheel) on onnxruntime.

Red seals (公章) stamped over the signature and date hurt recognition; in the red channel red
ink is as bright as the paper while black ink stays dark, so each page is read from its red
channel as greyscale. A red 红头 masthead must not vanish with the seal: a seal is round and sits
over the signature, a masthead is large red type across the top of the page, so red bands that
are wide and not round are read from the green channel instead, where red ink is dark
(``indexer.ingest.redprint``).
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from indexer.ingest.layout import Box
from indexer.ingest.limits import MAX_RENDER_PIXELS, checkpoint
from indexer.ingest.ocrwords import cut, line_pitch, placed
from indexer.ingest.pagelines import record
from indexer.ingest.paragraphs import page_lines
from indexer.ingest.redprint import masthead_bands
from indexer.models import OcrPage

OcrMode = Literal["auto", "off", "force"]
RENDER_DPI = 150  # page images for OCR: 16 pt body text (公文 3号) is then about 33 pixels high
_PROGRESS_FROM_PAGES = 3  # show a per-page progress bar on scans at least this long
# a page with fewer inked pixels than this share (in the red channel OCR reads: about 400 pixels of
# an A4 page at 150 dpi, two characters) is blank: read as empty, without OCR (about 6 s a page)
_ON_END = 1.5  # a line box this many times taller than wide stands on end
BLANK_INK_SHARE = 0.0002
_RED_MARGIN = 40  # a seal's inked pixels: red this far above green
_TINT = 20  # any pixel with red this far above green holds some seal ink (its edges, blurred)
_INKED = 0.6  # and green below this share of paper's
_SEAL_PIXELS = 500  # fewer such pixels than this: no seal
_MOST_RED_IN_RED = 0.5  # a red ink darkens red at most half as fast as green
_LIGHT_SEAL = 0.08  # a seal darkening red less than this against green is left to the red channel

log = logging.getLogger(__name__)
_engine = None
_engine_lock = threading.Lock()


@dataclass
class OcrTimer:
    """Seconds spent in OCR (wall clock and process CPU) and pages read, summed over a process:
    the bench reports them; CPU seconds do not grow when other processes share the cores."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0
    pages: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, seconds: float, cpu_seconds: float) -> None:
        with self.lock:
            self.seconds += seconds
            self.cpu_seconds += cpu_seconds
            self.pages += 1


OCR_TIME = OcrTimer()


def _recogniser():
    """One engine per process, loaded on first use (about 3 s): most folders have no scans."""
    global _engine
    with _engine_lock:
        if _engine is None:
            from rapidocr import RapidOCR

            # detection at the page's own resolution: shrunk to 1280 pixels a side it took a third
            # of the time but lost a line under the seal of the tests' scanned notice
            # word boxes: where each character was read, to cut a line at a gap (ingest.ocrwords)
            # no per-line angle step: 公文 lines stand upright, and it turned whole lines of body text
            # upside down before reading them ("胡热(十）" for a 27-character line), or below the score
            # that keeps a line
            _engine = RapidOCR(params={"Global.log_level": "warning", "Global.return_word_box": True, "Global.use_cls": False})
        return _engine


def seal_free(image: Image.Image, bands: list[tuple[int, int, int, int]] | None = None) -> np.ndarray:
    """The page as greyscale from its red channel (red seals vanish; a dark one is lightened by
    ``_without_seal``) except where red print is a masthead (read from the green channel, so it
    stays dark), in the 3 channels OCR expects."""
    rgb = _rgb(image)
    bands = masthead_bands(rgb) if bands is None else bands
    grey = _without_seal(rgb, bands)
    for top, bottom, left, right in bands:
        grey[top:bottom, left:right] = rgb[top:bottom, left:right, 1]
    return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))


def _without_seal(rgb: np.ndarray, bands: list[tuple[int, int, int, int]]) -> np.ndarray:
    """The page's red channel with a seal's ink taken out, as far as its colour shows it.

    Seal ink is a red glaze: under ``d`` of it the red and green channels are darkened as
    exp(-d a_r) and exp(-d a_g), and print under it darkens both by one factor t. With k = a_r / a_g,
    read off the seal's own pixels (ln r = k ln g), t = (ln r - k ln g) / (1 - k): grey print keeps
    its red channel, and a seal pressed hard, darker than paper even in the red channel (OCR read
    its characters into the signature), is lightened toward paper. A seal as light as paper in the
    red channel already is left as it is: its texture there is the print under it.
    """
    r, g = rgb[:, :, 0], rgb[:, :, 1]
    redness = r.astype(np.int16) - g
    inked = (redness > _RED_MARGIN) & (g < _INKED * 255)
    for top, bottom, left, right in bands:  # a masthead's red is another ink
        inked[top:bottom, left:right] = False
    if inked.sum() < _SEAL_PIXELS:
        return r.copy()
    log_r, log_g = (np.log(np.maximum(channel, 1).astype(np.float32) / 255.0) for channel in (r, g))
    k = float(np.clip(np.median(log_r[inked] / log_g[inked]), 0.0, _MOST_RED_IN_RED))
    if k < _LIGHT_SEAL:
        return r.copy()
    print_share = np.exp(np.minimum((log_r - k * log_g) / (1.0 - k), 0.0))
    return np.where(redness > _TINT, np.round(255.0 * print_share), r).astype(np.uint8)


def _rgb(image: Image.Image) -> np.ndarray:
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        white = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(white, image)
    return np.asarray(image.convert("RGB"))


def recognise_boxes(image: Image.Image, page: int) -> tuple[list[Box], OcrPage]:
    """The words of one page image as boxes in its pixels (a masthead's in red), and its OCR facts."""
    started, cpu_started = time.perf_counter(), time.process_time()
    bands = masthead_bands(_rgb(image))
    grey = seal_free(image, bands)
    result = _recogniser()(grey)
    texts, scores = result.txts or (), result.scores or ()
    boxes = []
    for x0, y0, x1, y1, text in _cut_at_gaps(result, grey[:, :, 0]):
        red = any(left <= (x0 + x1) / 2 <= right and top <= (y0 + y1) / 2 <= bottom for top, bottom, left, right in bands)
        boxes.append(Box(x0, y0, x1, y1, text, red=red))
    OCR_TIME.add(time.perf_counter() - started, time.process_time() - cpu_started)
    chars = sum(len(text) for text in texts)
    confidence = sum(score * len(text) for text, score in zip(texts, scores)) / chars if chars else None
    return boxes, OcrPage(page=page, confidence=None if confidence is None else round(confidence, 4))


def _cut_at_gaps(result, grey: np.ndarray) -> list[tuple[float, float, float, float, str]]:
    """(x0, y0, x1, y1, text) of each line OCR read, cut where its characters stand a character's
    pitch or more apart on the page (``ingest.ocrwords``); a line set on end, or one whose character
    places do not spell its text, stays whole."""
    texts = result.txts or ()
    quads = np.asarray(result.boxes) if texts else np.zeros((0, 4, 2))
    words = result.word_results if len(result.word_results or ()) == len(texts) else [()] * len(texts)
    lines = []
    for quad, text, placed_words in zip(quads, texts, words):
        x0, y0, x1, y1 = (float(np.min(quad[:, 0])), float(np.min(quad[:, 1])), float(np.max(quad[:, 0])),
                          float(np.max(quad[:, 1])))
        chars = placed(text, placed_words) if x1 - x0 > y1 - y0 else None
        lines.append((x0, y0, x1, y1, text, chars))
    pitches = [pitch for *_, chars in lines if chars and (pitch := line_pitch(chars))]
    page_pitch = statistics.median(pitches) if pitches else None
    found = []
    for x0, y0, x1, y1, text, chars in lines:
        pitch = (line_pitch(chars) or page_pitch) if chars else None
        if not chars or pitch is None:
            found.append((x0, y0, x1, y1, text))
            continue
        band = grey[max(int(y0), 0):max(int(y1) + 1, 1)]
        found += [(piece.x0, y0, piece.x1, y1, piece.text) for piece in cut(text, x0, x1, band, chars, pitch)]
    return found


def recognise(image: Image.Image, page: int) -> tuple[str, OcrPage]:
    """The text of one page image, lines in reading order with their paragraph ends, and its OCR facts."""
    boxes, facts = recognise_boxes(image, page)
    upright = boxes
    if _on_end_share(boxes) > 0.5:  # a page stored a quarter turn off: read it turned both ways too
        reads = [(boxes, facts)] + [
            recognise_boxes(image.transpose(turn), page) for turn in (Image.Transpose.ROTATE_270, Image.Transpose.ROTATE_90)
        ]
        boxes, facts = max(reads, key=_upright_score)
    if boxes is upright:  # the 原文 viewer boxes quoted lines with these (ingest.pagelines); a turned read's
        record(page, boxes, image.size)  # positions are not the stored page's, so none are kept for it
    return "\n".join(page_lines(boxes)), facts


def _on_end_share(boxes: list[Box]) -> float:
    """The share of the lines OCR found that are much taller than wide: text set horizontally (as 公文
    are) but stored sideways."""
    lines = [box for box in boxes if len(box.text) >= 2]
    return sum(box.height > _ON_END * (box.x1 - box.x0) for box in lines) / len(lines) if lines else 0.0


def _upright_score(read: tuple[list[Box], OcrPage]) -> float:
    """Characters read, times confidence, times the share of lines lying as text lies."""
    boxes, facts = read
    return sum(len(box.text) for box in boxes) * (facts.confidence or 0.0) * (1.0 - _on_end_share(boxes))


def read_pages(path: Path, images: Sequence[tuple[int, Callable[[], Image.Image]]]) -> dict[int, tuple[str, OcrPage | None]]:
    """OCR each (page number, image maker); a page that fails is logged and recorded, the others kept;
    a blank page is read as empty, without OCR and without facts (nothing on it was read or lost)."""
    read = read_boxes(path, images, recognise)
    return {page: (text if isinstance(text, str) else "", facts) for page, (text, facts) in read.items()}


def read_boxes(path: Path, images: Sequence[tuple[int, Callable[[], Image.Image]]], reader: Callable = recognise_boxes) -> dict:
    """OCR each (page number, image maker) with ``reader`` (words as boxes, by default); a page that
    fails is logged and recorded with no words, the others kept. A blank page (no ink: a page left
    empty between sections) has no words and no OCR facts: it was not read by OCR, and lost nothing."""
    from indexer.progress import progress

    done: dict = {}
    show = len(images) >= _PROGRESS_FROM_PAGES
    for page, make_image in progress(show, iterable=images, desc=f"OCR {path.name}", unit="page", leave=False):
        checkpoint()  # a cancelled upload stops here, between pages
        try:
            image = within_pixels(make_image())
            done[page] = ([], None) if is_blank(image) else reader(image, page)
        except Exception as exc:  # a damaged image or an engine failure costs this page, not the file
            reason = f"OCR failed: {type(exc).__name__}: {exc}"
            log.warning("%s: page %d: %s", path, page, reason)
            done[page] = [], OcrPage(page=page, confidence=None, error=reason)
    return done


def within_pixels(image: Image.Image) -> Image.Image:
    """The image, shrunk to at most ``MAX_RENDER_PIXELS`` (OCR's memory grows with its pixels)."""
    area = image.width * image.height
    if area <= MAX_RENDER_PIXELS:
        return image
    shrink = (MAX_RENDER_PIXELS / area) ** 0.5
    return image.resize((max(1, int(image.width * shrink)), max(1, int(image.height * shrink))))


def is_blank(image: Image.Image) -> bool:
    """Whether the page holds no ink OCR could read (dark pixels in the red channel, as OCR sees it)."""
    histogram = image.convert("RGB").getchannel("R").histogram()
    return sum(histogram[:128]) < BLANK_INK_SHARE * image.width * image.height
