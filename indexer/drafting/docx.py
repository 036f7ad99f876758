"""Word files an office can send: the GB/T 9704-2012 page, fonts and grid, written with python-docx.

A4 with a 156 x 225 mm 版心 (天头 37 mm, 订口 28 mm); body in 3号 (16 pt) 仿宋 on a grid of 22 lines
of 28 characters (the section's document grid, and an exact line pitch, so the grid holds in Word
and in LibreOffice alike); the title in 2号 (22 pt) 小标宋; 一级标题 in 黑体, 二级 in 楷体; page numbers
"— 1 —" in 4号 宋体 on the outer side (odd pages right, even pages left, one character in).
Fonts are named as offices have them; the font table gives each one its fallback (仿宋_GB2312 ->
仿宋 -> FangSong), and a machine with none of them substitutes its own 仿宋-like font.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from docx import Document as new_document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, Twips
from docx.text.paragraph import Paragraph
from lxml import etree

PAGE_MM = (210, 297)
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}  # 天头 37, 订口 28: 版心 156 x 225
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
BODY_PT, TITLE_PT, PAGE_NUMBER_PT, NOTE_PT = 16, 22, 14, 14  # 3号, 2号, 4号, 4号 (版记)
LINE_PITCH_TWIPS = 579  # 225 mm / 22 lines = 579.8 twips, rounded down so that 22 lines fit
CHAR_PITCH_PT = (156 / 25.4 * 72) / CHARS_PER_LINE  # 15.79 pt: 28 characters fill 156 mm exactly
# 16 pt characters are tightened by 0.25 pt (w:spacing -5 twentieths): 28 x 15.75 pt fit the 442.2 pt
# line, 29 do not. A character grid (docGrid linesAndChars) would do the same in Word, but LibreOffice
# gives every 16 pt character two 15.79 pt cells of such a grid (14 per line), so the grid is lines only.
CHAR_SPACING_TWENTIETHS = -5
FOOTER_MM = 22  # the page number's line sits about 7 mm below the 版心

BODY_FONT, TITLE_FONT, HEADING1_FONT, HEADING2_FONT, NUMBER_FONT = "仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312", "宋体"
LATIN_FONT = "Times New Roman"
# font -> the one to use where it is missing (the font table's altName), in chains
FONT_FALLBACKS = {
    "仿宋_GB2312": "仿宋", "仿宋": "FangSong",
    "方正小标宋简体": "方正小标宋_GBK", "方正小标宋_GBK": "华文中宋", "华文中宋": "宋体", "宋体": "SimSun",
    "黑体": "SimHei",
    "楷体_GB2312": "楷体", "楷体": "KaiTi",
}
# style name -> (font, size in pt, alignment, first-line indent in characters)
STYLES: dict[str, tuple[str, float, Any, float]] = {
    "公文正文": (BODY_FONT, BODY_PT, WD_ALIGN_PARAGRAPH.JUSTIFY, 2),
    "公文标题": (TITLE_FONT, TITLE_PT, WD_ALIGN_PARAGRAPH.CENTER, 0),
    "一级标题": (HEADING1_FONT, BODY_PT, WD_ALIGN_PARAGRAPH.JUSTIFY, 2),
    "二级标题": (HEADING2_FONT, BODY_PT, WD_ALIGN_PARAGRAPH.JUSTIFY, 2),
    "主送": (BODY_FONT, BODY_PT, WD_ALIGN_PARAGRAPH.LEFT, 0),
    "落款": (BODY_FONT, BODY_PT, WD_ALIGN_PARAGRAPH.RIGHT, 0),
    "版记": (BODY_FONT, NOTE_PT, WD_ALIGN_PARAGRAPH.LEFT, 0),
    "表格": (BODY_FONT, NOTE_PT, WD_ALIGN_PARAGRAPH.LEFT, 0),
}


def gongwen_document() -> Any:
    """An empty document with the GB/T 9704 page, styles, fallbacks and page numbers."""
    document = new_document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.header_distance, section.footer_distance = Mm(15), Mm(FOOTER_MM)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))
    _styles(document)
    _font_table(document)
    _page_numbers(document, section)
    return document


def set_fonts(element_rpr: Any, font: str, size_pt: float) -> None:
    """East Asian text in ``font``, Latin letters and digits in Times New Roman, at ``size_pt``."""
    fonts = element_rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        element_rpr.insert(0, fonts)
    for attribute, value in (("ascii", LATIN_FONT), ("hAnsi", LATIN_FONT), ("eastAsia", font), ("cs", LATIN_FONT)):
        fonts.set(qn(f"w:{attribute}"), value)
    for tag in ("w:sz", "w:szCs"):
        size = element_rpr.find(qn(tag))
        if size is None:
            size = OxmlElement(tag)
            element_rpr.append(size)
        size.set(qn("w:val"), str(round(size_pt * 2)))
    if size_pt == BODY_PT:
        spacing = element_rpr.find(qn("w:spacing"))
        if spacing is None:
            spacing = OxmlElement("w:spacing")
            element_rpr.append(spacing)
        spacing.set(qn("w:val"), str(CHAR_SPACING_TWENTIETHS))


def add_paragraph(document: Any, text: str, style: str, *, right_indent_chars: float = 0,
                  bold: bool = False) -> Paragraph:
    paragraph = document.add_paragraph(style=style)
    if text:
        run = paragraph.add_run(text)
        run.bold = bold or None
    if right_indent_chars:
        paragraph.paragraph_format.right_indent = Pt(right_indent_chars * CHAR_PITCH_PT)
    return paragraph


def add_table(document: Any, header: list[str], rows: list[list[str]], widths_mm: Sequence[float]) -> Any:
    """A real table (Table Grid: every cell ruled), its header row in 黑体 and repeated on each page."""
    table = document.add_table(rows=1, cols=len(header))
    table.style = document.styles["Table Grid"]
    for row_cells, values, font in ((table.rows[0].cells, header, HEADING1_FONT),):
        for cell, value in zip(row_cells, values):
            _cell_text(cell, value, font)
    header_pr = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    header_pr.append(repeat)
    for values in rows:
        for cell, value in zip(table.add_row().cells, values):
            _cell_text(cell, value, BODY_FONT)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm):
            cell.width = Mm(width)
    return table


def rule_above_and_below(paragraph: Paragraph) -> None:
    """The 版记's lines: a rule above and below the paragraph (抄送)."""
    pr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for edge in ("top", "bottom"):
        line = OxmlElement(f"w:{edge}")
        for key, value in (("val", "single"), ("sz", "8"), ("space", "1"), ("color", "000000")):
            line.set(qn(f"w:{key}"), value)
        borders.append(line)
    pr.append(borders)


def to_bytes(document: Any) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _cell_text(cell: Any, value: str, font: str) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.style = "表格"
    run = paragraph.add_run(value)
    set_fonts(run._r.get_or_add_rPr(), font, NOTE_PT)


def _styles(document: Any) -> None:
    # the document defaults are the grid's base: Word and LibreOffice size a grid cell from them
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for old in list(rpr):
        rpr.remove(old)
    set_fonts(rpr, BODY_FONT, BODY_PT)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang)
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    for key, value in (("after", "0"), ("line", str(LINE_PITCH_TWIPS)), ("lineRule", "exact")):
        spacing.set(qn(f"w:{key}"), value)
    normal = document.styles["Normal"]
    set_fonts(normal.element.get_or_add_rPr(), BODY_FONT, BODY_PT)
    _exact_lines(normal.paragraph_format)
    for name, (font, size, alignment, indent_chars) in STYLES.items():
        style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.quick_style = True
        set_fonts(style.element.get_or_add_rPr(), font, size)
        fmt = style.paragraph_format
        fmt.alignment = alignment
        _exact_lines(fmt)
        if indent_chars:
            fmt.first_line_indent = Pt(indent_chars * CHAR_PITCH_PT)
            ind = style.element.get_or_add_pPr().find(qn("w:ind"))
            ind.set(qn("w:firstLineChars"), str(int(indent_chars * 100)))  # Word: in characters of the grid
    document.styles["Table Grid"].font.size = Pt(NOTE_PT)


def _exact_lines(fmt: Any) -> None:
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Twips(LINE_PITCH_TWIPS)
    fmt.space_before, fmt.space_after = Pt(0), Pt(0)


def _font_table(document: Any) -> None:
    """Declare every font used, each with the font to use where it is missing (altName)."""
    part = next(rel.target_part for rel in document.part.rels.values() if rel.reltype.endswith("/fontTable"))
    table = etree.fromstring(part.blob)
    for name in dict.fromkeys([*FONT_FALLBACKS, *FONT_FALLBACKS.values()]):
        font = etree.SubElement(table, qn("w:font"))
        font.set(qn("w:name"), name)
        if name in FONT_FALLBACKS:
            etree.SubElement(font, qn("w:altName")).set(qn("w:val"), FONT_FALLBACKS[name])
        etree.SubElement(font, qn("w:charset")).set(qn("w:val"), "86" if not name.isascii() else "00")
        etree.SubElement(font, qn("w:family")).set(qn("w:val"), "modern" if "黑" in name else "roman")
        etree.SubElement(font, qn("w:pitch")).set(qn("w:val"), "variable")
    part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


def _page_numbers(document: Any, section: Any) -> None:
    """— 1 — in 4号 宋体: odd pages at the right, even pages at the left, one character in."""
    document.settings.odd_and_even_pages_header_footer = True
    one_char = Pt(PAGE_NUMBER_PT)
    for footer, alignment in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.alignment = alignment
        fmt = paragraph.paragraph_format
        fmt.right_indent, fmt.left_indent = (one_char, None) if alignment == WD_ALIGN_PARAGRAPH.RIGHT else (None, one_char)
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.SINGLE, None
        for text in ("— ", None, " —"):
            if text is None:
                field = OxmlElement("w:fldSimple")
                field.set(qn("w:instr"), " PAGE ")
                run = OxmlElement("w:r")
                set_fonts(run.get_or_add_rPr(), NUMBER_FONT, PAGE_NUMBER_PT)
                value = OxmlElement("w:t")
                value.text = "1"
                run.append(value)
                field.append(run)
                paragraph._p.append(field)
            else:
                added = paragraph.add_run(text)
                set_fonts(added._r.get_or_add_rPr(), NUMBER_FONT, PAGE_NUMBER_PT)
