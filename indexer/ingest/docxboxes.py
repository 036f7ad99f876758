"""Text boxes: what a Word 公文 template sets in floating boxes, read where the box is anchored.

Templates often float the masthead ("XX文件" in red over the 文号) and the 版记 ("主题词：…", the
printing office and its 印发 date) in text boxes, which python-docx does not list among the body's
paragraphs: read as paragraphs only, the document silently loses its issuer and its 印发日期. A box
is read at the body block it is anchored in, before that block's own text. Boxes anchored in one
block at the same height stand on one printed line (the 版记's office on the left, its date on the
right) and are read as one line, left to right.

A box is stored twice where Word writes a DrawingML shape with a VML copy for older readers
(``mc:AlternateContent``): only the first is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from lxml import etree

_NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "v": "urn:schemas-microsoft-com:vml",
}
# the outermost boxes of a block, not the VML copies kept for older readers
_BOXES = etree.XPath(".//w:txbxContent[not(ancestor::mc:Fallback)][not(ancestor::w:txbxContent)]", namespaces=_NS)
_PARAGRAPHS = etree.XPath(".//w:p", namespaces=_NS)
_ANCHOR = etree.XPath("ancestor::wp:anchor[1]", namespaces=_NS)
_VML_SHAPE = etree.XPath("ancestor::v:*[@style][1]", namespaces=_NS)
_VML_PLACE = re.compile(r"(margin-top|margin-left|top|left)\s*:\s*([-\d.]+)\s*(pt|in|cm|mm|px)?")
_VML_POINTS = {"pt": 1.0, "in": 72.0, "cm": 72 / 2.54, "mm": 72 / 25.4, "px": 0.75}
EMU_PER_POINT = 12_700


@dataclass(frozen=True)
class Box:
    """One text box: its paragraphs, and where it stands (points from its anchor's frame; None where
    the file does not say)."""

    paragraphs: list[Paragraph]
    top: float | None
    left: float | None


def boxes_in(block, parent) -> list[list[Box]]:
    """The text boxes anchored in one body block (a paragraph's or table's XML element), grouped by
    printed line: boxes at one height together, left to right; lines top to bottom where placed."""
    found = [_box(content, parent) for content in _BOXES(block)]
    found = [box for box in found if any(p.text.strip() for p in box.paragraphs)]
    lines: list[list[Box]] = []
    for box in found:
        line = next((line for line in lines if box.top is not None and line[0].top == box.top), None)
        if line is None:
            lines.append([box])
        else:
            line.append(box)
    for line in lines:
        line.sort(key=lambda box: box.left if box.left is not None else 0.0)
    placed = all(line[0].top is not None for line in lines)
    return sorted(lines, key=lambda line: line[0].top or 0.0) if placed else lines


def _box(content, parent) -> Box:
    paragraphs = [Paragraph(p, parent) for p in _PARAGRAPHS(content)]
    anchor = _ANCHOR(content)
    if anchor:
        return Box(paragraphs, _offset(anchor[0], "wp:positionV"), _offset(anchor[0], "wp:positionH"))
    shape = _VML_SHAPE(content)
    if shape:
        place = _vml_place(shape[0].get("style", ""))
        return Box(paragraphs, place.get("margin-top", place.get("top")), place.get("margin-left", place.get("left")))
    return Box(paragraphs, None, None)


def _vml_place(style: str) -> dict[str, float]:
    """A VML shape's offsets in points from its CSS-like style ("margin-top:612pt", a bare number is pixels)."""
    place = {}
    for name, value, unit in _VML_PLACE.findall(style):
        try:
            place[name] = float(value) * _VML_POINTS[unit or "px"]
        except ValueError:  # "-" or "." alone
            continue
    return place


def _offset(anchor, axis: str) -> float | None:
    position = anchor.find(qn(axis))
    if position is None:
        return None
    offset = position.find(qn("wp:posOffset"))
    if offset is None or not (offset.text or "").strip().lstrip("-").isdigit():
        return None
    return int(offset.text) / EMU_PER_POINT
