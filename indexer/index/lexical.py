"""Lexical retrieval: jieba tokens plus whole identifiers, scored with BM25 (bm25s).

jieba splits the things users search for verbatim - 普教办〔2024〕3号, 第153053号, 《...》 titles,
"16个" - into fragments that also occur everywhere else. Those identifiers are therefore
emitted a second time as single tokens, so an exact match scores like the rare term it is.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from indexer.gongwen.numbers import DOC_NUMBER_IN_TEXT, proposal_tokens
from indexer.index.filters import Selection
from indexer.index.top_k import top_indices

DATA_DIR = Path(__file__).resolve().parent / "data"
USER_DICT = DATA_DIR / "policy_terms.txt"

# Function words that carry no retrieval signal; kept short so that policy vocabulary survives.
STOPWORDS = frozenset(
    "的 了 和 与 及 以及 或 或者 在 是 为 对 对于 等 将 把 被 之 其 于 以 而 也 都 就 并 并且 这 那 "
    "该 各 由 从 向 到 给 让 使 已 已经 还 又 再 要 会 可 可以 能 个 一 一个 有 没有 不 中 上 下 "
    "们 我 我们 你 他 她 它 如下 如 若 则 即 但 但是 因 因此 所 所以 通过 进行 关于 什么 多少 哪些 怎么 如何 吗 呢 吧 啊".split()
)

# Recorded in each index's manifest: tokens stored in an index were made by this recipe.
# cut_for_search (words plus their sub-words) lets "宝宝屋" match "社区宝宝屋"; chosen over the plain
# cut in eval/results.md, section 1.
TOKENIZER = "jieba.cut_for_search+policy_terms+identifiers/2"

_BOOK_TITLE = re.compile(r"《([^《》\n]{1,80})》")
_COUNT = re.compile(
    r"(\d+(?:\.\d+)?)\s*(个|次|岁|家|所|名|人|项|条|万|亿|元|天|周|年|月|日|倍|户|张|场|批|类|位|间|座|%)"
)
_SPACE = re.compile(r"\s+")


# The full-width punctuation of Chinese text and the ideographic space, each NFKC's single ASCII character
_COMMON_WIDE = tuple((wide, unicodedata.normalize("NFKC", wide)) for wide in "，：；（）？！％\u3000")


def normalize(text: str) -> str:
    """NFKC (full-width digits and latin to ASCII) and lowercase: what both sides are matched on.

    NFKC spends most of its time on text that it leaves as it is but for a few full-width marks:
    those are replaced first by what NFKC makes of them (which changes nothing NFKC then does), and
    text that is then already in NFKC skips it."""
    for wide, narrow in _COMMON_WIDE:
        text = text.replace(wide, narrow)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


def identifier_tokens(text: str) -> list[str]:
    """Whole-identifier tokens found in already-normalised text."""
    tokens: list[str] = []
    for match in DOC_NUMBER_IN_TEXT.finditer(text):
        prefix, year, _, number = match.groups()  # 第 before the number is layout: 〔2025〕第1号 = 〔2025〕1号
        core = f"〔{year}〕{int(number)}号"
        tokens.append(core)
        # the issuer abbreviation's start is unknown in running text (根据沪府发...): every suffix
        tokens.extend(prefix[-length:] + core for length in range(2, len(prefix) + 1))
    tokens.extend(proposal_tokens(text))  # 第0596号提案, 第〔27〕号, 第DH0271号, 250101号代表建议
    tokens.extend("《" + _SPACE.sub("", m.group(1)) + "》" for m in _BOOK_TITLE.finditer(text))
    tokens.extend(m.group(1) + m.group(2) for m in _COUNT.finditer(text))
    return tokens


class _Jieba:
    """One private jieba tokenizer with the policy dictionary, built on first use."""

    _lock = threading.Lock()
    _tokenizer = None

    @classmethod
    def get(cls):
        with cls._lock:
            if cls._tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                tokenizer.load_userdict(str(USER_DICT))
                cls._tokenizer = tokenizer
            return cls._tokenizer


def _is_word(token: str) -> bool:
    return any(ch.isalnum() for ch in token) and token not in STOPWORDS


def tokenize(text: str) -> list[str]:
    """Search-engine cut (words and their sub-words) plus identifier tokens."""
    normalized = normalize(text)
    words = [t for t in _Jieba.get().cut_for_search(normalized) if _is_word(t.strip())]
    return [w.strip() for w in words] + identifier_tokens(normalized)


def query_terms(text: str) -> list[str]:
    """Distinct query tokens worth highlighting (single characters would light up everything)."""
    return terms_of(tokenize(text))


def terms_of(tokens: list[str]) -> list[str]:
    """``query_terms`` of a text from its ``tokenize`` tokens, for a caller that has them already."""
    seen: dict[str, None] = {}
    for token in tokens:
        if len(token) >= 2:
            seen.setdefault(token, None)
    return list(seen)


@dataclass
class LocalLexicalQuery:
    """Full BM25 score vector of one query (bm25s scores every row at once)."""

    all_scores: np.ndarray

    def top_k(self, k: int, within: Selection | None = None) -> np.ndarray:
        rows = within.rows if within is not None else np.arange(len(self.all_scores))
        scores = self.all_scores[rows]
        positive = scores > 0
        rows, scores = rows[positive], scores[positive]
        return rows[top_indices(scores, k)]

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return self.all_scores[rows]


class LexicalIndex:
    """BM25 over token lists; row i scores chunk i of the index. The local backend's lexical store."""

    FILE = "lexical.json"

    def __init__(self, bm25, size: int, params: dict) -> None:
        self._bm25 = bm25
        self.size = size
        self.params = params

    @classmethod
    def build(cls, token_lists: Sequence[list[str]], *, k1: float = 1.2, b: float = 0.75) -> LexicalIndex:
        bm25s = _import_bm25s()
        params = {"k1": k1, "b": b, "method": "lucene", "tokenizer": TOKENIZER}
        if not token_lists:
            return cls(None, 0, params)
        bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        bm25.index([list(tokens) for tokens in token_lists], show_progress=False)
        return cls(bm25, len(token_lists), params)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every row (0 where no query token occurs)."""
        if self._bm25 is None:
            return np.zeros(self.size, dtype=np.float32)
        known = self._bm25.get_tokens_ids(query_tokens)
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(known), dtype=np.float32)

    def query(self, tokens: list[str]) -> LocalLexicalQuery:
        return LocalLexicalQuery(self.scores(tokens))

    def postings(self) -> Iterator[tuple[str, list[int], list[float]]]:
        """Each token, in bm25s's vocabulary order, with the rows holding it and its BM25 weight in each:
        a row's score for a query is the sum of its weights of the query's tokens (each counted as often
        as it occurs)."""
        if self._bm25 is None:
            return
        tokens = {index: token for token, index in self._bm25.vocab_dict.items()}
        data, rows, indptr = (np.asarray(self._bm25.scores[k]) for k in ("data", "indices", "indptr"))
        for term in range(len(indptr) - 1):
            yield tokens[term], rows[indptr[term] : indptr[term + 1]].tolist(), data[indptr[term] : indptr[term + 1]].tolist()

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / self.FILE).write_text(json.dumps({"size": self.size, **self.params}), encoding="utf-8")
        if self._bm25 is not None:
            self._bm25.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        bm25s = _import_bm25s()
        info = json.loads((directory / cls.FILE).read_text(encoding="utf-8"))
        size = int(info.pop("size"))
        bm25 = bm25s.BM25.load(str(directory), show_progress=False) if size else None
        return cls(bm25, size, info)


def _import_bm25s() -> ModuleType:
    """bm25s, imported on first use; it sets its own logger to DEBUG on import, which would print
    a line for every index it builds."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s
