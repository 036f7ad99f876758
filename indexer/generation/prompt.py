"""What the model is given: the retrieved passages, numbered, and the rules of a checked answer.

The numbered text of each passage is also what the checker reads (``Source.text``): a sentence is
held to exactly what its model saw under that number, the document's title, 文号, issuer and date
included, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from indexer.retrieval.search import Hit

MAX_PASSAGES = 5
MAX_PASSAGE_CHARS = 600  # a passage is cut here: a bounded prompt, a bounded wait

SYSTEM = (
    "你是政策文件问答助手。只能依据用户给出的编号资料回答，不得使用资料以外的知识。"
    "回答简短，不超过三句话。每句话末尾用方括号标明所依据资料的编号，例如[1]或[1][2]。"
    "数字、日期、文号、机构名称和人名必须与资料原文完全一致。资料中没有答案时，只回答：资料中没有找到答案。"
)


@dataclass(frozen=True)
class Source:
    """Passage ``number`` (1-based) as the model was shown it."""

    number: int
    text: str
    hit: Hit  # the citation of any sentence that cites this number


def sources_of(hits: list[Hit], max_passages: int = MAX_PASSAGES) -> list[Source]:
    """The first ``max_passages`` hits, each as a header line (title, 文号, issuer, date) and its text."""
    sources = []
    for number, hit in enumerate(hits[:max_passages], start=1):
        meta = hit.document.meta
        header = "，".join(v for v in (meta.doc_number, meta.issuer, meta.date) if v)
        title = f"《{meta.title}》" if meta.title else hit.document.source
        body = hit.chunk.text if len(hit.chunk.text) <= MAX_PASSAGE_CHARS else hit.chunk.text[:MAX_PASSAGE_CHARS] + "……"
        sources.append(Source(number, f"{title}（{header}）\n{body}" if header else f"{title}\n{body}", hit))
    return sources


def messages_for(question: str, sources: list[Source]) -> list[dict[str, str]]:
    """The chat messages: the rules, then the numbered passages and the question."""
    material = "\n\n".join(f"[{s.number}] {s.text}" for s in sources)
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"资料：\n{material}\n\n问题：{question}"},
    ]
