"""Where an OFD page's picture lies, and how text read from it joins the page's own text.

A form (a licence, a certificate) is often a picture of the blank form with the filled-in values
as text on top: the form's own words (its title, 用字第……号, the field names) are in the picture
only. Such a picture is read by OCR and its words are placed on the page where the picture shows
them; where the page's text layer already has text, the text layer wins.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from indexer.ingest.layout import Box

BACKGROUND_SHARE = 0.5  # a picture covering this share of the page is its background, worth reading
_INK_CONTRAST = 60  # grey levels below the paper's that are ink
_INK_SHARE = 0.002  # a picture with less ink than this share of its pixels is blank paper


@dataclass(frozen=True)
class Placement:
    """A picture's rectangle on the page (y downwards) and the turn that shows it upright."""

    x0: float
    y0: float
    x1: float
    y1: float
    quarter_turns: int  # clockwise quarter turns from the stored image to the page

    @property
    def area(self) -> float:
        return (self.x1 - self.x0) * (self.y1 - self.y0)


def placement(boundary: list[float], ctm: list[float]) -> Placement:
    """The page rectangle of an ImageObject: its unit square through CTM, offset by its Boundary."""
    a, b, c, d, e, f = (ctm + [0.0] * 6)[:6] if len(ctm) >= 6 else (boundary[2], 0.0, 0.0, boundary[3], 0.0, 0.0)
    left, top = boundary[0], boundary[1]
    corners = [(a * u + c * v + e + left, b * u + d * v + f + top) for u, v in ((0, 0), (1, 0), (0, 1), (1, 1))]
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    turns = round(math.degrees(math.atan2(b, a)) / 90) % 4
    return Placement(min(xs), min(ys), max(xs), max(ys), turns)


def upright(image: Image.Image, where: Placement) -> Image.Image:
    """The stored image turned as the page shows it (a landscape form stored portrait)."""
    turn = {1: Image.Transpose.ROTATE_270, 2: Image.Transpose.ROTATE_180, 3: Image.Transpose.ROTATE_90}
    return image.transpose(turn[where.quarter_turns]) if where.quarter_turns else image


def upright_size(image: bytes, where: Placement) -> tuple[int, int]:
    """Width and height of the stored image once turned upright."""
    try:
        width, height = Image.open(io.BytesIO(image)).size
    except Exception:  # damaged: OCR read nothing from it anyway
        return (1, 1)
    return (height, width) if where.quarter_turns % 2 else (width, height)


def has_ink(image: bytes) -> bool:
    """Whether a picture shows anything to read: a blank paper texture does not."""
    try:
        picture = Image.open(io.BytesIO(image))
        picture.draft("L", (512, 512))  # JPEG decodes at a fraction of its size
        grey = np.asarray(picture.convert("L").resize((256, 256)), dtype=np.int16)
    except Exception:  # a damaged picture: OCR tries it and reports the page
        return True
    return bool((grey < np.median(grey) - _INK_CONTRAST).mean() > _INK_SHARE)


def on_page(boxes: list[Box], size: tuple[int, int], where: Placement) -> list[Box]:
    """OCR boxes in the upright image's pixels -> page coordinates."""
    width, height = size
    sx, sy = (where.x1 - where.x0) / width, (where.y1 - where.y0) / height
    return [
        Box(where.x0 + box.x0 * sx, where.y0 + box.y0 * sy, where.x0 + box.x1 * sx, where.y0 + box.y1 * sy, box.text)
        for box in boxes
    ]


def merge(text_layer: list[Box], read: list[Box]) -> list[Box]:
    """The text layer's boxes and the words read from the picture that the text layer does not
    hold already: a word is held where a text-layer box covers its middle, or where the boxes over it
    print most of its characters (a letter-spaced "河 池 学 院" under its seal, read whole by OCR)."""
    return text_layer + [box for box in read if not _held(box, text_layer)]


def _held(read: Box, text_layer: list[Box]) -> bool:
    x, y = (read.x0 + read.x1) / 2, (read.y0 + read.y1) / 2
    if any(own.x0 <= x <= own.x1 and own.y0 <= y <= own.y1 for own in text_layer):
        return True
    printed = "".join(own.text for own in text_layer
                      if own.x0 < read.x1 and read.x0 < own.x1 and own.y0 < y < own.y1)
    characters = [char for char in read.text if not char.isspace()]
    return bool(characters) and sum(char in printed for char in characters) * 2 > len(characters)
