"""Turn a file on disk into raw text, faithfully: decoding and extraction only, no cleaning.

Cleaning (CJK spacing, hard line breaks, running headers) belongs to ``indexer.clean``, which
needs to see the text as the file holds it. What this module guarantees is that every failure
is an ``IngestError`` that names the file and says why, so a folder ingest can report it and
carry on with the next file.

Paragraphs of DOCX and HTML come out separated by a blank line; table rows come out one per
line with their cells joined by `` | ``, so a table stays readable as text.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import itertools
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import charset_normalizer
import docx
import pypdf
import trafilatura
from docx.table import Table
from docx.text.paragraph import Paragraph
from pypdf.errors import DependencyError

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".pdf", ".txt", ".md", ".docx", ".html", ".htm"})

# Larger files are refused before they are read; ZHENGCE_MAX_FILE_BYTES overrides it per process.
MAX_FILE_BYTES = 50 * 1024 * 1024

# A PDF whose pages average fewer visible characters than this is a scan (page numbers at most).
_MIN_CHARS_PER_PAGE = 10
# Share of control characters above which decoded bytes are taken for binary data.
_MAX_CONTROL_RATIO = 0.05
# Share of "ordinary Chinese" characters a decoding needs to win over the detector's verdict.
_MIN_CHINESE_SCORE = 0.8

_FORMATS = {".pdf": "pdf", ".txt": "txt", ".md": "txt", ".docx": "docx", ".html": "html", ".htm": "html"}
_UNICODE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# C0/C1 control characters other than tab, newlines and form feed (a page break in text dumps).
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# The same C0 characters as bytes: no byte of a GBK, GB18030 or Big5 character is one of them.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1f]")
_FILE_KINDS = {stat.S_IFDIR: "a directory", stat.S_IFIFO: "a named pipe", stat.S_IFSOCK: "a socket",
               stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_.:-]+)""", re.IGNORECASE)


class IngestError(Exception):
    """A file that cannot become a document; ``str(e)`` is what a person needs to fix it."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


@dataclass
class Extracted:
    """Raw text of one file: one string per PDF page, a single string for other formats."""

    pages: list[str]
    format: str  # pdf | txt | docx | html
    content_hash: str  # sha256 hex of the raw bytes
    title_hint: str | None = None  # title the file declares (PDF/DOCX properties, HTML <title>)


def extract(path: Path) -> Extracted:
    """Read one file and return its text; raises IngestError for anything unusable."""
    path = Path(path)
    data = _read_bytes(path)
    content_hash = hashlib.sha256(data).hexdigest()
    fmt = _FORMATS[path.suffix.lower()]
    if fmt == "pdf":
        pages, title = _extract_pdf(path, data)
    elif fmt == "docx":
        pages, title = _extract_docx(path, data)
    elif fmt == "html":
        pages, title = _extract_html(path, data)
    else:
        pages, title = [_decode_text(path, data)], None
    return Extracted(pages=pages, format=fmt, content_hash=content_hash, title_hint=title)


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Expand folders into the supported files inside them, sorted, each path once.

    Hidden entries and Office lock files (``~$report.docx``) inside folders are skipped. A file
    named explicitly is yielded whatever it is, so that ``extract`` can say what is wrong with it
    instead of it vanishing silently.
    """
    seen: set[Path] = set()
    for path in map(Path, paths):
        found = _walk_supported(path) if path.is_dir() else [path]
        for file in found:
            if file not in seen:
                seen.add(file)
                yield file


def max_file_bytes() -> int:
    """The size limit in force: ZHENGCE_MAX_FILE_BYTES if set, else MAX_FILE_BYTES."""
    raw = os.environ.get("ZHENGCE_MAX_FILE_BYTES")
    if raw is None:
        return MAX_FILE_BYTES
    if not raw.strip().isdigit() or int(raw) <= 0:
        raise ValueError(f"ZHENGCE_MAX_FILE_BYTES must be a positive number of bytes, got {raw!r}")
    return int(raw)


def _walk_supported(root: Path) -> list[Path]:
    files = []
    for folder, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith((".", "~$")) or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            files.append(Path(folder, name))
    return sorted(files)


def check_file(path: Path) -> os.stat_result:
    """What a file is, checked before it is opened: reading a named pipe waits forever for a writer."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise IngestError(path, "file not found") from None
    except OSError as exc:
        raise IngestError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(info.st_mode):
        kind = _FILE_KINDS.get(stat.S_IFMT(info.st_mode), "a special file")
        raise IngestError(path, f"not a regular file ({kind})")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kind = f"file type {suffix}" if suffix else "file without an extension"
        raise IngestError(path, f"unsupported {kind} (supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})")
    return info


def _read_bytes(path: Path) -> bytes:
    """Checks that cost nothing come before reading, so a huge or wrong file is never loaded."""
    size = check_file(path).st_size
    limit = max_file_bytes()
    if size > limit:
        raise IngestError(path, f"file too large: {_mib(size)} > limit {_mib(limit)} (set ZHENGCE_MAX_FILE_BYTES to change it)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if not data.strip():
        raise IngestError(path, "empty file")
    return data


# --- PDF -------------------------------------------------------------------------------------


def _extract_pdf(path: Path, data: bytes) -> tuple[list[str], str | None]:
    pages: list[str] = []
    title = None
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        # Many official PDFs are encrypted only to restrict printing: they open with an empty password.
        locked = reader.is_encrypted and not reader.decrypt("")
        if not locked:
            pages = [page.extract_text() or "" for page in reader.pages]
            title = reader.metadata.title if reader.metadata else None
    except DependencyError as exc:
        raise IngestError(path, f"encrypted PDF: cannot decrypt ({exc})") from exc
    except Exception as exc:  # pypdf raises many kinds of error on damaged files, not just PdfReadError
        raise IngestError(path, f"not a readable PDF: {type(exc).__name__}: {exc}") from exc
    if locked:
        raise IngestError(path, "encrypted PDF: password required")
    if not pages:
        raise IngestError(path, "not a readable PDF: it has no pages")
    visible = sum(len("".join(page.split())) for page in pages)
    if visible < _MIN_CHARS_PER_PAGE * len(pages):
        raise IngestError(path, f"no text layer: OCR needed ({len(pages)} pages, {visible} characters of text)")
    return pages, _nonblank(title)


# --- DOCX ------------------------------------------------------------------------------------


def _extract_docx(path: Path, data: bytes) -> tuple[list[str], str | None]:
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = [_docx_block_text(block) for block in document.iter_inner_content()]
        title = document.core_properties.title
    except Exception as exc:  # not a ZIP, missing parts, malformed XML: all mean the same to the user
        raise IngestError(path, f"not a readable DOCX: {type(exc).__name__}: {exc}") from exc
    text = "\n\n".join(block for block in blocks if block.strip())
    if not text:
        raise IngestError(path, "empty document: the DOCX has no text")
    return [text], _nonblank(title)


def _docx_block_text(block: Paragraph | Table) -> str:
    if isinstance(block, Paragraph):
        return block.text
    rows = []
    for row in block.rows:
        cells, previous = [], None
        for cell in row.cells:
            if cell._tc is not previous:  # a merged cell is listed once per grid column it spans
                cells.append(" ".join(p.text for p in cell.paragraphs if p.text.strip()))
            previous = cell._tc
        rows.append(" | ".join(cells))
    return "\n".join(rows)


# --- HTML ------------------------------------------------------------------------------------


def _extract_html(path: Path, data: bytes) -> tuple[list[str], str | None]:
    html = _decode_html(path, data)
    try:
        result = trafilatura.bare_extraction(html, with_metadata=True, include_tables=True, include_comments=False)
    except RecursionError:
        result = None  # pathologically nested markup: the flat fallback below copes with any depth
    main_text = result.text if result is not None and result.text else ""
    title = result.title if result is not None else None
    if not main_text.strip():
        fallback = _VisibleText.of(html)
        main_text, title = fallback.text, title or fallback.title
    if not main_text.strip():
        raise IngestError(path, "no text found in HTML")
    return [_paragraphs(main_text)], _nonblank(title)


def _decode_html(path: Path, data: bytes) -> str:
    """The page's own <meta charset> wins when it is true; many portals still serve GBK."""
    declared = _META_CHARSET.search(data[:4096])
    if declared and not data.startswith((codecs.BOM_UTF8, *_UNICODE_BOMS)):
        try:
            return data.decode(_prefer_superset(declared.group(1).decode("ascii")))
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown declaration: detect instead
    return _decode_text(path, data)


def _paragraphs(text: str) -> str:
    """trafilatura puts one block per line; a blank line between them marks paragraphs, table rows stay together."""
    lines = [line for line in text.splitlines() if line.strip()]
    groups = itertools.groupby(lines, key=lambda line: line.startswith("|"))
    return "\n\n".join("\n".join(group) if is_table else "\n\n".join(group) for is_table, group in groups)


class _VisibleText(HTMLParser):
    """Text a browser would show in the page, one block per paragraph.

    Used when trafilatura finds no main text. It is a flat tokenizer, so no nesting depth can
    exhaust the stack or be cut off by a tree parser's depth limit.
    """

    _HIDDEN = frozenset({"head", "script", "style", "noscript", "template", "title"})
    _BLOCKS = frozenset(
        "address article aside blockquote br dd div dl dt fieldset figcaption figure footer form "
        "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table td th tr ul".split()
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self.hidden_depth = 0
        self.in_title = False

    @classmethod
    def of(cls, html: str) -> _VisibleText:
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser

    @property
    def text(self) -> str:
        return "\n".join(line.strip() for line in "".join(self.parts).splitlines() if line.strip())

    @property
    def title(self) -> str | None:
        return "".join(self.title_parts).strip() or None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.hidden_depth = 0  # an unclosed <head> must not hide the whole page
        elif tag in self._HIDDEN:
            self.hidden_depth += 1
            self.in_title = tag == "title"
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self.hidden_depth = max(0, self.hidden_depth - 1)
            self.in_title = False
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)
        elif not self.hidden_depth:
            self.parts.append(data)


# --- plain text ------------------------------------------------------------------------------


def _decode_text(path: Path, data: bytes) -> str:
    """Decode text whose encoding nobody declared.

    Strict UTF-8 goes first: it almost never decodes anything else by accident. Otherwise
    charset-normalizer decides, except that on short Chinese snippets it often guesses Big5,
    cp949 or even UTF-16 for GBK bytes; so GB18030 and Big5 are tried too and win when they
    yield ordinary Chinese text where the detector's choice does not.
    """
    if data.startswith(codecs.BOM_UTF8):
        text = _decode_or_none(data, "utf-8-sig")
    else:
        text = _decode_or_none(data, "utf-8")
    if text is None:
        if b"\x00" in data and not data.startswith(_UNICODE_BOMS):
            raise IngestError(path, "binary content, not text (NUL bytes)")
        text = _decode_mixed(path, data)
        if text is None:
            detected = _decode_detected(data)
            text = detected[0] if detected else None
    if text is None or _control_ratio(text) > _MAX_CONTROL_RATIO:
        raise IngestError(path, "binary content, not text")
    if not text.strip():
        raise IngestError(path, "empty file")
    return text


def _decode_detected(data: bytes) -> tuple[str, str] | tuple[()]:
    """(text, encoding) of the best decoding of ``data``, or () when nothing decodes it."""
    matches = charset_normalizer.from_bytes(data)
    detected = [_prefer_superset(match.encoding) for match in matches]
    best_text = _decode_or_none(data, detected[0]) if detected else None
    best = (best_text, detected[0]) if best_text is not None else ()
    best_score = _chinese_score(best_text) if best_text is not None else 0.0
    for encoding in ("gb18030", "big5"):
        text = _decode_or_none(data, encoding)
        score = _chinese_score(text) if text is not None else 0.0
        if score >= _MIN_CHINESE_SCORE and score > best_score:
            best, best_score = (text, encoding), score
    return best


def _utf8_line(line: bytes) -> str | None:
    """The line as UTF-8 when it is valid UTF-8 and not better read as GB18030.

    A few short GBK sequences are valid UTF-8 too ("一" is D2 BB, UTF-8 for "һ"); such a line reads
    as Chinese only in GB18030.
    """
    text = _decode_or_none(line, "utf-8")
    if text is None or line.isascii():
        return text
    legacy = _decode_or_none(line, "gb18030")
    return text if legacy is None or _chinese_score(text) >= _chinese_score(legacy) else None


def _decode_mixed(path: Path, data: bytes) -> str | None:
    """Decode a text whose lines are partly UTF-8 and partly in one legacy encoding (GBK, Big5 ...);
    None when no non-ASCII line is UTF-8 (a file in one encoding).

    A line that is valid UTF-8 is UTF-8 (Chinese GBK lines practically never are: none of 300,000
    lawrefbook lines is). The other lines are detected together, which gives charset-normalizer a
    sample it can judge; "\n" never occurs inside a GBK, GB18030 or Big5 character.
    """
    if data.startswith(_UNICODE_BOMS):
        return None
    lines = [(line, _utf8_line(line)) for line in data.split(b"\n")]
    if not any(text is not None and not line.isascii() for line, text in lines):
        return None
    legacy = [line for line, text in lines if text is None]
    detected = _decode_detected(b"\n".join(legacy))
    legacy_texts = detected[0].split("\n") if detected else []
    if len(legacy_texts) != len(legacy):  # undetected, or a detected encoding where "\n" means something else
        undecoded = b"".join(legacy)
        if len(_CONTROL_BYTES.findall(undecoded)) > _MAX_CONTROL_RATIO * len(undecoded):
            raise IngestError(path, "binary content, not text")
        raise IngestError(
            path, f"mixed encodings: UTF-8 in {len(lines) - len(legacy)} of {len(lines)} lines, no detectable "
            "encoding in the others; save the file as UTF-8",
        )
    rest = iter(legacy_texts)
    return "\n".join(text if text is not None else next(rest) for _, text in lines)


def _prefer_superset(encoding: str) -> str:
    """GB2312 and GBK files routinely contain characters only their superset GB18030 defines."""
    name = codecs.lookup(encoding).name
    return "gb18030" if name in {"gb2312", "gbk"} else name


def _decode_or_none(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return None


def _chinese_score(text: str, sample: int = 4000) -> float:
    """Share of the non-ASCII characters that are common Chinese characters or CJK punctuation.

    A wrong decoding of Chinese bytes produces kana, hangul, private-use and box-drawing
    characters, or rare ideographs that neither GB2312 nor Big5 contains.
    """
    chars = list(itertools.islice((c for c in text if ord(c) > 127), sample))
    if not chars:
        return 0.0
    return sum(_is_common_chinese(c) for c in chars) / len(chars)


def _is_common_chinese(char: str) -> bool:
    if "\u3000" <= char <= "\u303f" or "\uff00" <= char <= "\uffef":  # CJK and full-width punctuation
        return True
    if not "\u4e00" <= char <= "\u9fff":
        return False
    return _encodable(char, "gb2312") or _encodable(char, "big5")


def _encodable(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _control_ratio(text: str) -> float:
    return len(_CONTROL_CHARS.findall(text)) / max(1, len(text))


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB ({size} bytes)"


def _nonblank(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None
