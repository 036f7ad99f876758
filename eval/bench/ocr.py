"""Section "ocr": OCR seconds per scanned page and their share of indexing time.

The repository's own 公文 (``corpus/*.txt``) are printed onto A4 page images at 150 dpi with a
Noto CJK font, a red seal stamped over the end of each, and saved as image-only PDFs: what an
office scanner without OCR writes. Those PDFs are indexed with the real model, and the OCR time
the indexer spent (``indexer.ingest.ocr.OCR_TIME``) is compared with the whole run's.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from eval.bench.corpus import REPO, Corpus
from eval.bench.plan import Plan, Section
from eval.bench.timing import Progress

FONT_FILES = (Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
              Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"))
PAGE_PIXELS = (1240, 1754)  # A4 at 150 dpi, the resolution the indexer renders PDF pages at
CHARS_PER_LINE, LINES_PER_PAGE = 28, 22  # GB/T 9704: 28 characters a line, 22 lines a page
PAGES = {"full": 5, "quick": 2}  # scanned pages per plan (one for any other, such as the tests' tiny plan)


def bench_ocr(plan: Plan, corpus: Corpus, log: Progress) -> dict[str, Any]:
    """Index scanned copies of corpus/ and time OCR against the whole indexing run."""
    from indexer.ingest.ocr import OCR_TIME
    from indexer.update.folder import update_index

    font = next((path for path in FONT_FILES if path.is_file()), None)
    if font is None:
        return {"skipped": "no Noto CJK font to print pages with (apt-get install fonts-noto-cjk)"}
    sources = sorted((REPO / "corpus").glob("*.txt"))[: PAGES.get(plan.name, 1)]
    folder = corpus.work / "ocr-scans"
    folder.mkdir()
    printed = {}
    for source in sources:
        text = "".join(source.read_text(encoding="utf-8").split())[: CHARS_PER_LINE * LINES_PER_PAGE]
        _scan(text, font).save(folder / f"{source.stem}.pdf", "PDF", resolution=150.0)
        printed[source.stem] = text
    log(f"ocr: indexing {len(printed)} scanned pages")
    before = (OCR_TIME.seconds, OCR_TIME.cpu_seconds, OCR_TIME.pages)
    started, cpu_started = time.perf_counter(), time.process_time()
    report = update_index([folder], corpus.work / "ocr-index", embedder=corpus.model, progress=False)
    total, cpu_total = time.perf_counter() - started, time.process_time() - cpu_started
    ocr_seconds, ocr_cpu = OCR_TIME.seconds - before[0], OCR_TIME.cpu_seconds - before[1]
    pages = OCR_TIME.pages - before[2]
    from indexer.index.local import LocalIndex

    index = LocalIndex.load(corpus.work / "ocr-index")
    accuracy = [character_accuracy(doc.text, printed[Path(doc.source).stem]) for doc in index.documents.values()]
    return {
        "pages": pages,
        "failed": report.failed,
        "ocr_seconds": round(ocr_seconds, 2),
        "ocr_seconds_per_page": round(ocr_seconds / max(pages, 1), 2),
        "indexing_seconds": round(total, 2),
        "ocr_share_of_indexing": round(ocr_seconds / total, 3) if total else None,
        "ocr_cpu_seconds_per_page": round(ocr_cpu / max(pages, 1), 2),
        "ocr_share_of_indexing_cpu": round(ocr_cpu / cpu_total, 3) if cpu_total else None,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "characters_per_page": round(sum(map(len, printed.values())) / max(len(printed), 1)),
        "character_accuracy_mean": round(sum(accuracy) / len(accuracy), 4) if accuracy else None,
        "note": "A4 pages at 150 dpi, 28 x 22 characters of real 公文 text, a red seal over the last lines; "
        "OCR time is recognition (detection, classification, recognition, layout); indexing also renders, "
        "chunks and embeds with the real model; CPU seconds are the process's, unaffected by other load",
    }


def _scan(text: str, font_file: Path):
    """An A4 page image of ``text``, 28 characters a line, with a red seal over its last lines."""
    from PIL import Image, ImageChops, ImageDraw, ImageFont

    font = ImageFont.truetype(str(font_file), 33, index=2)  # the collection's Simplified Chinese face
    page = Image.new("RGB", PAGE_PIXELS, "white")
    draw = ImageDraw.Draw(page)
    left, top, leading = 158, 180, 62
    lines = [text[i : i + CHARS_PER_LINE] for i in range(0, len(text), CHARS_PER_LINE)]
    for row, line in enumerate(lines):
        draw.text((left, top + row * leading), line, font=font, fill=(25, 25, 25))
    seal = Image.new("RGB", PAGE_PIXELS, "white")
    cx, cy = PAGE_PIXELS[0] - 400, top + (len(lines) - 2) * leading
    ImageDraw.Draw(seal).ellipse((cx - 120, cy - 120, cx + 120, cy + 120), outline=(214, 38, 46), width=9)
    return ImageChops.multiply(page, seal)


def character_accuracy(found: str, truth: str) -> float:
    """1 - edit distance / length, whitespace ignored: the share of the truth's characters read right."""
    a, b = "".join(found.split()), "".join(truth.split())
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return 1 - previous[-1] / max(len(b), 1)


def ocr_table(part: dict[str, Any]) -> list[str]:
    if "skipped" in part:
        return ["", f"OCR: skipped ({part['skipped']})"]
    return [
        "", f"OCR of scanned pages ({part['pages']} A4 pages, {part['characters_per_page']} characters each, sealed)",
        f"  seconds per page        {part['ocr_seconds_per_page']} wall, {part['ocr_cpu_seconds_per_page']} CPU",
        f"  share of indexing time  {part['ocr_share_of_indexing']:.1%} wall ({part['ocr_seconds']} s of "
        f"{part['indexing_seconds']} s), {part['ocr_share_of_indexing_cpu']:.1%} CPU",
        f"  character accuracy      {part['character_accuracy_mean']}",
    ]


SECTION = Section(measure=bench_ocr, table=ocr_table)
