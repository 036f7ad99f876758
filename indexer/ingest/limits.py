"""Bounds on what one file may expand to, so that a small hostile file cannot take the machine.

A DOCX (and OFD, XLSX, EPUB ...) is a zip archive: 770 KB can hold 250 MB of XML. ``check_zip``
reads only the archive's directory, before anything is decompressed; Python's zipfile never
inflates a member past the size the directory declares, so the declared sizes are the bound.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from indexer.errors import UnreadableFile

MIB = 1024 * 1024
MAX_UNZIPPED_BYTES = 200 * MIB  # all members together, decompressed
MAX_MEMBERS = 10_000
MAX_RATIO = 200  # decompressed / compressed size of a member larger than RATIO_FLOOR
RATIO_FLOOR = 4 * MIB
MAX_DOCUMENT_CHARS = 2_000_000  # characters of text one document may yield (about 1,000 pages)


def check_zip(path: Path | str, data: bytes | None = None, *, max_bytes: int = MAX_UNZIPPED_BYTES) -> None:
    """Raise UnreadableFile when the archive at ``path`` (or ``data``) would expand too far.

    An archive that is not a zip at all passes: the format's own reader reports that.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data) if data is not None else Path(path)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return
    if len(members) > MAX_MEMBERS:
        raise UnreadableFile(path, f"archive has {len(members)} members; the limit is {MAX_MEMBERS}")
    total = sum(m.file_size for m in members)
    if total > max_bytes:
        raise UnreadableFile(
            path, f"archive expands to {total / MIB:.1f} MiB; the limit is {max_bytes / MIB:.0f} MiB (a zip bomb?)"
        )
    for member in members:
        if member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise UnreadableFile(
                path, f"archive member {member.filename} expands {member.file_size // max(member.compress_size, 1)}"
                f" times ({member.file_size / MIB:.1f} MiB); the limit is {MAX_RATIO} times (a zip bomb?)"
            )


def check_text_size(path: Path | str, text: str, limit: int = MAX_DOCUMENT_CHARS) -> None:
    """Raise UnreadableFile when a document's text is longer than ``limit`` characters."""
    if len(text) > limit:
        raise UnreadableFile(path, f"document has {len(text):,} characters; the limit is {limit:,}")
