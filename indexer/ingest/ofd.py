"""OFD (GB/T 33190), the national format for electronic official documents: a ZIP of XML.

OFD.xml names the document (DocRoot), whose Document.xml lists the pages; each page's
Content.xml holds TextObject/TextCode runs with their positions (millimetres, y downwards). The
runs of a page, with those of its template page, are put in reading order by ``layout``. A page
without TextCode text whose content is a picture (a scan) is read by OCR; a page drawn only as
outlines has nothing to read, and a file made only of such pages is refused with that reason.
"""

from __future__ import annotations

import io
import math
import posixpath
import zipfile
from pathlib import Path

from lxml import etree
from PIL import Image

from indexer.errors import UnreadableFile
from indexer.ingest.files import nonblank
from indexer.ingest.layout import Box, page_lines
from indexer.ingest.limits import check_pages, check_zip
from indexer.ingest.ocr import OcrMode, read_pages
from indexer.models import OcrPage

_MAX_PART_BYTES = 64 * 2**20  # a Content.xml or image larger than this is not a page of a document
_MAX_REPEAT = 100_000  # "g N D" in DeltaX: no run of text is longer
_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def extract_ofd(path: Path, data: bytes, ocr: OcrMode = "auto") -> tuple[list[str], str | None, list[OcrPage]]:
    """(page texts, title from DocInfo, OCR facts of the pages read from their images)."""
    check_zip(path, data)  # a small package must not expand into gigabytes of XML
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        names = set(package.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile(path, f"not a readable OFD: not a ZIP package ({exc})") from exc
    with package:
        reader = _Package(path, package, names)
        root = reader.xml("OFD.xml")
        body = root.find("{*}DocBody")
        doc_root = body.findtext("{*}DocRoot") if body is not None else None
        if not doc_root:
            raise UnreadableFile(path, "not a readable OFD: OFD.xml names no DocRoot")
        title = body.findtext("{*}DocInfo/{*}Title")
        document_path = _resolve("", doc_root)
        pages, images = reader.pages(document_path)
    if not pages:
        raise UnreadableFile(path, "not a readable OFD: its document has no pages")
    scanned = [(number, images[number]) for number in range(1, len(pages) + 1) if not pages[number - 1].strip() and images.get(number)]
    facts: list[OcrPage] = []
    if scanned and ocr != "off":
        check_pages(path, len(pages), len(scanned))
        read = read_pages(path, [(number, _opener(image)) for number, image in scanned])
        for number, _ in scanned:
            pages[number - 1], page_facts = read[number]
            facts.append(page_facts)
    if not any(page.strip() for page in pages):
        if scanned and ocr == "off":
            raise UnreadableFile(path, f"OFD without text: its {len(pages)} pages are images, and OCR is off")
        if scanned:
            raise UnreadableFile(path, f"OFD without text: OCR read no text on its {len(pages)} page images")
        raise UnreadableFile(
            path, f"OFD without text: its {len(pages)} pages have no TextCode text and no page image to OCR "
            "(drawn as outlines)",
        )
    return pages, nonblank(title), facts


class _Package:
    """Parts of one OFD package, read with limits; every defect becomes an UnreadableFile."""

    def __init__(self, path: Path, package: zipfile.ZipFile, names: set[str]) -> None:
        self.path, self.package, self.names = path, package, names

    def read(self, name: str) -> bytes:
        if name not in self.names:
            raise UnreadableFile(self.path, f"not a readable OFD: missing part {name}")
        info = self.package.getinfo(name)
        if info.file_size > _MAX_PART_BYTES:
            raise UnreadableFile(self.path, f"not a readable OFD: part {name} is too large ({info.file_size} bytes)")
        try:
            return self.package.read(name)
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:  # RuntimeError: an encrypted ZIP member
            raise UnreadableFile(self.path, f"not a readable OFD: cannot read {name} ({exc})") from exc

    def xml(self, name: str) -> etree._Element:
        try:
            return etree.fromstring(self.read(name), _XML)
        except etree.XMLSyntaxError as exc:
            raise UnreadableFile(self.path, f"not a readable OFD: malformed XML in {name} ({exc})") from exc

    def pages(self, document_path: str) -> tuple[list[str], dict[int, bytes]]:
        """Each page's text, and the largest picture of each page that has one."""
        base = posixpath.dirname(document_path)
        document = self.xml(document_path)
        templates = {
            node.get("ID"): _resolve(base, node.get("BaseLoc", ""))
            for node in document.iterfind("{*}CommonData/{*}TemplatePage")
        }
        media = self._media(base, document)
        texts: list[str] = []
        images: dict[int, bytes] = {}
        listed = document.findall("{*}Pages/{*}Page")
        check_pages(self.path, len(listed))
        for number, node in enumerate(listed, start=1):
            content = self.xml(_resolve(base, node.get("BaseLoc", "")))
            layers = [content]
            for used in content.iterfind("{*}Template"):
                if used.get("TemplateID") in templates:
                    layers.insert(0, self.xml(templates[used.get("TemplateID")]))
            try:
                boxes = [box for layer in layers for box in _text_boxes(layer)]
            except ValueError as exc:  # a Size, X or DeltaX that is not a finite number
                raise UnreadableFile(self.path, f"not a readable OFD: bad text position on page {number} ({exc})") from exc
            texts.append("\n".join(page_lines(boxes)))
            picture = _largest_image(layers, media)
            if picture is not None:
                images[number] = self.read(picture)
        return texts, images

    def _media(self, base: str, document: etree._Element) -> dict[str, str]:
        """Resource ID -> package path of each picture in the document's resource files."""
        found: dict[str, str] = {}
        for tag in ("PublicRes", "DocumentRes"):
            for res_name in document.iterfind(f"{{*}}CommonData/{{*}}{tag}"):
                res_path = _resolve(base, res_name.text or "")
                if res_path not in self.names:
                    continue
                res = self.xml(res_path)
                res_base = _resolve(posixpath.dirname(res_path), res.get("BaseLoc", ""))
                for item in res.iter("{*}MultiMedia"):
                    file = item.findtext("{*}MediaFile")
                    if file:
                        found[item.get("ID", "")] = _resolve(res_base, file)
        return found


def _text_boxes(layer: etree._Element) -> list[Box]:
    boxes = []
    for obj in layer.iter("{*}TextObject"):
        left, top = (_numbers(obj.get("Boundary")) + [0.0, 0.0])[:2]
        size = _finite(obj.get("Size", "3.5"))
        ctm = _numbers(obj.get("CTM")) or [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        x = y = 0.0
        for code in obj.iterfind("{*}TextCode"):
            text = code.text or ""
            x = _finite(code.get("X", x))
            y = _finite(code.get("Y", y))
            width = _advance(code.get("DeltaX"), max(0, len(text) - 1)) + size
            x0, baseline = _apply(ctm, x, y)
            x1, top_y = _apply(ctm, x + width, y - size)
            if text.strip():
                boxes.append(Box(left + min(x0, x1), top + min(top_y, baseline), left + max(x0, x1), top + max(top_y, baseline), text))
            x += width
    return boxes


def _largest_image(layers: list[etree._Element], media: dict[str, str]) -> str | None:
    """The package path of the page's largest picture, or None when it has none."""
    best, best_area = None, 0.0
    for layer in layers:
        for obj in layer.iter("{*}ImageObject"):
            numbers = _numbers(obj.get("Boundary"))
            area = numbers[2] * numbers[3] if len(numbers) == 4 else 0.0
            path = media.get(obj.get("ResourceID", ""))
            if path and area > best_area:
                best, best_area = path, area
    return best


def _opener(image: bytes):
    return lambda: Image.open(io.BytesIO(image))


def _apply(ctm: list[float], x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = (ctm + [0.0] * 6)[:6]
    return a * x + c * y + e, b * x + d * y + f


def _advance(value: str | None, count: int) -> float:
    """The sum of the first ``count`` advances of a DeltaX/DeltaY, where ``g N D`` stands for N
    advances of D; never more than ``count`` are read, however many the attribute declares."""
    tokens = (value or "").split()
    total, left, i = 0.0, count, 0
    while i < len(tokens) and left > 0:
        if tokens[i] == "g" and i + 2 < len(tokens):
            repeat = min(left, _MAX_REPEAT, max(0, int(_finite(tokens[i + 1]))))
            total += repeat * _finite(tokens[i + 2])
            left -= repeat
            i += 3
        else:
            total += _finite(tokens[i])
            left -= 1
            i += 1
    return total


def _finite(value: str | float) -> float:
    """A number that positions text; ValueError for anything else ("nan" and "inf" included)."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _numbers(value: str | None) -> list[float]:
    try:
        numbers = [float(token) for token in (value or "").split()]
    except ValueError:
        return []
    return numbers if all(map(math.isfinite, numbers)) else []


def _resolve(base: str, location: str) -> str:
    """A package path from a location that is absolute ("/Doc_0/...") or relative to ``base``."""
    location = location.strip().replace("\\", "/")
    joined = location.lstrip("/") if location.startswith("/") else posixpath.join(base, location)
    return posixpath.normpath(joined).lstrip("/")
