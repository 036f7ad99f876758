"""Which documents of a set state a question's gold answer: the gold document and its copies.

NCPP holds the same notice several times (a ministry's, a province's, a city's copy) and digests
that restate it, so taking a question's gold document out of the corpus often leaves its answer in
another document: an answer from there is right, not false. A question is only unanswerable once
every document that states its answer is out.

Texts are compared normalised (NFKC, lower case, no whitespace or punctuation). A document states
a span long enough that a chance match is unlikely when it contains it, or a near copy of it: one
window of the span's length holds at least ``NEAR_COPY`` of the span's character bigrams and every
number, code and URL the span states (a copy edited in places: 疫情解除后 for 疫情解除後, a clause
dropped; but 2月18日 is no copy of 2月17日, nor 25% of 75%, nor 重庆's 电子税务局 address of 四川's).
A short span (50%, 30, 绿色通道, 2月17日) stands in hundreds of documents by chance; a document states
it only when it holds the span and a near copy of the words around it in the gold document.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Mapping

NEAR_COPY = 0.65  # share of the text's bigrams in one window (chosen on NCPP dev by reading; eval/results.md)
MIN_BIGRAMS = 15  # shorter spans (市人力资源和社会保障局, 自2020年1月24日起) match by chance: judged with their context
CONTEXT = 15  # characters of the gold document either side of a short span that a copy repeats too
WINDOW_SLACK = 1.25  # a window may be this much longer than the text (a copy adds a word here and there)

_NOT_WORD = re.compile(r"[\W_]+")
_LATIN = re.compile(r"[0-9a-z]+")  # numbers, codes, URLs: a copy states them as they are


def normalised(text: str) -> str:
    """The text as compared: NFKC, lower case, without whitespace and punctuation."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


def bigrams_of(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(max(1, len(text) - 1))}


class Copies:
    """The normalised documents of a collection, with where each bigram occurs in each."""

    def __init__(self, documents: Mapping[str, str]) -> None:
        self.texts = {doc_id: normalised(text) for doc_id, text in documents.items()}
        self._positions: dict[str, dict[str, list[int]]] = {}
        for doc_id, text in self.texts.items():
            positions: dict[str, list[int]] = defaultdict(list)
            for i in range(len(text) - 1):
                positions[text[i : i + 2]].append(i)
            self._positions[doc_id] = positions

    def stating(self, span: str, gold_doc: str) -> set[str]:
        """The documents that state ``span``, the gold answer read in ``gold_doc`` (which is among them)."""
        wanted = normalised(span)
        if not wanted:
            return {gold_doc}
        if len(bigrams_of(wanted)) >= MIN_BIGRAMS:
            return {gold_doc} | {d for d, text in self.texts.items() if wanted in text or self.near_copy(d, wanted)}
        gold_text = self.texts.get(gold_doc, "")
        at = gold_text.find(wanted)
        if at < 0:  # the span is not in its own document: only the same words elsewhere can state it
            return {gold_doc} | {d for d, text in self.texts.items() if wanted in text}
        context = gold_text[max(0, at - CONTEXT) : at + len(wanted) + CONTEXT]
        return {gold_doc} | {d for d, text in self.texts.items()
                             if wanted in text and (context in text or self.near_copy(d, context, wanted))}

    def near_copy(self, doc_id: str, text: str, must_hold: str | None = None) -> bool:
        """Whether one window of the document holds ``NEAR_COPY`` of ``text``'s bigrams and every
        number, code and URL of ``must_hold`` (``text`` itself unless given)."""
        grams = bigrams_of(text)
        if len(grams & self._positions[doc_id].keys()) < NEAR_COPY * len(grams):
            return False  # too few of its bigrams anywhere in the document
        width = int(len(text) * WINDOW_SLACK) + 2
        share, start = self.best_window(doc_id, grams, width)
        window = self.texts[doc_id][start : start + width]
        return share >= NEAR_COPY and all(run in window for run in _LATIN.findall(must_hold or text))

    def best_window(self, doc_id: str, grams: set[str], width: int) -> tuple[float, int]:
        """(the largest share of ``grams`` that one window of ``width`` characters holds, where it starts)."""
        positions = self._positions[doc_id]
        hits = sorted((at, gram) for gram in grams for at in positions.get(gram, ()))
        inside: Counter[str] = Counter()
        best, best_start, left = 0, 0, 0
        for at, gram in hits:
            inside[gram] += 1
            while hits[left][0] < at - width + 2:  # the window's grams start in [at - width + 2, at]
                old = hits[left][1]
                inside[old] -= 1
                if not inside[old]:
                    del inside[old]
                left += 1
            if len(inside) > best:
                best, best_start = len(inside), hits[left][0]
        return best / len(grams), best_start
