"""The stream names of an OLE2 compound file (the container of Word 97-2003 and WPS files).

LibreOffice converts whatever it is given: random bytes behind the OLE2 signature come back as a
"document" of gibberish. A Word file's directory names a ``WordDocument`` stream, so the directory
is read first (header, the FAT sectors the header lists, the directory chain), with every offset
checked against the file, and a file whose directory cannot be read or names no document stream is
refused before any conversion. [MS-CFB] describes the layout.
"""

from __future__ import annotations

import struct

MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEADER_BYTES = 512
END_OF_CHAIN = 0xFFFFFFFE
FREE_SECTOR = 0xFFFFFFFF
MAX_CHAIN = 1 << 16  # directory sectors followed at most (a loop in the FAT must not hang the read)
# streams that hold a word-processing document: Word 97-2003 and WPS Writer, and Microsoft Works
DOCUMENT_STREAMS = frozenset({"WordDocument", "CONTENTS", "MatOST"})


def stream_names(data: bytes) -> set[str] | None:
    """The names in the file's directory; None when ``data`` is not a well-formed OLE2 file."""
    if len(data) < HEADER_BYTES or not data.startswith(MAGIC):
        return None
    major, byte_order, sector_shift, mini_shift = struct.unpack_from("<HHHH", data, 0x1A)
    if byte_order != 0xFFFE or (major, sector_shift) not in ((3, 9), (4, 12)) or mini_shift != 6:
        return None
    size = 1 << sector_shift
    fat_sectors, first_directory = struct.unpack_from("<II", data, 0x2C)
    difat = struct.unpack_from("<109I", data, 0x4C)

    def sector(number: int) -> bytes | None:
        start = HEADER_BYTES + number * size if major == 3 else (number + 1) * size
        return data[start : start + size] if start + size <= len(data) else None

    fat: list[int] = []
    for number in difat[: min(fat_sectors, 109)]:
        block = sector(number)
        if block is None:
            return None
        fat.extend(struct.unpack(f"<{size // 4}I", block))
    names: set[str] = set()
    current, seen = first_directory, 0
    while current != END_OF_CHAIN:
        block = sector(current) if current < len(fat) and seen < MAX_CHAIN else None
        if block is None:
            return None
        for entry in range(0, size, 128):
            length, kind = struct.unpack_from("<HB", block, entry + 64)
            if kind in (1, 2, 5) and 2 <= length <= 64 and length % 2 == 0:  # storage, stream, root
                names.add(block[entry : entry + length - 2].decode("utf-16-le", "replace"))
        current, seen = fat[current], seen + 1
        if current == FREE_SECTOR:
            return None
    return names


def holds_document(data: bytes) -> bool:
    """Whether ``data`` is an OLE2 file whose directory names a word-processing document stream."""
    names = stream_names(data)
    return names is not None and bool(names & DOCUMENT_STREAMS)
