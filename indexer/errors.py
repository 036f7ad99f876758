"""The errors a person can act on, one class per kind; everything else is a bug.

The HTTP service translates each kind once into a status (``search_api.errors``) and the CLI
once into an exit code (``indexer.cli``); nothing at either boundary catches ``ValueError`` or
``RuntimeError``, so a programming error surfaces as a 500 or a traceback with its log line.
"""

from __future__ import annotations

from pathlib import Path


class ZhengceError(Exception):
    """Base of every expected failure; ``str(error)`` says what happened and what to do."""


class BadInput(ZhengceError, ValueError):
    """A request, argument or setting that cannot be used as given (bad filter, empty query ...)."""


class NotFound(ZhengceError):
    """Something named that does not exist: an index folder, a document id, a dataset."""


class UnreadableFile(ZhengceError):
    """A file that cannot become a document; ``reason`` is what a person needs to fix it."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


class IndexBusy(ZhengceError):
    """Another process is writing the index; try again when it has finished."""


class IndexMismatch(ZhengceError):
    """The index was built with another embedding model (or dimension) than the one in use."""


class ModelUnavailable(ZhengceError):
    """The office's language model could not answer: ``why`` is unreachable, timeout or model_error."""

    def __init__(self, why: str, detail: str) -> None:
        super().__init__(f"language model {why.replace('_', ' ')}: {detail}")
        self.why = why
        self.detail = detail


class Cancelled(ZhengceError):
    """Work someone stopped (an upload job cancelled with DELETE /jobs/{id}); nothing of it is kept."""
