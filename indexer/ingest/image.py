"""Images of document pages (.png, .jpg, .tif): every frame is a page, read by OCR."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from indexer.errors import UnreadableFile
from indexer.ingest.limits import check_pages
from indexer.ingest.ocr import OcrMode, read_pages
from indexer.models import OcrPage

# Decompression-bomb guard: an A0 scan at 600 dpi is about 600 million pixels; a page is far less.
MAX_PIXELS = 200_000_000


def extract_image(path: Path, data: bytes, ocr: OcrMode = "auto") -> tuple[list[str], None, list[OcrPage]]:
    """(page texts, no title, OCR facts of every page but blank ones); a multi-page TIFF gives one text per frame."""
    if ocr == "off":
        raise UnreadableFile(path, "image of a page: its text needs OCR, and OCR is off")
    try:
        image = Image.open(io.BytesIO(data))
        frames = getattr(image, "n_frames", 1)
        if image.width * image.height > MAX_PIXELS:
            raise UnreadableFile(path, f"image too large: {image.width} x {image.height} pixels")
        image.verify()
    except UnidentifiedImageError:
        raise UnreadableFile(path, "not a readable image: not a PNG, JPEG or TIFF file") from None
    except Image.DecompressionBombError as exc:
        raise UnreadableFile(path, f"image too large: {exc}") from exc
    except (OSError, SyntaxError, ValueError) as exc:  # what Pillow raises on truncated or damaged data
        raise UnreadableFile(path, f"not a readable image: {exc}") from exc
    check_pages(path, frames, frames)  # every frame is a page for OCR
    read = read_pages(path, [(frame + 1, _frame_of(data, frame)) for frame in range(frames)])
    pages = [read[frame + 1][0] for frame in range(frames)]
    facts = [found for frame in range(frames) if (found := read[frame + 1][1])]  # a blank frame was not read by OCR
    if not any(page.strip() for page in pages):
        errors = sorted({f.error for f in facts if f.error})
        raise UnreadableFile(path, f"no text found by OCR in the image ({frames} pages){'; ' + errors[0] if errors else ''}")
    return pages, None, facts


def _frame_of(data: bytes, frame: int):
    def load() -> Image.Image:
        image = Image.open(io.BytesIO(data))
        image.seek(frame)
        return ImageOps.exif_transpose(image)  # phone photos of pages are stored sideways with a rotation tag

    return load
