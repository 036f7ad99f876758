"""Writers of real test files: PDFs, DOCX, HTML pages and text in the encodings offices use.

Every file is made by the library a real producer would use (reportlab, python-docx), so the
tests exercise the same parsing paths as files from the field.

Chinese in PDFs uses reportlab's built-in CID font STSong-Light: it needs no font file on the
machine, and pypdf extracts its text back as Unicode (checked by tests/test_ingest.py).
"""

from __future__ import annotations

import io
import itertools
import re
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


def _text_page(pdf: canvas.Canvas, page: str) -> None:
    """One typed A4 page (a real text layer) of ``page``'s lines, each wrapped at _LINE_CHARS."""
    text = pdf.beginText(57, A4[1] - 72)
    text.setFont(CJK_FONT, 12, leading=20)
    for line in page.splitlines():
        for start in range(0, max(1, len(line)), _LINE_CHARS):
            text.textLine(line[start : start + _LINE_CHARS])
    pdf.drawText(text)
    pdf.showPage()


def _pdf_bytes(pages: list[str], encrypt_password: str | None = None, title: str | None = None) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(title or "")  # reportlab would write "untitled"
    for page in pages:
        _text_page(pdf, page)
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


_TEXT_BOX = """<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
 xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
 xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
 xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:v="urn:schemas-microsoft-com:vml"
 xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><mc:Choice Requires="wps"><w:drawing>
<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="{id}" behindDoc="0" locked="0"
 layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>
<wp:positionH relativeFrom="page"><wp:posOffset>{left}</wp:posOffset></wp:positionH>
<wp:positionV relativeFrom="page"><wp:posOffset>{top}</wp:posOffset></wp:positionV>
<wp:extent cx="{width}" cy="{height}"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>
<wp:docPr id="{id}" name="Text Box {id}"/><wp:cNvGraphicFramePr/>
<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp>
<wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{width}" cy="{height}"/></a:xfrm>
<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/><a:ln><a:noFill/></a:ln></wps:spPr>
<wps:txbx><w:txbxContent>{paragraphs}</w:txbxContent></wps:txbx><wps:bodyPr/></wps:wsp></a:graphicData></a:graphic>
</wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape id="box{id}" type="#_x0000_t202"
 style="position:absolute;margin-left:{left_pt}pt;margin-top:{top_pt}pt;width:{width_pt}pt;height:{height_pt}pt">
<v:textbox><w:txbxContent>{paragraphs}</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent>"""


_BOX_IDS = itertools.count(100)


def add_text_box(paragraph, lines: list[str], top: float, left: float, width: float = 200.0, size: float = 16.0,
                 red: bool = False) -> None:
    """A floating text box anchored in ``paragraph`` at (``left``, ``top``) points from the page's
    corner, as Word writes one (a DrawingML shape and its VML copy for older readers)."""
    from docx.oxml import parse_xml

    colour = '<w:color w:val="FF0000"/>' if red else ""
    runs = "".join(f'<w:p><w:r><w:rPr>{colour}<w:sz w:val="{round(size * 2)}"/></w:rPr><w:t>{escape(line)}</w:t></w:r></w:p>'
                   for line in lines)
    emu = 12_700
    ident = next(_BOX_IDS)
    box = _TEXT_BOX.format(id=ident, left=round(left * emu), top=round(top * emu), width=round(width * emu),
                           height=round(size * 1.6 * len(lines) * emu), left_pt=left, top_pt=top, width_pt=width,
                           height_pt=size * 1.6 * len(lines), paragraphs=runs)
    run = paragraph.add_run()
    run._r.append(parse_xml(box))


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


# ----------------------------------------------------------------------------- scans, OFD-free office files

# Debian's fonts-noto-cjk; the Simplified Chinese face of the collection is found by its name.
NOTO_SERIF_BOLD = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc")  # fonts-noto-cjk, beside the regular faces
NOTO_CJK_FILES = (
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)
SCAN_DPI = 150
_A4_PIXELS = (round(210 / 25.4 * SCAN_DPI), round(297 / 25.4 * SCAN_DPI))  # 1240 x 1754
SEAL_RED = (214, 38, 46)
MASTHEAD_RED = (252, 22, 30)  # 红头 print: brighter than a seal's ink, as light as paper in the red channel


def cjk_font_file() -> Path | None:
    """The Noto CJK collection installed by fonts-noto-cjk, or None."""
    return next((path for path in NOTO_CJK_FILES if path.is_file()), None)


def _cjk_font(size: int):
    from PIL import ImageFont

    path = cjk_font_file()
    if path is None:
        raise FileNotFoundError("no Noto CJK font: install the Debian package fonts-noto-cjk")
    for index in range(10):
        font = ImageFont.truetype(str(path), size, index=index)
        if font.getname()[0].endswith(" SC"):
            return font
    raise FileNotFoundError(f"{path} has no Simplified Chinese face")


def _bold_cjk_font(size: int):
    """The Simplified Chinese face of the bold Noto CJK serif (``NOTO_SERIF_BOLD``)."""
    from PIL import ImageFont

    for index in range(5):
        font = ImageFont.truetype(str(NOTO_SERIF_BOLD), size, index=index)
        if font.getname()[0].endswith(" SC"):
            return font
    raise FileNotFoundError(f"{NOTO_SERIF_BOLD} has no Simplified Chinese face")


def _wrap(text: str, width: int) -> list[str]:
    return [text[start : start + width] for start in range(0, len(text), width)] or [""]


def render_gongwen_page(
    lines: list[tuple[str, str]], *, seal_text: str | None = None, size: tuple[int, int] = _A4_PIXELS, seed: int = 0,
    seal_ink: tuple[int, int, int] = SEAL_RED,
):
    """A scanned 公文 page as a Pillow image, and the text printed on it (one string per line).

    ``lines`` are (kind, text) with kind ``masthead`` (red, larger still, centred: a 红头), ``title``
    (centred, large), ``centre``, ``left``, ``body`` (paragraph: two-character first-line indent,
    wrapped at 28 characters as GB/T 9704 sets) or ``right``. With ``seal_text`` a red seal (公章) is stamped across the last two lines, as on a
    signed document: multiplied onto the page like ink, so the text under it stays dark. ``seal_ink``
    is its colour: a stamp pressed hard and scanned dark is far from paper even in the red channel.
    """
    import numpy as np
    from PIL import Image, ImageChops, ImageDraw, ImageFilter

    width, height = size
    body_font, title_font, masthead_font = _cjk_font(33), _cjk_font(44), _cjk_font(60)
    char = body_font.getlength("国")
    left, right = int((width - 28 * char) / 2), int((width + 28 * char) / 2)
    page = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(page)
    printed: list[str] = []
    y = int(height * 0.12)
    placed: list[tuple[int, int, int]] = []  # (x_centre, y_top, y_bottom) of each line drawn
    for kind, text in lines:
        font = masthead_font if kind == "masthead" else title_font if kind == "title" else body_font
        wrapped = _wrap(text, 20) if kind == "title" else _wrap(text, 26) if kind == "body" else [text]
        if kind == "body":  # the first line is indented two characters, the next ones are not
            first, rest = text[:26], text[26:]
            wrapped = [first] + _wrap(rest, 28) if rest else [first]
        for number, line in enumerate(wrapped):
            length = font.getlength(line)
            if kind in ("title", "centre", "masthead"):
                x = (width - length) / 2
            elif kind == "right":
                x = right - length - 2 * char
            else:
                x = left + (2 * char if kind == "body" and number == 0 else 0)
            draw.text((x, y), line, font=font, fill=MASTHEAD_RED if kind == "masthead" else (20, 20, 20))
            placed.append((int(x + length / 2), y, y + int(font.size * 1.2)))
            printed.append(line)
            y += int(font.size * 1.75)
        y += int(char * 0.4) if kind == "title" else 0
    if seal_text:
        x_mid, top, _ = placed[-2]
        page = ImageChops.multiply(page, _seal(size, (x_mid, top + int(char * 0.9)), seal_text, seal_ink))
    rng = np.random.default_rng(seed)  # scanner noise and a little blur
    pixels = np.asarray(page, dtype=np.int16) + rng.normal(0, 6, (height, width, 1)).astype(np.int16)
    page = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.5))
    return page, printed


def _seal(size: tuple[int, int], centre: tuple[int, int], text: str, ink: tuple[int, int, int] = SEAL_RED):
    """A round red seal on white: ring, star and the issuer's name along the top of the ring."""
    import math

    from PIL import Image, ImageDraw

    layer = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(layer)
    cx, cy = centre
    radius = 120
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=ink, width=9)
    star = [
        (cx + (36 if k % 2 == 0 else 14) * math.sin(k * math.pi / 5), cy - (36 if k % 2 == 0 else 14) * math.cos(k * math.pi / 5))
        for k in range(10)
    ]
    draw.polygon(star, fill=ink)
    font = _cjk_font(30)
    sweep = math.radians(240)
    for k, character in enumerate(text):
        angle = -sweep / 2 + sweep * k / max(1, len(text) - 1)
        glyph = Image.new("L", (40, 40), 0)
        ImageDraw.Draw(glyph).text((5, 2), character, font=font, fill=255)
        glyph = glyph.rotate(-math.degrees(angle), resample=Image.BICUBIC)
        gx = cx + (radius - 32) * math.sin(angle) - 20
        gy = cy - (radius - 32) * math.cos(angle) - 20
        layer.paste(Image.new("RGB", (40, 40), ink), (int(gx), int(gy)), glyph)
    return layer


# The printed lines of the scanned notice: title, 文号, 主送, body with headings, signature, date.
SCANNED_NOTICE = [
    ("title", NOTICE_TITLE),
    ("centre", NOTICE_PARAGRAPHS[0]),
    ("left", NOTICE_PARAGRAPHS[1]),
    ("body", NOTICE_PARAGRAPHS[2]),
    ("body", NOTICE_PARAGRAPHS[3]),
    ("body", NOTICE_PARAGRAPHS[4]),
    ("body", NOTICE_PARAGRAPHS[5]),
    ("body", NOTICE_PARAGRAPHS[6]),
    ("right", NOTICE_PARAGRAPHS[7]),
    ("right", NOTICE_PARAGRAPHS[8]),
]


def make_image_pdf(path: Path, images: list) -> Path:
    """An image-only PDF, one scanned page per image, as a scanner without OCR writes it."""
    first, *rest = [image.convert("RGB") for image in images]
    first.save(path, "PDF", resolution=float(SCAN_DPI), save_all=True, append_images=rest)
    return Path(path)


def make_mixed_pdf(path: Path, text_page: str, scanned_page) -> Path:
    """A typed page (real text layer) followed by a scanned attachment page (an image only)."""
    from reportlab.lib.utils import ImageReader

    pdf = canvas.Canvas(str(path), pagesize=A4)
    _text_page(pdf, text_page)
    pdf.drawImage(ImageReader(scanned_page.convert("RGB")), 0, 0, width=A4[0], height=A4[1])
    pdf.showPage()
    pdf.save()
    return Path(path)


def make_word97(path: Path, paragraphs: list[str], document: docx.document.Document | None = None) -> Path:
    """A Word 97-2003 binary file (.doc, or the same bytes under a .wps name) written by LibreOffice,
    of ``paragraphs`` in plain style, or of a ``document`` formatted by the test."""
    import shutil
    import subprocess
    import tempfile

    soffice = shutil.which("soffice")
    if soffice is None:
        raise FileNotFoundError("soffice not found: install the Debian package libreoffice-writer-nogui")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source.docx"
        if document is None:
            make_docx(source, paragraphs)
        else:
            document.save(str(source))
        profile = (Path(tmp) / "profile").as_uri()
        subprocess.run(
            [soffice, "--headless", f"-env:UserInstallation={profile}", "--convert-to", "doc:MS Word 97",
             "--outdir", tmp, str(source)],
            check=True, capture_output=True, timeout=180,
        )
        data = (Path(tmp) / "source.doc").read_bytes()
    assert data.startswith(b"\xd0\xcf\x11\xe0"), "LibreOffice did not write an OLE2 (Word 97) file"
    return _write(path, data)


# ----------------------------------------------------------------------------- 公文 laid out as Word prints them

BODY_PT = 16  # 三号: GB/T 9704 body text, 28 characters a line, 22 lines a page
_TEXT_LEFT, _TEXT_WIDTH = 79.0, 28 * BODY_PT * 1.0  # 28 mm left margin; the text block's width
_PITCH = 28.0


def make_gongwen_pdf(path: Path, pages: list[list[tuple]], running_header: str | None = None,
                     number_gap: float | None = None, title_space: float = 20.0, masthead_pitch: float = 38.0,
                     title_pitch: float = 32.0, framed: bool = False, masthead_spread: bool = False,
                     watermark: tuple[str, float, tuple[float, float, float]] | None = None) -> Path:
    """A 公文 PDF laid out as Word prints one: justified lines that run to the right margin, first-line
    indents, a centred title block, red masthead, signature and 版记, "— N —" page numbers.

    Each page is a list of (kind, text) blocks: ``masthead`` (red, large, centred; text or a list of
    names stacked beside "文件" for a joint masthead), ``number`` (centred 文号), ``title`` (a list of
    centred lines at 22 pt), ``recipient`` (flush left, wrapped), ``body`` (indented two characters,
    wrapped), ``right`` (a signature line), ``printed`` ((office, date) of the 版记), ``latin`` (text
    in Helvetica, whose soft hyphen glyph Word-made PDFs draw as a hyphen), ``gap`` (one blank line),
    ``preamble`` (flush left and wrapped like ``recipient``, in red: a law's 题注 under its title),
    ``signatures`` (rows of joint signers side by side, a name given as "…\\n…" set on two lines),
    ``mark`` (a 版头 mark at the top left, "特急" or "机密★1年", in 14 pt).
    ``running_header`` is printed in body type at the top of every page (a 公报's "XX公报 2021·5"),
    as far above the text as a line's pitch; ``number_gap``, where given, is how many pitches below the
    text's last line the page number stands (else it sits at the foot of the page). ``title_space`` is
    the space under the title block's last line (a typeset 公文 sets the 主送 close under it);
    ``masthead_pitch`` the distance between a joint masthead's names (set solid: about their size);
    ``title_pitch`` the distance between a title's lines (set double: about twice their size);
    ``masthead_spread`` spreads each of a joint masthead's names over the longest one's width (分散对齐).
    ``centred`` blocks are lines centred in body type (a title printed in the body's size).
    ``table`` is (column widths in points, rows): a table ruled as Word draws one, in 12 pt, each
    cell's text wrapped inside its cell; a cell given as None is merged with the cell above it (no
    rule between them, its text in the top one). ``framed`` draws a ruled frame round each page's
    text, a rule under its first block (a form's 稿纸: two "cells", one holding the page's text).
    ``watermark`` is (text, opacity, grey fill) tiled at 30 degrees over every page, drawn last, as
    a trading platform stamps who downloaded a file and when.
    """
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for number, blocks in enumerate(pages, start=1):
        y = A4[1] - 100
        if running_header:
            pdf.setFillColorRGB(0, 0, 0)
            pdf.setFont(CJK_FONT, BODY_PT)
            pdf.drawString(_TEXT_LEFT, y + _PITCH - BODY_PT, running_header)
        rules = [y + 6]
        for kind, text in blocks:
            y = _draw_block(pdf, kind, text, y, title_space, masthead_pitch, title_pitch, masthead_spread)
            rules.append(y + 6)
        if framed:
            pdf.setStrokeColorRGB(0, 0, 0)
            pdf.setLineWidth(0.75)
            for rule in (rules[0], rules[1], rules[-1]):
                pdf.line(_TEXT_LEFT - 8, rule, _TEXT_LEFT + _TEXT_WIDTH + 8, rule)
            for x in (_TEXT_LEFT - 8, _TEXT_LEFT + _TEXT_WIDTH + 8):
                pdf.line(x, rules[0], x, rules[-1])
        pdf.setFillColorRGB(0, 0, 0)
        pdf.setFont(CJK_FONT, 14)
        pdf.drawCentredString(_TEXT_LEFT + _TEXT_WIDTH / 2, 50 if number_gap is None else y + _PITCH - BODY_PT - number_gap * _PITCH, f"— {number} —")
        if watermark:
            _tile_watermark(pdf, *watermark)
        pdf.showPage()
    pdf.save()
    return Path(path)


def _tile_watermark(pdf: canvas.Canvas, text: str, opacity: float, grey: tuple[float, float, float]) -> None:
    pdf.saveState()
    pdf.setFillAlpha(opacity)
    pdf.setFillColorRGB(*grey)
    pdf.setFont(CJK_FONT, 12)
    for x in range(0, int(A4[0]), 170):
        for y in range(0, int(A4[1]), 120):
            pdf.saveState()
            pdf.translate(x, y)
            pdf.rotate(30)
            pdf.drawString(0, 0, text)
            pdf.restoreState()
    pdf.restoreState()


def map_glyph_wrongly(path: Path, printed: str, read_as: str) -> Path:
    """Give the CJK font of a PDF made by ``make_gongwen_pdf`` a ToUnicode map that reads the glyph
    of ``printed`` as ``read_as``, as some fonts of browsers' printouts map "《" to a space; every
    other glyph maps to itself. The page still shows ``printed``."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter(clone_from=PdfReader(str(path)))
    cmap = DecodedStreamObject()
    cmap.set_data(
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CIDSystemInfo << /Registry (Adobe) "
        b"/Ordering (UCS) /Supplement 0 >> def /CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n1 beginbfrange <0000> <FFFF> <0000> endbfrange\n"
        + f"1 beginbfchar <{ord(printed):04X}> <{ord(read_as):04X}> endbfchar\n".encode()
        + b"endcmap CMapName currentdict /CMap defineresource pop end end"
    )
    reference = writer._add_object(cmap)
    for page in writer.pages:
        for font in page["/Resources"]["/Font"].values():
            if font.get_object().get("/Subtype") == "/Type0":
                font.get_object()[NameObject("/ToUnicode")] = reference
    writer.write(str(path))
    return Path(path)


def _draw_block(pdf: canvas.Canvas, kind: str, text, y: float, title_space: float = 20.0, masthead_pitch: float = 38.0,
                title_pitch: float = 32.0, text_spread: bool = False) -> float:
    middle = _TEXT_LEFT + _TEXT_WIDTH / 2
    pdf.setFillColorRGB(0, 0, 0)
    if kind == "masthead":
        pdf.setFillColorRGB(0.9, 0.1, 0.1)
        if isinstance(text, str):
            pdf.setFont(CJK_FONT, 36)
            pdf.drawCentredString(middle, y - 36, text)
            return y - 80
        names_width = max(len(name) for name in text) * 30
        left = middle - (names_width + 70) / 2
        pdf.setFont(CJK_FONT, 30)
        for k, name in enumerate(text):
            spread = text_spread and len(name) > 1
            line = pdf.beginText(left, y - 32 - k * masthead_pitch)
            line.setFont(CJK_FONT, 30)
            if spread:  # 分散对齐: each name spread over the longest one's width
                line.setCharSpace((names_width - pdfmetrics.stringWidth(name, CJK_FONT, 30)) / (len(name) - 1))
            line.textOut(name)
            pdf.drawText(line)
        pdf.drawString(left + names_width + 10, y - 32 - (len(text) - 1) * masthead_pitch / 2, "文件")
        return y - 40 - masthead_pitch * len(text)
    if kind == "number":
        pdf.setFont(CJK_FONT, BODY_PT)
        pdf.drawCentredString(middle, y - BODY_PT, text)
        pdf.setStrokeColorRGB(0.9, 0.1, 0.1)
        pdf.line(_TEXT_LEFT, y - 28, _TEXT_LEFT + _TEXT_WIDTH, y - 28)
        return y - 2.5 * _PITCH
    if kind in ("title", "centred"):
        size = 22 if kind == "title" else BODY_PT
        pdf.setFont(CJK_FONT, size)
        for line in text:
            pdf.drawCentredString(middle, y - size, line)
            y -= title_pitch if kind == "title" else _PITCH
        return y - title_space
    if kind == "gap":
        return y - _PITCH
    if kind == "mark":  # a 版头 mark at the top left (份号, 密级, 紧急程度), a size under the body's
        pdf.setFont(CJK_FONT, 14)
        pdf.drawString(_TEXT_LEFT, y - 14, text)
        return y - 3 * _PITCH  # the masthead stands well under it
    if kind == "right":
        pdf.setFont(CJK_FONT, BODY_PT)
        pdf.drawRightString(_TEXT_LEFT + _TEXT_WIDTH - 4 * BODY_PT, y - BODY_PT, text)
        return y - _PITCH
    if kind == "signatures":  # joint signers two to a row, each centred on its half, room for the seals between rows
        pdf.setFont(CJK_FONT, BODY_PT)
        for row in text:
            for k, name in enumerate(row):
                centre = _TEXT_LEFT + _TEXT_WIDTH * (0.25 + 0.5 * k)
                for n, part in enumerate(name.split("\n")):  # a long name set on two lines
                    pdf.drawCentredString(centre, y - BODY_PT - n * (BODY_PT + 2), part)
            y -= 4 * _PITCH
        return y + 2 * _PITCH
    if kind == "printed":  # the 版记's last line, between its rules (GB/T 9704: 分隔线 above and below)
        office, date = text
        pdf.setFont(CJK_FONT, 14)
        pdf.drawString(_TEXT_LEFT + 14, y - 14, office)
        pdf.drawRightString(_TEXT_LEFT + _TEXT_WIDTH - 14, y - 14, date)
        pdf.setStrokeColorRGB(0, 0, 0)
        pdf.setLineWidth(0.75)
        for rule in (y + 4, y - _PITCH + 4):
            pdf.line(_TEXT_LEFT, rule, _TEXT_LEFT + _TEXT_WIDTH, rule)
        return y - _PITCH
    if kind == "table":
        return _draw_table(pdf, *text, y)
    if kind == "latin":
        pdf.setFont("Helvetica", BODY_PT)
        pdf.drawString(_TEXT_LEFT + 2 * BODY_PT, y - BODY_PT, text)
        return y - _PITCH
    indent = 2 if kind == "body" else 0
    if kind == "preamble":
        pdf.setFillColorRGB(0.9, 0.1, 0.1)
    for k, line in enumerate(_justified_lines(text, indent)):
        x = _TEXT_LEFT + (indent * BODY_PT if k == 0 else 0)
        full = len(line) == (28 - indent if k == 0 else 28)
        text_object = pdf.beginText(x, y - BODY_PT)
        text_object.setFont(CJK_FONT, BODY_PT)
        if kind == "preamble":
            text_object.setFillColorRGB(0.9, 0.1, 0.1)
        if full:  # Word spreads a full line to the margin
            width = pdfmetrics.stringWidth(line, CJK_FONT, BODY_PT)
            text_object.setCharSpace((_TEXT_LEFT + _TEXT_WIDTH - x - width) / max(1, len(line) - 1))
        text_object.textOut(line)
        pdf.drawText(text_object)
        y -= _PITCH
    return y


_CELL_PT, _CELL_PITCH, _CELL_PAD = 12, 16.0, 5.0


def _draw_table(pdf: canvas.Canvas, widths: list[float], rows: list[list[str | None]], y: float) -> float:
    """A ruled table under ``y``: each cell's text wrapped at its cell's width, left aligned and set
    from the cell's top, the rules drawn as lines 0.5 pt wide; returns the y under the table."""
    lefts = [_TEXT_LEFT + sum(widths[:k]) for k in range(len(widths) + 1)]
    wrapped = [[_cell_lines(text, width) if text else [] for text, width in zip(row, widths)] for row in rows]
    heights = [max([len(lines) for lines in row] + [1]) * _CELL_PITCH + 2 * _CELL_PAD for row in wrapped]
    tops = [y - sum(heights[:k]) for k in range(len(rows) + 1)]
    pdf.setStrokeColorRGB(0, 0, 0)
    pdf.setLineWidth(0.5)
    pdf.setFont(CJK_FONT, _CELL_PT)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if text is not None or r == 0:  # a merged cell's rule above it is not drawn
                pdf.line(lefts[c], tops[r], lefts[c + 1], tops[r])
            for k, line in enumerate(wrapped[r][c]):
                pdf.drawString(lefts[c] + _CELL_PAD, tops[r] - _CELL_PAD - _CELL_PT - k * _CELL_PITCH, line)
    pdf.line(lefts[0], tops[-1], lefts[-1], tops[-1])
    for x in lefts:
        pdf.line(x, tops[0], x, tops[-1])
    return tops[-1] - _PITCH / 2


def _cell_lines(text: str, width: float) -> list[str]:
    per_line = int((width - 2 * _CELL_PAD) // _CELL_PT)
    return [part[k:k + per_line] for part in text.split("\n") for k in range(0, len(part), per_line)]


def _justified_lines(text: str, indent: int) -> list[str]:
    lines, rest = [text[: 28 - indent]], text[28 - indent:]
    while rest:
        lines.append(rest[:28])
        rest = rest[28:]
    return lines


def make_ofd(path: Path, pages: list[dict]) -> Path:
    """An OFD package as a 公文 system writes one: per page, TextObjects placed in millimetres.

    Each page is a dict: ``lines`` ([(x, y, size, text, red), ...], one TextObject per line; a run of
    spaces in text moves the pen on instead of writing spaces, as OFD writers set gaps), ``picture``
    (PNG bytes drawn as the page's background, under the text), ``outlines`` (a number of PathObjects
    drawn instead of any text: text converted to outlines), ``composites`` ([(x, y, scale, lines), ...]:
    each a CompositeGraphicUnit of the document's resources holding TextObjects for ``lines`` in its own
    coordinates, drawn on the page by a CompositeObject at x, y scaled by ``scale``, as some OFD
    writers place a block of text once defined).
    """
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    page_refs = "".join(f'<ofd:Page ID="{10 + k}" BaseLoc="Pages/Page_{k}/Content.xml"/>' for k in range(len(pages)))
    media = "".join(
        f'<ofd:MultiMedia ID="{500 + k}" Type="Image"><ofd:MediaFile>bg{k}.png</ofd:MediaFile></ofd:MultiMedia>'
        for k, page in enumerate(pages) if page.get("picture")
    )
    units = "".join(
        f'<ofd:CompositeGraphicUnit ID="{700 + 10 * k + n}" Width="150" Height="40"><ofd:Content>'
        + "".join(_ofd_text(5000 + 100 * (10 * k + n) + m, *line) for m, line in enumerate(lines))
        + "</ofd:Content></ofd:CompositeGraphicUnit>"
        for k, page in enumerate(pages) for n, (_, _, _, lines) in enumerate(page.get("composites", []))
    )
    parts = {
        "OFD.xml": f'<ofd:OFD {ns} Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>1</ofd:DocID></ofd:DocInfo>'
                   "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        "Doc_0/Document.xml": f"<ofd:Document {ns}><ofd:CommonData><ofd:MaxUnitID>999</ofd:MaxUnitID><ofd:PageArea>"
                              "<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea><ofd:DocumentRes>DocumentRes.xml"
                              f"</ofd:DocumentRes></ofd:CommonData><ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>",
        "Doc_0/DocumentRes.xml": f'<ofd:Res {ns} BaseLoc="Res"><ofd:MultiMedias>{media}</ofd:MultiMedias>'
                                 f"<ofd:CompositeGraphicUnits>{units}</ofd:CompositeGraphicUnits></ofd:Res>",
    }
    for k, page in enumerate(pages):
        objects = []
        if page.get("picture"):
            objects.append(f'<ofd:ImageObject ID="{600 + k}" ResourceID="{500 + k}" Boundary="0 0 210 297" CTM="210 0 0 297 0 0"/>')
        for n in range(page.get("outlines", 0)):
            objects.append(f'<ofd:PathObject ID="{1000 + 50 * k + n}" Boundary="{30 + n % 20 * 7} {40 + n // 20 * 9} 6 8">'
                           "<ofd:AbbreviatedData>M 0 0 L 6 0 L 6 8 L 0 8 C</ofd:AbbreviatedData></ofd:PathObject>")
        for n, (x, y, scale, _) in enumerate(page.get("composites", [])):
            objects.append(f'<ofd:CompositeObject ID="{800 + 10 * k + n}" ResourceID="{700 + 10 * k + n}" '
                           f'Boundary="{x} {y} {150 * scale} {40 * scale}" CTM="{scale} 0 0 {scale} 0 0"/>')
        for n, (x, y, size, text, red) in enumerate(page.get("lines", [])):
            objects.append(_ofd_text(3000 + 100 * k + n, x, y, size, text, red))
        parts[f"Doc_0/Pages/Page_{k}/Content.xml"] = (
            f'<ofd:Page {ns}><ofd:Content><ofd:Layer ID="{900 + k}">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>'
        )
    with zipfile.ZipFile(path, "w") as package:
        for name, xml in parts.items():
            package.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + xml)
        for k, page in enumerate(pages):
            if page.get("picture"):
                package.writestr(f"Doc_0/Res/bg{k}.png", page["picture"])
    return Path(path)


def _ofd_text(ident: int, x: float, y: float, size: float, text: str, red: bool) -> str:
    """One line as a TextObject: the characters without the spaces, DeltaX carrying the gaps."""
    glyphs, advances, pending = "", [], 0.0
    for char in text:
        if char == " ":
            pending += size
            continue
        if glyphs:
            advances.append(size + pending if not (char.isascii() and glyphs[-1].isascii()) else size * 0.55 + pending)
        glyphs += char
        pending = 0.0
    colour = '<ofd:FillColor Value="230 20 20"/>' if red else ""
    width = sum(advances) + size
    return (f'<ofd:TextObject ID="{ident}" Boundary="{x} {y} {width + 1:.2f} {size * 1.5:.2f}" Font="1" Size="{size}">'
            f'{colour}<ofd:TextCode X="0" Y="{size:.2f}" DeltaX="{" ".join(f"{a:.3f}" for a in advances)}">{escape(glyphs)}'
            "</ofd:TextCode></ofd:TextObject>")


def make_flowing_pdf(path: Path, paragraphs: list[tuple[int, str]]) -> Path:
    """Body paragraphs set as a word processor sets them (WPS): flush left and not spread, each first
    line indented by its paragraph's indent (characters). A line breaks between any two characters
    but never inside a number or a Latin word ("118.46", "（¥20,000.00" with its bracket and sign): where
    one does not fit, the line stops short of the margin and the word opens the next line."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    right = _TEXT_LEFT + _TEXT_WIDTH
    y = A4[1] - 100
    for indent, text in paragraphs:
        x = _TEXT_LEFT + indent * BODY_PT
        line = ""
        for word in re.findall(r"(?:[（(]?[¥￥])?[0-9A-Za-z.,%]+|.", text):
            if line and x + pdfmetrics.stringWidth(line + word, CJK_FONT, BODY_PT) > right + 0.01:
                pdf.setFont(CJK_FONT, BODY_PT)
                pdf.drawString(x, y - BODY_PT, line)
                x, line, y = _TEXT_LEFT, "", y - _PITCH
            line += word
        pdf.setFont(CJK_FONT, BODY_PT)
        pdf.drawString(x, y - BODY_PT, line)
        y -= _PITCH
    pdf.showPage()
    pdf.save()
    return Path(path)


def make_list_pdf(path: Path, pages: list[list[tuple[str, str]]], pitch: float = _PITCH, number_gap: float = 2.0) -> Path:
    """A rules document as Word prints a numbered list: each (marker, text) item has its marker at the
    left margin and its text at a hanging indent after it, wrapped lines aligned under the text (not
    under the marker) and justified to the right margin; ``pitch`` is the line spacing (double-spaced
    rules run about 32 pt) and the page number, a bare "N" as Word's page field prints it, sits
    ``number_gap`` pitches below the page's last line."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    right = _TEXT_LEFT + _TEXT_WIDTH
    for number, items in enumerate(pages, start=1):
        y = A4[1] - 100
        for marker, text in items:
            hang = _TEXT_LEFT + pdfmetrics.stringWidth(marker, CJK_FONT, BODY_PT) + BODY_PT / 2
            pdf.setFont(CJK_FONT, BODY_PT)
            pdf.drawString(_TEXT_LEFT, y - BODY_PT, marker)
            per_line = int((right - hang) // BODY_PT)
            lines = [text[k:k + per_line] for k in range(0, len(text), per_line)]
            for k, line in enumerate(lines):
                text_object = pdf.beginText(hang, y - BODY_PT)
                text_object.setFont(CJK_FONT, BODY_PT)
                if k < len(lines) - 1:  # justified: a full line runs to the margin
                    width = pdfmetrics.stringWidth(line, CJK_FONT, BODY_PT)
                    text_object.setCharSpace((right - hang - width) / max(1, len(line) - 1))
                text_object.textOut(line)
                pdf.drawText(text_object)
                y -= pitch
        pdf.setFont(CJK_FONT, 12)
        pdf.drawCentredString(_TEXT_LEFT + _TEXT_WIDTH / 2, y + pitch - BODY_PT - number_gap * pitch, str(number))
        pdf.showPage()
    pdf.save()
    return Path(path)


def make_bulletin_pdf(path: Path, paragraphs: list[str], header: str, rows: int = 12, chars: int = 22) -> Path:
    """A 公报 page as the Gazette prints a law: two justified columns of ``chars`` characters, each of
    ``rows`` rows, the paragraphs flowing down the left column, on into the right one and overleaf
    (first lines indented two characters). The running ``header``, in body type, stands over the
    right column on odd pages and over the left one on even pages; the page number ("—1012—") sits
    at the outer foot of the page one line's pitch below the last row."""
    size, pitch = 10.0, 19.5
    gutter = 2.2 * size
    lefts = (40.0, 40.0 + chars * size + gutter)
    lines: list[str] = []
    for paragraph in paragraphs:
        first, rest = paragraph[: chars - 2], paragraph[chars - 2:]
        lines.append("  " + first)
        lines += [rest[k:k + chars] for k in range(0, len(rest), chars)]
    pdf = canvas.Canvas(str(path), pagesize=A4)
    top = A4[1] - 80
    per_page = 2 * rows
    for number, start in enumerate(range(0, len(lines), per_page), start=1):
        odd = number % 2 == 1
        pdf.setFont(CJK_FONT, size)
        header_x = lefts[1] + chars * size - pdfmetrics.stringWidth(header, CJK_FONT, size) if odd else lefts[0]
        pdf.drawString(header_x, top + 1.5 * pitch, header)
        for k, line in enumerate(lines[start:start + per_page]):
            column, row = divmod(k, rows)
            indent = 2 * size if line.startswith("  ") else 0.0
            text = line.strip()
            x, y = lefts[column] + indent, top - row * pitch
            text_object = pdf.beginText(x, y)
            text_object.setFont(CJK_FONT, size)
            index = start + k
            full = len(text) == (chars - 2 if indent else chars)
            closes = index + 1 >= len(lines) or lines[index + 1].startswith("  ")
            if full and not closes:  # justified: a full line runs to the column's right edge
                width = pdfmetrics.stringWidth(text, CJK_FONT, size)
                text_object.setCharSpace((lefts[column] + chars * size - x - width) / max(1, len(text) - 1))
            text_object.textOut(text)
            pdf.drawText(text_object)
        foot = f"—{1011 + number}—"
        foot_x = lefts[1] + chars * size - pdfmetrics.stringWidth(foot, CJK_FONT, size) if odd else lefts[0]
        pdf.drawString(foot_x, top - rows * pitch, foot)
        pdf.showPage()
    pdf.save()
    return Path(path)


def make_form_pdf(path: Path, picture: bytes, values: list[tuple[float, float, float, str]], invisible: bool = False,
                  placed: tuple[float, float, float, float] | None = None) -> Path:
    """One A4 page whose background is ``picture`` (PNG bytes) over the whole page, with text-layer
    ``values`` (x mm, y mm from the top, size mm, text) printed on it: a form filled in by a program.
    ``invisible`` writes the values in text render mode 3, as a scanner's OCR layer over its scan.
    ``placed`` (x mm, y mm from the top, width mm, height mm) puts the picture there instead."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    mm = 72 / 25.4
    pdf = canvas.Canvas(str(path), pagesize=A4)
    left, top, width, height = placed if placed else (0.0, 0.0, A4[0] / mm, A4[1] / mm)
    pdf.drawImage(ImageReader(Image.open(io.BytesIO(picture)).convert("RGB")), left * mm, A4[1] - (top + height) * mm,
                  width=width * mm, height=height * mm)
    for x, y, size, text in values:
        text_object = pdf.beginText(x * mm, A4[1] - (y + size) * mm)
        text_object.setFont(CJK_FONT, size * mm)
        if invisible:
            text_object.setTextRenderMode(3)
        text_object.textOut(text)
        pdf.drawText(text_object)
    pdf.showPage()
    pdf.save()
    return Path(path)


def make_scan_over_text_pdf(path: Path, image, lines: list[str]) -> Path:
    """One A4 page as an office program exports a scan with its OCR: the text ``lines`` drawn first
    (visible, in body type down the page), then the scan ``image`` (a Pillow image) over the whole page,
    hiding them."""
    from reportlab.lib.utils import ImageReader

    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setFont(CJK_FONT, BODY_PT)
    for k, line in enumerate(lines):
        pdf.drawString(_TEXT_LEFT, A4[1] - 100 - k * _PITCH, line)
    pdf.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
    pdf.showPage()
    pdf.save()
    return Path(path)


def make_pictured_head_pdf(path: Path, head: list[tuple[str, int, bool]], number: str, body: list[str],
                           signature: str, date: str, spaced: bool = False) -> Path:
    """A 公文 as an office's Word template makes one: the masthead and the title are pictures pasted in
    (each line of ``head``: text, size in points, red), the 文号, body, signature and date its text
    layer. ``spaced`` sets the signature letter-spaced, a character's width apart ("河 池 学 院"). With
    no red "……文件" line in ``head`` the 文号 stands under it (a title alone pasted in as a picture)."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader

    pdf = canvas.Canvas(str(path), pagesize=A4)
    middle, y = _TEXT_LEFT + _TEXT_WIDTH / 2, A4[1] - 90
    for text, size, red in head:
        font = _bold_cjk_font(size * 4)  # 小标宋 and 方正 mastheads are bold; 4 pixels a point: 288 dpi
        image = Image.new("RGB", (int(font.getlength(text)) + 8, size * 5), "white")
        ImageDraw.Draw(image).text((4, size // 2), text, font=font, fill=MASTHEAD_RED if red else (0, 0, 0))
        width = image.width / 4
        pdf.drawImage(ImageReader(image), middle - width / 2, y - size * 1.25, width=width, height=size * 1.25)
        y -= size * 1.6
        if red and text.endswith("文件"):  # the 文号 under the masthead, then the title
            pdf.setFont(CJK_FONT, BODY_PT)
            pdf.drawCentredString(middle, y - BODY_PT, number)
            y -= 2.5 * _PITCH
    if not any(red and text.endswith("文件") for text, _, red in head):
        pdf.setFont(CJK_FONT, BODY_PT)
        pdf.drawCentredString(middle, y - BODY_PT, number)
        y -= 2 * _PITCH
    pdf.setFont(CJK_FONT, BODY_PT)
    for paragraph in body:
        for k, line in enumerate(_justified_lines(paragraph, 2)):
            pdf.drawString(_TEXT_LEFT + (2 * BODY_PT if k == 0 else 0), y - BODY_PT, line)
            y -= _PITCH
    y -= _PITCH
    for line, gap in ((signature, BODY_PT if spaced else 0.0), (date, 0.0)):
        text_object = pdf.beginText(_TEXT_LEFT + _TEXT_WIDTH - 4 * BODY_PT - (BODY_PT + gap) * len(line) + gap, y - BODY_PT)
        text_object.setFont(CJK_FONT, BODY_PT)
        text_object.setCharSpace(gap)
        text_object.textOut(line)
        pdf.drawText(text_object)
        y -= _PITCH
    pdf.showPage()
    pdf.save()
    return Path(path)


def render_bilevel_lines(lines: list[str], *, spacing: float = 0.25, size: int = 50, measure: float | None = None):
    """A page as an office scanner saves a letter-spaced 公文 in black and white (a fax, a G4 TIFF): each
    line in bold serif from the left margin, characters ``spacing`` of a character apart, every
    pixel black or white. With ``measure`` (pixels), punctuation is set close up (half a character,
    标点挤压), a line ending in "↵" is a paragraph's last line, set as it stands, and the others are
    justified: spread to end at the measure. Returns a Pillow image in mode "1"."""
    from PIL import Image, ImageDraw

    font = _bold_cjk_font(size)
    page = Image.new("L", (1990, 200 + len(lines) * 2 * size), 255)
    draw = ImageDraw.Draw(page)
    for row, line in enumerate(lines):
        x, y = 80.0, 100 + row * 2 * size
        last, line = line.endswith("↵"), line.rstrip("↵")
        advances = [font.getlength(char) * (1 + spacing) / (2 if measure and char in "，、。；：" else 1) for char in line]
        spread = 0.0 if measure is None or last else (measure - sum(advances[:-1]) - size) / max(len(line) - 1, 1)
        for char, advance in zip(line, advances):
            draw.text((x, y), char, font=font, fill=0)
            x += advance + spread
    return page.point(lambda value: 255 if value > 128 else 0).convert("1")


def render_scanned_pages(paragraphs: list[str], *, rows: int, numbers: list[str], mark: str, number_gap: float = 1.2,
                         seed: int = 0) -> list:
    """Pages of body text as a phone scanner app saves them, as Pillow images: paragraphs (two-character
    first-line indent, 28 characters a line) running on over the page breaks after ``rows`` lines, each
    page's number (``numbers``, printed as OCR reads them: "一1一") ``number_gap`` line pitches under
    its last line, and the app's ``mark`` (a watermark) as close under the number, at the right."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    width, height = _A4_PIXELS
    body_font, small_font = _cjk_font(33), _cjk_font(28)
    char = body_font.getlength("国")
    left = int((width - 28 * char) / 2)
    pitch = int(33 * 1.75)
    lines: list[tuple[int, str]] = []
    for paragraph in paragraphs:
        first, rest = paragraph[:26], paragraph[26:]
        lines += [(2, first)] + [(0, line) for line in _wrap(rest, 28) if rest]
    images = []
    for number, start in enumerate(range(0, len(lines), rows)):
        page = Image.new("RGB", (width, height), "white")
        draw = ImageDraw.Draw(page)
        y = int(height * 0.1)
        for indent, line in lines[start : start + rows]:
            draw.text((left + indent * char, y), line, font=body_font, fill=(20, 20, 20))
            y += pitch
        y += int((number_gap - 1) * pitch)
        draw.text(((width - small_font.getlength(numbers[number])) / 2, y), numbers[number], font=small_font, fill=(20, 20, 20))
        y += int(number_gap * pitch)
        draw.text((width - left - small_font.getlength(mark), y), mark, font=small_font, fill=(60, 60, 60))
        rng = np.random.default_rng(seed + number)
        pixels = np.asarray(page, dtype=np.int16) + rng.normal(0, 6, (height, width, 1)).astype(np.int16)
        images.append(Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.5)))
    return images


def make_placed_pdf(path: Path, pages: list[list[tuple[float, float, float, str, float | None]]]) -> Path:
    """Lines placed where a layout puts them: (x, y from the page's top, size, text, right edge to
    spread the line to as Word spreads a full line, or None)."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for lines in pages:
        for x, y, size, text, right in lines:
            line = pdf.beginText(x, A4[1] - y - size)
            line.setFont(CJK_FONT, size)
            if right is not None and len(text) > 1:
                line.setCharSpace((right - x - pdfmetrics.stringWidth(text, CJK_FONT, size)) / (len(text) - 1))
            line.textOut(text)
            pdf.drawText(line)
        pdf.showPage()
    pdf.save()
    return Path(path)
