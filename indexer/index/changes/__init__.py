"""Compatibility only: the update pipeline's changes moved to ``indexer.update.changes`` and
``defect_reason`` to ``indexer.errors``. search_api/upload_job.py still imports ``defect_reason`` from
here; delete this package once it imports ``indexer.errors.defect_reason``. (A package rather than a
module, so that git follows changes.py to its new home.)"""

from indexer.errors import defect_reason

__all__ = ["defect_reason"]
