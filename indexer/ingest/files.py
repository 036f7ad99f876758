"""Which files to read and whether to read them: checks that cost nothing come before any read."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from indexer.config import indexing_settings
from indexer.errors import UnreadableFile

FORMATS = {
    ".pdf": "pdf", ".ofd": "ofd", ".txt": "txt", ".md": "txt", ".docx": "docx", ".doc": "doc", ".wps": "wps",
    ".html": "html", ".htm": "html", ".png": "image", ".jpg": "image", ".jpeg": "image", ".tif": "image", ".tiff": "image",
}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(FORMATS)
_FILE_KINDS = {stat.S_IFDIR: "a directory", stat.S_IFIFO: "a named pipe", stat.S_IFSOCK: "a socket",
               stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device"}


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
    """The size limit in force (ZHENGCE_MAX_FILE_BYTES, default 50 MiB)."""
    return indexing_settings().max_file_bytes


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
        raise UnreadableFile(path, "file not found") from None
    except OSError as exc:
        raise UnreadableFile(path, f"cannot read file: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(info.st_mode):
        kind = _FILE_KINDS.get(stat.S_IFMT(info.st_mode), "a special file")
        raise UnreadableFile(path, f"not a regular file ({kind})")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kind = f"file type {suffix}" if suffix else "file without an extension"
        raise UnreadableFile(path, f"unsupported {kind} (supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})")
    return info


def read_bytes(path: Path) -> bytes:
    """Checks that cost nothing come before reading, so a huge or wrong file is never loaded."""
    size = check_file(path).st_size
    limit = max_file_bytes()
    if size > limit:
        raise UnreadableFile(path, f"file too large: {_mib(size)} > limit {_mib(limit)} (set ZHENGCE_MAX_FILE_BYTES to change it)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(path, f"cannot read file: {exc.strerror or exc}") from exc
    if not data.strip():
        raise UnreadableFile(path, "empty file")
    return data


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB ({size} bytes)"


def nonblank(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None
