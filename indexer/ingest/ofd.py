"""OFD (GB/T 33190), the national format for electronic official documents: a ZIP of XML.

OFD.xml names the document (DocRoot), whose Document.xml lists the pages; each page's
Content.xml holds TextObject/TextCode runs with their positions (millimetres, y downwards), size
and colour. The runs of a page, with those of its template page, are put in reading order by
``layout`` and ``paragraphs``. A page without TextCode text whose content is a picture (a scan) is
read by OCR; so is the background picture of a page that has text (a form's printed words under
its filled-in values, ``ofdpictures``). A page drawn only as outlines has nothing to read: it is
reported by page (in ``ocr_pages``, as OCR failures are), and a file made only of such pages is
refused with that reason.
"""

from __future__ import annotations

import io
import logging
import math
import posixpath
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from PIL import Image

from indexer.errors import UnreadableFile
from indexer.ingest.files import nonblank
from indexer.ingest.layout import Box
from indexer.ingest.limits import check_pages, check_zip
from indexer.ingest.ocr import OcrMode, read_boxes, read_pages
from indexer.ingest.ofdpictures import (
    BACKGROUND_SHARE,
    Placement,
    has_ink,
    merge,
    on_page,
    placement,
    upright,
    upright_size,
)
from indexer.ingest.ofdtext import code_boxes, is_red
from indexer.ingest.paragraphs import laid_out
from indexer.models import OcrPage

_MAX_COMPOSITE_USES = 1000  # composite objects read per layer
_MAX_PART_BYTES = 64 * 2**20  # a Content.xml or image larger than this is not a page of a document
_OUTLINE_TEXT = 10  # a page without text drawing at least this many outlines draws its text as shapes
_MAX_REPEAT = 100_000  # "g N D" in DeltaX: no run of text is longer
log = logging.getLogger(__name__)
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
        parts = reader.pages(document_path)
    if not parts:
        raise UnreadableFile(path, "not a readable OFD: its document has no pages")
    facts = _read_backgrounds(path, parts, ocr)
    pages = laid_out([part.boxes for part in parts])
    scanned = [(number, part.picture[0]) for number, part in enumerate(parts, 1) if not part.boxes and part.picture]
    if scanned and ocr != "off":
        check_pages(path, len(pages), len(scanned))
        read = read_pages(path, [(number, _opener(image)) for number, image in scanned])
        for number, _ in scanned:
            pages[number - 1], page_facts = read[number]
            facts += [page_facts] if page_facts else []  # a blank page image was not read by OCR
    facts += _outline_pages(path, parts, pages)
    facts.sort(key=lambda fact: fact.page)
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

    def pages(self, document_path: str) -> list[_PageParts]:
        """Each page's text runs, its largest picture and how many outlines it draws."""
        base = posixpath.dirname(document_path)
        document = self.xml(document_path)
        templates = {
            node.get("ID"): _resolve(base, node.get("BaseLoc", ""))
            for node in document.iterfind("{*}CommonData/{*}TemplatePage")
        }
        media = self._media(base, document)
        composites = self._composites(base, document)
        default_area = _numbers(document.findtext("{*}CommonData/{*}PageArea/{*}PhysicalBox"))
        parts: list[_PageParts] = []
        listed = document.findall("{*}Pages/{*}Page")
        check_pages(self.path, len(listed))
        for number, node in enumerate(listed, start=1):
            content = self.xml(_resolve(base, node.get("BaseLoc", "")))
            layers = [content]
            for used in content.iterfind("{*}Template"):
                if used.get("TemplateID") in templates:
                    layers.insert(0, self.xml(templates[used.get("TemplateID")]))
            try:
                boxes = [box for layer in layers for box in _text_boxes(layer) + _composite_boxes(layer, composites)]
            except ValueError as exc:  # a Size, X or DeltaX that is not a finite number
                raise UnreadableFile(self.path, f"not a readable OFD: bad text position on page {number} ({exc})") from exc
            area = _numbers(content.findtext("{*}Area/{*}PhysicalBox")) or default_area
            found = _largest_image(layers, media)
            picture = (self.read(found[0]), found[1]) if found else None
            outlines = sum(1 for layer in layers for _ in layer.iter("{*}PathObject"))
            parts.append(_PageParts(boxes, picture, outlines, area[2] * area[3] if len(area) == 4 else 0.0))
        return parts

    def _media(self, base: str, document: etree._Element) -> dict[str, str]:
        """Resource ID -> package path of each picture in the document's resource files."""
        found: dict[str, str] = {}
        for res_path, res in self._resource_files(base, document):
            res_base = _resolve(posixpath.dirname(res_path), res.get("BaseLoc", ""))
            for item in res.iter("{*}MultiMedia"):
                file = item.findtext("{*}MediaFile")
                if file:
                    found[item.get("ID", "")] = _resolve(res_base, file)
        return found

    def _composites(self, base: str, document: etree._Element) -> dict[str, list[Box]]:
        """Resource ID -> the text boxes of each CompositeGraphicUnit, in the unit's own coordinates."""
        found: dict[str, list[Box]] = {}
        for _, res in self._resource_files(base, document):
            for unit in res.iter("{*}CompositeGraphicUnit"):
                content = unit.find("{*}Content")
                if content is not None:
                    try:
                        found[unit.get("ID", "")] = _text_boxes(content)
                    except ValueError as exc:
                        raise UnreadableFile(self.path, f"not a readable OFD: bad text position in a composite unit ({exc})") from exc
        return found

    def _resource_files(self, base: str, document: etree._Element) -> list[tuple[str, etree._Element]]:
        """(package path, root) of the document's public and document resource files."""
        files = []
        for tag in ("PublicRes", "DocumentRes"):
            for res_name in document.iterfind(f"{{*}}CommonData/{{*}}{tag}"):
                res_path = _resolve(base, res_name.text or "")
                if res_path in self.names:
                    files.append((res_path, self.xml(res_path)))
        return files


def _text_boxes(layer: etree._Element) -> list[Box]:
    boxes = []
    for obj in layer.iter("{*}TextObject"):
        left, top = (_numbers(obj.get("Boundary")) + [0.0, 0.0])[:2]
        size = _finite(obj.get("Size", "3.5"))
        ctm = _numbers(obj.get("CTM")) or [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        red = is_red(obj)
        x = y = 0.0
        for code in obj.iterfind("{*}TextCode"):
            text = code.text or ""
            x = _finite(code.get("X", x))
            y = _finite(code.get("Y", y))
            advances = _deltas(code.get("DeltaX"), max(0, len(text) - 1))
            width = sum(advances) + size
            steps = (advances, _deltas(code.get("DeltaY"), max(0, len(text) - 1)))
            boxes += code_boxes(text, (x, y), steps, size, ctm, (left, top), red)
            x += width
    return boxes


def _composite_boxes(layer: etree._Element, composites: dict[str, list[Box]]) -> list[Box]:
    """The text of the composite units ``layer`` draws, placed by each CompositeObject's Boundary
    and CTM; at most ``_MAX_COMPOSITE_USES`` per layer (a unit drawn a million times is a bomb)."""
    boxes: list[Box] = []
    for used, obj in enumerate(layer.iter("{*}CompositeObject")):
        if used >= _MAX_COMPOSITE_USES:
            break
        unit = composites.get(obj.get("ResourceID", ""))
        if not unit:
            continue
        left, top = (_numbers(obj.get("Boundary")) + [0.0, 0.0])[:2]
        ctm = _numbers(obj.get("CTM"))
        a, b, c, d, e, f = ctm[:6] if len(ctm) >= 6 else (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        for box in unit:
            xs = [a * x + c * y + e + left for x, y in ((box.x0, box.y0), (box.x1, box.y1))]
            ys = [b * x + d * y + f + top for x, y in ((box.x0, box.y0), (box.x1, box.y1))]
            scale = (abs(a * d - b * c)) ** 0.5
            boxes.append(Box(min(xs), min(ys), max(xs), max(ys), box.text, size=box.size * scale, red=box.red))
    return boxes


def _largest_image(layers: list[etree._Element], media: dict[str, str]) -> tuple[str, Placement] | None:
    """The package path and placement of the page's largest picture, or None when it has none."""
    best, best_area = None, 0.0
    for layer in layers:
        for obj in layer.iter("{*}ImageObject"):
            numbers = _numbers(obj.get("Boundary"))
            path = media.get(obj.get("ResourceID", ""))
            if not path or len(numbers) != 4:
                continue
            where = placement(numbers, _numbers(obj.get("CTM")))
            if where.area > best_area:
                best, best_area = (path, where), where.area
    return best


@dataclass
class _PageParts:
    boxes: list[Box]  # the page's own text runs
    picture: tuple[bytes, Placement] | None  # its largest picture
    outlines: int  # PathObjects drawn on it
    area: float  # of the page, square millimetres


def _read_backgrounds(path: Path, parts: list[_PageParts], ocr: OcrMode) -> list[OcrPage]:
    """OCR the background picture of each page that has text and a picture covering most of it;
    its words join the page's text where the text layer has none."""
    wanted = {
        number: part.picture for number, part in enumerate(parts, 1)
        if part.boxes and part.picture and part.area and part.picture[1].area >= BACKGROUND_SHARE * part.area
        and has_ink(part.picture[0])
    }
    if ocr == "off":
        return [OcrPage(page=number, confidence=None, error="background picture not read: OCR is off") for number in wanted]
    read = read_boxes(path, [(number, _upright_opener(*picture)) for number, picture in wanted.items()])
    facts = []
    for number, (image, where) in wanted.items():
        words, page_facts = read[number]
        parts[number - 1].boxes = merge(parts[number - 1].boxes, on_page(words, upright_size(image, where), where))
        facts += [page_facts] if page_facts else []
    return facts


def _outline_pages(path: Path, parts: list[_PageParts], pages: list[str]) -> list[OcrPage]:
    """Pages with no text to read that draw many outlines: their text is shapes, not characters."""
    if not any(page.strip() for page in pages):
        return []  # the whole file is refused below, with the reason
    facts = []
    for number, part in enumerate(parts, 1):
        if not pages[number - 1].strip() and not part.picture and part.outlines >= _OUTLINE_TEXT:
            reason = f"text drawn as outlines ({part.outlines} paths), not characters: not read"
            log.warning("%s: page %d: %s", path, number, reason)
            facts.append(OcrPage(page=number, confidence=None, error=reason))
    return facts


def _opener(image: bytes):
    return lambda: Image.open(io.BytesIO(image))


def _upright_opener(image: bytes, where: Placement):
    return lambda: upright(Image.open(io.BytesIO(image)), where)


def _deltas(value: str | None, count: int) -> list[float]:
    """The first ``count`` advances of a DeltaX/DeltaY, where ``g N D`` stands for N advances of D;
    never more than ``count`` are read, however many the attribute declares."""
    tokens = (value or "").split()
    out: list[float] = []
    i = 0
    while i < len(tokens) and len(out) < count:
        if tokens[i] == "g" and i + 2 < len(tokens):
            repeat = min(count - len(out), _MAX_REPEAT, max(0, int(_finite(tokens[i + 1]))))
            out += [_finite(tokens[i + 2])] * repeat
            i += 3
        else:
            out.append(_finite(tokens[i]))
            i += 1
    return out


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
