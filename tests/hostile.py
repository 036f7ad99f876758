"""Small files made to hurt, and a way to read them with the damage bounded.

Each writer makes a file of a few kilobytes that, read naively, costs gigabytes or hours (the
reproductions of issue 35). ``read_bounded`` reads one in a child process under an address-space
limit, so a regression fails the test with a MemoryError instead of taking the shared machine.
"""

from __future__ import annotations

import io
import json
import random
import resource
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OFD_NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def text_ofd(path: Path, text: str, *, x: str = "20", delta_x: str | None = None) -> Path:
    """A one-page OFD whose only TextCode is ``text`` at ``x``, with the given DeltaX."""
    delta = f' DeltaX="{delta_x}"' if delta_x is not None else ""
    parts = {
        "OFD.xml": f'<ofd:OFD {OFD_NS} Version="1.0" DocType="OFD"><ofd:DocBody>'
                   "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        "Doc_0/Document.xml": f"<ofd:Document {OFD_NS}><ofd:CommonData><ofd:PageArea><ofd:PhysicalBox>0 0 210 297"
                              "</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData><ofd:Pages>"
                              '<ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>',
        "Doc_0/Pages/Page_0/Content.xml": f'<ofd:Page {OFD_NS}><ofd:Content><ofd:Layer ID="2">'
                                          f'<ofd:TextObject ID="3" Boundary="0 0 210 297" Size="5">'
                                          f'<ofd:TextCode X="{x}" Y="30"{delta}>{text}</ofd:TextCode>'
                                          "</ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, xml in parts.items():
            package.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + xml)
    return Path(path)


def zip_bomb_docx(path: Path, megabytes: int) -> None:
    """A DOCX whose document.xml inflates to ``megabytes`` MB of one repeated run."""
    run = "<w:p><w:r><w:t>关于开展试点工作的通知</w:t></w:r></w:p>"
    body = run * (megabytes * 1024 * 1024 // len(run.encode()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        archive.writestr("word/document.xml", '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>' + body + "</w:body></w:document>")


def grid_span_docx(path: Path, span: int) -> Path:
    """A DOCX whose table has a cell declaring ``span`` grid columns (Word allows 63)."""
    import docx
    from docx.oxml.ns import qn
    from docx.oxml.parser import OxmlElement

    document = docx.Document()
    document.add_paragraph("关于做好表格报送工作的通知")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "报送单位"
    table.rows[0].cells[1].text = "教育局"
    grid = OxmlElement("w:gridSpan")
    grid.set(qn("w:val"), str(span))
    table.rows[0].cells[1]._tc.get_or_add_tcPr().append(grid)
    document.add_paragraph("请于月底前报送。")
    document.save(str(path))
    return Path(path)


def huge_page_pdf(path: Path, points: float = 14_400) -> Path:
    """A PDF of one empty page ``points`` wide and high (14,400 is the largest the format allows)."""
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(points, points)
    writer.write(str(path))
    return Path(path)


def blank_pages_pdf(path: Path, pages: int) -> Path:
    """A PDF of ``pages`` empty A4 pages: every one lacks a text layer, so every one wants OCR."""
    import pypdf

    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    writer.write(str(path))
    return Path(path)


def blank_frames_tiff(path: Path, frames: int) -> Path:
    """A multi-page TIFF of ``frames`` white A4 pages at 150 dpi, compressed to a few hundred bytes each."""
    from PIL import Image

    page = Image.new("1", (1240, 1754), 1)
    page.save(path, "TIFF", compression="group4", save_all=True, append_images=[page] * (frames - 1))
    return Path(path)


def ole2_noise_doc(path: Path, size: int = 96_000, seed: int = 35) -> Path:
    """The OLE2 signature followed by random bytes, named .doc: no Word document inside."""
    noise = random.Random(seed).randbytes(size)
    return _write(path, OLE2_MAGIC + noise)


def many_paragraphs_html(path: Path, paragraphs: int) -> Path:
    """A page of ``paragraphs`` short <p> elements (a real portal page has a few hundred elements)."""
    body = "".join(f"<p>第{i}段：关于做好托育服务工作的通知。</p>" for i in range(paragraphs))
    return _write(path, f"<html><head><title>长页面</title></head><body>{body}</body></html>".encode())


def _write(path: Path, data: bytes) -> Path:
    Path(path).write_bytes(data)
    return Path(path)


# ----------------------------------------------------------------------------- bounded reading

READER = """
import json, sys
from pathlib import Path
from indexer.errors import UnreadableFile
from indexer.ingest import extract
from indexer.ingest.ocr import OCR_TIME
try:
    extracted = extract(Path(sys.argv[1]), sys.argv[2])
    out = {"pages": extracted.pages}
except UnreadableFile as error:
    out = {"refused": error.reason}
out["ocr_pages"] = OCR_TIME.pages
# VmHWM: this process's own peak (ru_maxrss would carry the forking parent's over the exec)
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
out["max_rss_mib"] = int(peak.split()[1]) / 1024
print(json.dumps(out, ensure_ascii=False))
"""


@dataclass
class Bounded:
    returncode: int
    result: dict
    stderr: str

    @property
    def max_rss_mib(self) -> float:
        return float(self.result.get("max_rss_mib", float("inf")))


def read_bounded(path: Path, *, ocr: str = "auto", memory_mib: int = 1536, timeout: float = 300,
                 env: dict[str, str] | None = None) -> Bounded:
    """``extract(path)`` in a child process whose address space is limited to ``memory_mib``: what it
    returned (pages, or the refusal's reason), the pages OCR read, and its peak resident memory."""
    import os

    limit = memory_mib * 2**20

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    child_env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                 **(env or {})}
    done = subprocess.run([sys.executable, "-c", READER, str(path), ocr], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limited, env=child_env, cwd=REPO)
    lines = done.stdout.strip().split("\n")  # not splitlines(): extracted text keeps U+2028/U+2029 marks
    result = json.loads(lines[-1]) if done.returncode == 0 and lines else {}
    return Bounded(done.returncode, result, done.stderr[-3000:])


def png_bytes(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
