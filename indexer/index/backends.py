"""Compatibility only: ``open_backend`` and ``collection_for`` moved to ``indexer.update.backends`` and
``indexer.index.stores`` (a backend is a store with the update pipeline, which sits above storage).
search_api, indexer/cli and eval/harness.py still import them from here; delete this module, the
one place where ``indexer.index`` imports ``indexer.update``, once they import the new homes."""

from indexer.index.stores import collection_for
from indexer.update.backends import open_backend

__all__ = ["collection_for", "open_backend"]
