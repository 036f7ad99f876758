"""Progress of long runs (indexing, OCR, evaluation) on stderr: a tqdm bar in a terminal, and a
plain line every ``LOG_EVERY_S`` seconds otherwise (a log file, `make serve` under a supervisor,
CI), so a run that takes minutes is never silent."""

from __future__ import annotations

import sys
from typing import Any

LOG_EVERY_S = 10.0


class _Lines:
    """A file for tqdm that writes each refresh as its own line instead of rewriting one."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        line = text.replace("\r", "").strip()
        if line:
            self.stream.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def progress(enabled: bool = True, **kwargs: Any) -> Any:
    """A tqdm bar (``kwargs`` as tqdm's); disabled when ``enabled`` is false."""
    from tqdm import tqdm

    stream = sys.stderr
    if stream is None or stream.isatty():
        return tqdm(disable=not enabled, **kwargs)
    return tqdm(disable=not enabled, file=_Lines(stream), mininterval=LOG_EVERY_S, maxinterval=LOG_EVERY_S,
                ascii=True, dynamic_ncols=False, ncols=100, **kwargs)
