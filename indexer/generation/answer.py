"""A generated answer, checked, or the extractive one with the reason why.

The order is fixed: the extractive decision first (when /ask would give no answer the model is
never called: it would write a fluent answer from passages that do not hold one), then the model,
then the check of every sentence (``check``). What reaches a reader is either sentences that
passed, each with the passages it cites, or the extractive answer; never a sentence that failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from indexer.errors import ModelUnavailable
from indexer.generation.check import CheckResult, check_answer
from indexer.generation.client import MAX_TOKENS, ChatClient
from indexer.generation.prompt import Source, messages_for, sources_of

if TYPE_CHECKING:
    from indexer.retrieval.search import Hit

MIN_KEPT_SHARE = 0.5  # below this share of its characters passing the check, a generated answer is not shown
WHY = {  # why the extractive answer was given instead, for the person reading it
    "no_answer": "检索到的资料不足以回答，未调用语言模型",
    "no_model": "未配置语言模型（ZHENGCE_LLM_BASE_URL）",
    "unreachable": "无法连接语言模型",
    "timeout": "语言模型未在限定时间内完成回答",
    "model_error": "语言模型返回了错误",
    "too_little_checked": "生成的回答中通过引用核查的内容太少",
}


@dataclass
class Generated:
    mode: Literal["generated", "extractive"]
    why: str | None = None  # a key of WHY when mode is extractive
    detail: str | None = None  # what the model's server said, or how much passed
    text: str = ""  # what the model wrote, unchecked (never shown as the answer)
    sources: list[Source] = field(default_factory=list)
    check: CheckResult | None = None

    @property
    def message(self) -> str | None:
        if self.why is None:
            return None
        return WHY[self.why] + (f"：{self.detail}" if self.detail else "")

    @property
    def answer(self) -> str | None:
        """The checked sentences joined, when generated."""
        if self.mode != "generated" or self.check is None:
            return None
        return "".join(s.text for s in self.check.kept)


def stream_answer(question: str, hits: list[Hit], client: ChatClient | None, *, answered: bool,
                  max_tokens: int = MAX_TOKENS) -> Iterator[str | Generated]:
    """The model's text as it arrives (str), then the checked outcome (Generated) last."""
    if not answered:
        yield Generated("extractive", "no_answer")
        return
    if client is None:
        yield Generated("extractive", "no_model")
        return
    sources = sources_of(hits)
    pieces: list[str] = []
    try:
        for piece in client.stream(messages_for(question, sources), max_tokens):
            pieces.append(piece)
            yield piece
    except ModelUnavailable as error:
        yield Generated("extractive", error.why, error.detail, "".join(pieces), sources)
        return
    yield judged("".join(pieces), sources)


def generate_answer(question: str, hits: list[Hit], client: ChatClient | None, *, answered: bool,
                    max_tokens: int = MAX_TOKENS) -> Generated:
    """``stream_answer`` without the pieces."""
    outcome = None
    for item in stream_answer(question, hits, client, answered=answered, max_tokens=max_tokens):
        outcome = item
    assert isinstance(outcome, Generated)
    return outcome


def judged(text: str, sources: list[Source]) -> Generated:
    """The model's ``text`` checked against the passages it was given."""
    result = check_answer(text, [s.text for s in sources])
    if result.kept and result.kept_share >= MIN_KEPT_SHARE:
        return Generated("generated", text=text, sources=sources, check=result)
    detail = f"{len(result.kept)}/{len(result.kept) + len(result.dropped)} 句通过"
    return Generated("extractive", "too_little_checked", detail, text, sources, result)
