"""pdfium is not thread-safe: the server reads PDFs from several threads at once (an upload being
indexed, 原文 page images, outlines) and two threads inside pdfium crashed the server with no
traceback (seen in CI as the browser tests' server dying while it served a page image).

The readers run in a child process so that a crash fails this test instead of killing the suite.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from filegen import make_pdf

READERS_IN_THREADS = """
import sys, threading
from pathlib import Path
from indexer.ingest import pagelines
from indexer.ingest.pdf import extract_pdf
from indexer.ingest.pdftext import background_pages, page_boxes

path = Path(sys.argv[1])
data = path.read_bytes()
jobs = [
    lambda r: pagelines.render_pdf_page(data, 1 + r % 6, 1.0),
    lambda r: page_boxes(data),
    lambda r: (background_pages(data, 0.5), pagelines.pdf_page(data, 1 + r % 6)),
    lambda r: extract_pdf(path, data, ocr="off"),
]
def work(k):
    for r in range(12):
        jobs[k % len(jobs)](r)
threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("read in 8 threads")
"""


@pytest.mark.system
def test_pdf_readers_and_page_images_in_many_threads_at_once_do_not_crash(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "notice.pdf", [f"第{i}页 关于做好托育服务工作的通知 " * 30 for i in range(1, 7)])
    done = subprocess.run([sys.executable, "-c", READERS_IN_THREADS, str(pdf)], capture_output=True, text=True,
                          timeout=600, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, f"the readers crashed (exit {done.returncode}): {done.stderr[-2000:]}"
    assert done.stdout.strip() == "read in 8 threads"


def test_only_the_locked_module_opens_pdfs_with_pdfium() -> None:
    """A new reader that opens a PDF with pypdfium2 directly would bring the crash back."""
    root = Path(__file__).resolve().parents[1]
    direct = [str(path.relative_to(root)) for folder in ("indexer", "search_api", "eval")
              for path in (root / folder).rglob("*.py")
              if "PdfDocument(" in path.read_text(encoding="utf-8") and path.name != "pdfium_access.py"]
    assert direct == []
