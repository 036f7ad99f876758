"""Structure-aware chunking of cleaned 公文 text.

A chunk holds whole sentences of one part of the document and carries the heading path above it
(二、聚焦重点领域 > （四）增加普惠服务供给), because a passage such as "持续推进宝宝屋建设" only
makes sense, to a reader and to the embedder, under its heading. Every chunk is an exact slice
of the cleaned text, so citations can be checked character for character.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from indexer.gongwen.sentences import CLAUSE_END, sentence_spans
from indexer.models import Chunk

_CN_NUM = "零〇一二三四五六七八九十百千"
# Heading ladder of GB/T 9704 bodies, then the 编/章/节/条 ladder of laws and regulations.
_OFFICIAL_LEVELS = (
    (1, re.compile(r"^[一二三四五六七八九十百]+、")),
    (2, re.compile(r"^[（(][一二三四五六七八九十百]+[）)]")),
    (3, re.compile(r"^\d{1,2}[.．、](?=[^\d.．])")),
    (4, re.compile(r"^[（(]\d{1,2}[）)]")),
)
_LAW_LEVELS = (
    (0, re.compile(rf"^第[{_CN_NUM}\d]+编")),
    (1, re.compile(rf"^第[{_CN_NUM}\d]+章")),
    (2, re.compile(rf"^第[{_CN_NUM}\d]+节")),
    (3, re.compile(rf"^第[{_CN_NUM}\d]+条(?:之[一二三四五六七八九十]+)?")),
)
_ATTACHMENT = re.compile(r"^附件\s*\d*\s*[:：]")
_ARTICLE = _LAW_LEVELS[3][1]
_ENUMERATION = re.compile(r"[一二三四五六七八九十]+是")  # 一是…二是… runs: preferred cut points
TITLE_MAX_CHARS = 40


@dataclass(frozen=True)
class ChunkSettings:
    """Sizes in characters; ``max_chars`` keeps a passage inside the embedder's 512-token window.

    ``heading_path``: each passage is embedded and BM25-indexed with its document title and heading
    path in front (eval/results.md measures both ways).
    """

    target_chars: int = 400
    max_chars: int = 600
    min_chars: int = 80
    heading_path: bool = True

    @classmethod
    def for_target(cls, target_chars: int) -> ChunkSettings:
        """Settings scaled from one number, as the CLI and the evaluation sweep use them."""
        return cls(target_chars=target_chars, max_chars=target_chars * 3 // 2, min_chars=target_chars // 5)

    def to_dict(self) -> dict[str, int | bool]:
        return asdict(self)


@dataclass
class _Paragraph:
    start: int
    end: int
    heading: tuple[int, str] | None  # (level, heading title) when the paragraph opens a section
    section: tuple[str, ...]  # heading path in force for this paragraph's body


def chunk_text(text: str, settings: ChunkSettings | None = None, doc_id: str = "") -> list[Chunk]:
    """Cut cleaned text (one paragraph per line) into chunks that never split a sentence."""
    settings = settings or ChunkSettings()
    paragraphs = _paragraphs(text)
    spans: list[tuple[int, int, tuple[str, ...]]] = []
    current: list[_Paragraph] = []

    def flush() -> None:
        if current:
            spans.append((current[0].start, current[-1].end, _chunk_section(current)))
            current.clear()

    for paragraph in paragraphs:
        size = paragraph.end - paragraph.start
        current_size = current[-1].end - current[0].start if current else 0
        body_so_far = any(_has_body(p) for p in current)
        if paragraph.heading and body_so_far and current_size >= settings.min_chars:
            flush()
        elif current and current_size + size + 1 > settings.target_chars and current_size >= settings.min_chars:
            flush()
        if size > settings.max_chars:
            flush()
            for start, end in _split_long(text, paragraph.start, paragraph.end, settings):
                spans.append((start, end, paragraph.section))
            continue
        current.append(paragraph)
    flush()
    return [
        Chunk(doc_id=doc_id, index=i, text=text[start:end], section=" > ".join(section), char_start=start, char_end=end)
        for i, (start, end, section) in enumerate(spans)
    ]


def _chunk_section(paragraphs: list[_Paragraph]) -> tuple[str, ...]:
    """The heading path of the chunk's first paragraph that carries text beyond a heading."""
    body = next((p for p in paragraphs if _has_body(p)), paragraphs[-1])
    return body.section


def _has_body(paragraph: _Paragraph) -> bool:
    return paragraph.heading is None or paragraph.end - paragraph.start > len(paragraph.heading[1])


def _paragraphs(text: str) -> list[_Paragraph]:
    lines: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            lines.append((offset + lead, offset + lead + len(stripped)))
        offset += len(line) + 1

    is_law = sum(1 for start, end in lines if _ARTICLE.match(text[start:end])) >= 3
    levels = _LAW_LEVELS if is_law else _OFFICIAL_LEVELS
    path: list[tuple[int, str]] = []
    paragraphs = []
    for start, end in lines:
        line = text[start:end]
        heading = _heading(line, levels)
        if heading:
            level = heading[0]
            path = [entry for entry in path if entry[0] < level] + [heading]
        paragraphs.append(_Paragraph(start, end, heading, tuple(title for _, title in path)))
    return paragraphs


def _heading(line: str, levels: tuple[tuple[int, re.Pattern[str]], ...]) -> tuple[int, str] | None:
    if _ATTACHMENT.match(line):
        return (-1, line if len(line) <= TITLE_MAX_CHARS * 2 else line[:TITLE_MAX_CHARS] + "…")
    for level, pattern in levels:
        if match := pattern.match(line):
            return (level, _heading_title(line, match.end(), is_article=pattern is _ARTICLE))
    return None


def _heading_title(line: str, marker_end: int, is_article: bool) -> str:
    """A heading line is its own title; an inline heading ends at its first sentence mark."""
    if is_article:
        return line[:marker_end]
    lead = line[marker_end:][: len(re.split(r"[。！？；：:]", line[marker_end:], maxsplit=1)[0])]
    if marker_end + len(lead) < len(line) and len(lead) <= TITLE_MAX_CHARS:
        return line[: marker_end + len(lead)]
    if len(line) <= TITLE_MAX_CHARS:
        return line
    return line[: marker_end + TITLE_MAX_CHARS] + "…"


def _split_long(text: str, start: int, end: int, settings: ChunkSettings) -> list[tuple[int, int]]:
    """Cut an over-long paragraph at sentence ends, preferring 一是/二是 boundaries; a sentence
    over max_chars at every clause mark (the packing below joins the clauses again)."""
    sentences = [
        piece for s_start, s_end in sentence_spans(text, start, end)
        for piece in (_clauses(text, s_start, s_end, settings.max_chars)
                      if s_end - s_start > settings.max_chars else [(s_start, s_end)])
    ]
    spans: list[tuple[int, int]] = []
    chunk_start = sentences[0][0]
    chunk_end = chunk_start
    for s_start, s_end in sentences:
        size = chunk_end - chunk_start
        starts_enumeration = bool(_ENUMERATION.match(text, s_start))
        if size and (
            size + (s_end - s_start) > settings.target_chars
            or (starts_enumeration and size >= settings.target_chars // 2)
        ):
            spans.append((chunk_start, chunk_end))
            chunk_start = s_start
        chunk_end = s_end
    spans.append((chunk_start, chunk_end))
    return spans


def _clauses(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """[start, end) cut after each clause mark; a clause over max_chars is cut hard."""
    cuts = [m.end() for m in CLAUSE_END.finditer(text, start, end) if m.end() < end]
    return [(s, min(s + max_chars, b)) for a, b in zip([start, *cuts], [*cuts, end]) for s in range(a, b, max_chars)]
