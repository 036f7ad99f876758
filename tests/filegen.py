"""Writers of real test files: PDFs, DOCX, HTML pages and text in the encodings offices use.

Every file is made by the library a real producer would use (reportlab, python-docx), so the
tests exercise the same parsing paths as files from the field.

Chinese in PDFs uses reportlab's built-in CID font STSong-Light: it needs no font file on the
machine, and pypdf extracts its text back as Unicode (checked by tests/test_ingest.py).
"""

from __future__ import annotations

import io
import zipfile
import zlib
from html import escape
from pathlib import Path

import docx
import pypdf
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

CJK_FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))

# Paragraphs of a realistic 公文 (notice with heading ladder), reused by several tests.
NOTICE_TITLE = "浦东新区人民政府办公室关于印发《浦东新区托育服务三年行动计划》的通知"
NOTICE_PARAGRAPHS = [
    "浦府办〔2021〕12号",
    "区政府各委、办、局，各街道办事处、镇政府：",
    "《浦东新区托育服务三年行动计划（2021-2023年）》已经区政府同意，现印发给你们，请认真按照执行。",
    "一、总体要求",
    "坚持以人民为中心的发展思想，加快构建普惠托育服务体系，满足家庭多层次、多样化的托育服务需求。",
    "（一）增加普惠服务供给",
    "到2023年，全区新增普惠性托位不少于2000个，每个街镇至少建成一个社区托育服务点。",
    "上海市浦东新区人民政府办公室",
    "2021年5月13日",
]

_LINE_CHARS = 30  # characters per PDF line at 12 pt on A4 with 2 cm margins


def make_pdf(path: Path, pages: list[str], encrypt_password: str | None = None, title: str | None = None) -> Path:
    """A text PDF, one string per page; lines longer than a PDF line wrap, as in real exports.

    With ``encrypt_password`` the file is AES-256 encrypted with that user password (an owner
    password is set too); ``""`` gives the common "restrictions only" PDF that opens without one.
    ``title`` goes into the document properties, which are otherwise left blank.
    """
    return _write(path, _pdf_bytes(pages, encrypt_password, title))


def _pdf_bytes(pages: list[str], encrypt_password: str | None = None, title: str | None = None) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(title or "")  # reportlab would write "untitled"
    for page in pages:
        text = pdf.beginText(57, A4[1] - 72)
        text.setFont(CJK_FONT, 12, leading=20)
        for line in page.splitlines():
            for start in range(0, max(1, len(line)), _LINE_CHARS):
                text.textLine(line[start : start + _LINE_CHARS])
        pdf.drawText(text)
        pdf.showPage()
    pdf.save()
    data = buffer.getvalue()
    if encrypt_password is not None:
        writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
        writer.encrypt(user_password=encrypt_password, owner_password="owner-" + encrypt_password, algorithm="AES-256")
        out = io.BytesIO()
        writer.write(out)
        data = out.getvalue()
    return data


def make_scanned_pdf(path: Path, pages: int = 2) -> Path:
    """What a scanner produces without OCR: every page is drawing only, no text objects."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for _ in range(pages):
        pdf.rect(57, 100, A4[0] - 114, A4[1] - 200)  # page border of the scan
        for row in range(30):  # grey bars where the printed lines were
            pdf.setFillGray(0.2 + 0.02 * (row % 5))
            pdf.rect(80, A4[1] - 140 - row * 20, 380 - (row % 4) * 40, 8, stroke=0, fill=1)
        pdf.showPage()
    pdf.save()
    return Path(path)


def make_corrupt_pdf(path: Path) -> Path:
    """A real PDF cut off half-way, like an interrupted download or a full disk."""
    data = _pdf_bytes(["关于印发托育服务三年行动计划的通知", "第二页：任务分工"])
    return _write(path, data[: len(data) // 2])


def make_docx(
    path: Path,
    paragraphs: list[str],
    table_rows: list[list[str]] | None = None,
    title: str | None = None,
    closing: list[str] | None = None,
) -> Path:
    """A Word document: paragraphs, then an optional table, then optional closing paragraphs."""
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table_rows:
        table = document.add_table(rows=len(table_rows), cols=len(table_rows[0]))
        for row, values in zip(table.rows, table_rows):
            for cell, value in zip(row.cells, values):
                cell.text = value
    for paragraph in closing or []:
        document.add_paragraph(paragraph)
    if title is not None:
        document.core_properties.title = title
    document.save(str(path))
    return Path(path)


def make_junk_docx(path: Path) -> Path:
    """A valid ZIP archive named .docx that holds no Word document parts."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "这不是一个Word文档")
        archive.writestr("data.bin", bytes(range(256)) * 4)
    return Path(path)


def make_html(
    path: Path,
    title: str,
    paragraphs: list[str],
    with_navigation: bool = True,
    encoding: str = "utf-8",
) -> Path:
    """A saved government-portal page: the article inside menus, breadcrumbs, related links and footer."""
    article = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    head = f'<head><meta charset="{encoding}"><title>{escape(title)}_政务公开_示例市人民政府门户网站</title></head>'
    if not with_navigation:
        body = f"<body><h1>{escape(title)}</h1>\n{article}</body>"
    else:
        body = f"""<body>
<div class="top-nav"><ul>
<li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zcwj/">政策文件</a></li>
<li><a href="/hdjl/">互动交流</a></li><li><a href="/bsfw/">办事服务</a></li></ul></div>
<div class="breadcrumb"><a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="/zcwj/">政策文件</a></div>
<div class="main"><div class="article">
<h1>{escape(title)}</h1>
<div class="info">来源：示例市人民政府办公厅　发布时间：2024-03-20</div>
{article}
</div></div>
<div class="related"><h3>相关知识</h3><ul>
<li><a href="/a/1408.html">对十二届全国人大五次会议第1408号建议的答复</a></li>
<li><a href="/a/0616.html">对省十四届人大一次会议0616号建议的答复</a></li>
<li><a href="/a/kaimu.html">安徽省十三届人大四次会议开幕</a></li>
</ul></div>
<div class="footer">
<p>网址: {escape(title)} https://www.example.gov.cn/zcwj/2024/0320.html</p>
<p>主办单位：示例市人民政府办公厅　网站标识码：1234000001　备案号：京ICP备12345678号</p>
</div>
</body>"""
    html = f"<!DOCTYPE html>\n<html lang=\"zh-CN\">{head}\n{body}</html>\n"
    return _write(path, html.encode(encoding))


def make_nested_html(path: Path, depth: int, text: str = "深层嵌套页面中的正文：关于做好托育服务工作的通知。") -> Path:
    """Markup nested ``depth`` divs deep around one paragraph: parsers' recursion and depth limits."""
    html = f"<html><head><title>嵌套页面</title></head><body>{'<div>' * depth}<p>{text}</p>{'</div>' * depth}</body></html>"
    return _write(path, html.encode("utf-8"))


def write_gbk(path: Path, text: str) -> Path:
    return _write(path, text.encode("gbk"))


def write_gb18030(path: Path, text: str) -> Path:
    return _write(path, text.encode("gb18030"))


def make_binary_txt(path: Path) -> Path:
    """A PNG image saved under a .txt name: NUL bytes, compressed data, no text."""
    pixels = zlib.compress(bytes(range(256)) * 64)
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x40\x00\x00\x00\x40\x08\x00\x00\x00\x00" + pixels
    return _write(path, data)


def _write(path: Path, data: bytes) -> Path:
    path = Path(path)
    path.write_bytes(data)
    return path
