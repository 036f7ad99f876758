"""Plain text whose encoding nobody declared: UTF-8, GBK/GB18030, Big5, or lines of both."""

from __future__ import annotations

import codecs
import itertools
import re
from pathlib import Path

import charset_normalizer

from indexer.errors import UnreadableFile

# Share of control characters above which decoded bytes are taken for binary data.
_MAX_CONTROL_RATIO = 0.05
# Share of "ordinary Chinese" characters a decoding needs to win over the detector's verdict.
_MIN_CHINESE_SCORE = 0.8
# A legacy-encoded text with a few bytes no decoding accepts (a damaged byte, a cut character) is kept,
# each such byte marked U+FFFD, when there is at most one per this many characters.
_CHARS_PER_BAD_BYTE = 500
UNICODE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# C0/C1 control characters other than tab, newlines and form feed (a page break in text dumps).
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# The same C0 characters as bytes: no byte of a GBK, GB18030 or Big5 character is one of them.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1f]")


def decode_text(path: Path, data: bytes) -> str:
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
        if b"\x00" in data and not data.startswith(UNICODE_BOMS):
            raise UnreadableFile(path, "binary content, not text (NUL bytes)")
        text = _decode_mixed(path, data)
        if text is None:
            detected = _decode_detected(data)
            text = detected[0] if detected else None
    if text is None or _control_ratio(text) > _MAX_CONTROL_RATIO:
        text = _decode_damaged(data)
    if text is None:
        raise UnreadableFile(path, "binary content, not text")
    if not text.strip():
        raise UnreadableFile(path, "empty file")
    return text


def _decode_detected(data: bytes) -> tuple[str, str] | tuple[()]:
    """(text, encoding) of the best decoding of ``data``, or () when nothing decodes it."""
    matches = charset_normalizer.from_bytes(data)
    detected = [prefer_superset(match.encoding) for match in matches]
    best_text = _decode_or_none(data, detected[0]) if detected else None
    best = (best_text, detected[0]) if best_text is not None else ()
    best_score = _chinese_score(best_text) if best_text is not None else 0.0
    for encoding in ("gb18030", "big5"):
        text = _decode_or_none(data, encoding)
        score = _chinese_score(text) if text is not None else 0.0
        if text is not None and score >= _MIN_CHINESE_SCORE and score > best_score:
            best, best_score = (text, encoding), score
    return best


def _decode_damaged(data: bytes) -> str | None:
    """GB18030 or Big5 text with a few undecodable bytes, each marked U+FFFD: one bad byte in a
    notice must not cost the whole notice. None when the result is not ordinary Chinese text."""
    for encoding in ("gb18030", "big5"):
        text = data.decode(encoding, errors="replace")
        bad = text.count("\ufffd")
        if 0 < bad <= max(1, len(text) // _CHARS_PER_BAD_BYTE) and _control_ratio(text) <= _MAX_CONTROL_RATIO \
                and _chinese_score(text.replace("\ufffd", "")) >= _MIN_CHINESE_SCORE:
            return text
    return None


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
    if data.startswith(UNICODE_BOMS):
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
            raise UnreadableFile(path, "binary content, not text")
        raise UnreadableFile(
            path, f"mixed encodings: UTF-8 in {len(lines) - len(legacy)} of {len(lines)} lines, no detectable "
            "encoding in the others; save the file as UTF-8",
        )
    rest = iter(legacy_texts)
    return "\n".join(text if text is not None else next(rest) for _, text in lines)


def prefer_superset(encoding: str) -> str:
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
