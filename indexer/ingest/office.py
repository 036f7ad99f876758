"""Legacy Word (.doc), WPS (.wps) and WPS-saved .docx: converted to DOCX by LibreOffice headless.

python-docx reads only Office Open XML, and there is no maintained pure-Python reader of the
Word 97 binary format, so LibreOffice (Debian package ``libreoffice-writer-nogui``) converts
the file in a private profile folder, under a time limit, and the DOCX reader takes over.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import tempfile
import zipfile
from pathlib import Path

from indexer.errors import UnreadableFile
from indexer.ingest.ole2 import holds_document
from indexer.ingest.word import extract_docx

SOFFICE_PACKAGE = "libreoffice-writer-nogui"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of Word 97-2003 and WPS files
CONVERT_TIMEOUT_S = 120.0  # a large .doc converts in seconds; a hung conversion must not stop the run


def soffice() -> str | None:
    """The LibreOffice executable on PATH, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def needs_conversion(data: bytes) -> bool:
    """Whether a .docx python-docx refused is still a Word file LibreOffice can read.

    WPS Office (and some export tools) save Word 97 binaries under a .docx name; WPS-written
    packages also declare WPS content types (``vnd.wps-office...``).
    """
    if data.startswith(OLE2_MAGIC):
        return True
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return b"wps-office" in package.read("[Content_Types].xml")
    except (zipfile.BadZipFile, KeyError, OSError):
        return False


def extract_via_docx(path: Path, data: bytes, timeout: float = CONVERT_TIMEOUT_S) -> tuple[list[str], str | None]:
    """Text of a .doc, .wps or WPS .docx, read from LibreOffice's DOCX conversion."""
    return extract_docx(path, _convert(path, data, timeout))


def _convert(path: Path, data: bytes, timeout: float) -> bytes:
    if data.startswith(OLE2_MAGIC) and not holds_document(data):  # LibreOffice would "convert" the noise
        raise UnreadableFile(path, "不是 Word 97-2003 或 WPS 文档：文件头是 OLE2 复合文件，但其中没有文档内容（WordDocument）")
    executable = soffice()
    if executable is None:
        raise UnreadableFile(
            path, f"{path.suffix.lower()} files are converted by LibreOffice, which is not installed "
            f"(Debian/Ubuntu: apt-get install {SOFFICE_PACKAGE})",
        )
    with tempfile.TemporaryDirectory(prefix="zhengce-soffice-") as tmp:
        folder = Path(tmp)
        source = folder / f"input{path.suffix.lower()}"  # an ASCII name: no locale can garble it
        source.write_bytes(data)
        command = [
            executable, "--headless", "--norestore", "--nolockcheck",
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",  # a profile of its own: no clash with a running LibreOffice
            "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(folder / "out"), str(source),
        ]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp,
        )
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # soffice starts a child process: end the whole group
            process.communicate()
            raise UnreadableFile(path, f"LibreOffice did not finish converting it within {timeout:.0f} s") from None
        converted = folder / "out" / "input.docx"
        if process.returncode != 0 or not converted.is_file():
            said = " ".join(output.decode("utf-8", "replace").split())[-300:]
            raise UnreadableFile(path, f"LibreOffice could not convert it to DOCX (damaged or password-protected?): {said}")
        return converted.read_bytes()
