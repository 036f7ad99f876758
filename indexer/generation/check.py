"""The citation check: every generated sentence must rest on the passages it cites.

A sentence is kept only when (1) it carries markers [n], (2) every n names a passage the model
was given, (3) every number, date, 文号, organisation and person name and quoted phrase it states
is found, normalised, in one of the passages it cites (``facts``), and (4) most of its wording
(``SUPPORT_MIN`` of its character bigrams) is found there too, so that a sentence with no
checkable fact cannot attach a marker to a claim of its own. A sentence that fails is dropped
with its reason, never repaired: a repaired sentence would be the checker's words, not a source's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.generation.facts import Evidence, Fact, facts_of, found_in, normalise

MARKER = re.compile(r"[\[【［]\s*(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*[\]】］]")
_ENDS = "。！？!?；;\n"
_TRAILING = re.compile(rf"(?:\s*{MARKER.pattern}|[”’」』)）\s])+")
_WORD = re.compile(r"[\u3400-\u9fffA-Za-z0-9%]+")
SUPPORT_MIN = 0.5  # share of a sentence's character bigrams its cited passages must contain
KINDS = {"number": "数字", "date": "日期", "doc_number": "文号", "quote": "引用的原文", "organisation": "机构名称",
         "person": "人名"}


@dataclass(frozen=True)
class CheckedSentence:
    text: str  # as the model wrote it, markers included
    markers: tuple[int, ...]  # the passages it cites (1-based), in order of first mention


@dataclass(frozen=True)
class DroppedSentence:
    text: str
    code: str  # no_marker, marker_out_of_range, unsupported_<fact kind>, weak_support
    reason: str  # for the person reading the answer, in Chinese


@dataclass(frozen=True)
class CheckResult:
    kept: list[CheckedSentence]
    dropped: list[DroppedSentence]

    @property
    def kept_share(self) -> float:
        """The share of the generated sentences' characters that passed."""
        kept = sum(len(s.text) for s in self.kept)
        total = kept + sum(len(s.text) for s in self.dropped)
        return kept / total if total else 0.0


def split_generated(text: str) -> list[str]:
    """The model's sentences; markers and closing quotes after a full stop stay with its sentence."""
    sentences: list[str] = []
    start = 0
    i = 0
    while i < len(text):
        if text[i] in _ENDS:
            end = i + 1
            trailing = _TRAILING.match(text, end)
            if trailing:
                end = trailing.end()
            sentences.append(text[start:end])
            start = i = end
            continue
        i += 1
    sentences.append(text[start:])
    return [s.strip() for s in sentences if _WORD.search(MARKER.sub("", s))]


def markers_of(sentence: str) -> tuple[int, ...]:
    numbers: list[int] = []
    for match in MARKER.finditer(sentence):
        for part in re.split(r"[,，、]", match.group(1)):
            if int(part) not in numbers:
                numbers.append(int(part))
    return tuple(numbers)


def check_sentence(sentence: str, evidence: list[Evidence]) -> CheckedSentence | DroppedSentence:
    """``evidence[n - 1]`` is passage n as the model saw it."""
    markers = markers_of(sentence)
    if not markers:
        return DroppedSentence(sentence, "no_marker", "没有标注所依据的资料编号")
    outside = [n for n in markers if not 1 <= n <= len(evidence)]
    if outside:
        return DroppedSentence(sentence, "marker_out_of_range",
                               f"引用了不存在的资料{''.join(f'[{n}]' for n in outside)}（只给了{len(evidence)}条）")
    cited = [evidence[n - 1] for n in markers]
    claim = MARKER.sub("", sentence)
    for fact in facts_of(claim):
        if not any(found_in(fact, e) for e in cited):
            return DroppedSentence(sentence, f"unsupported_{fact.kind}", _missing(fact))
    share = support(claim, cited)
    if share < SUPPORT_MIN:
        return DroppedSentence(sentence, "weak_support",
                               f"所引资料不支持这句话：只有{share:.0%}的词语出现在资料中")
    return CheckedSentence(sentence, markers)


def support(claim: str, cited: list[Evidence]) -> float:
    """The share of the claim's character bigrams (of its words and numbers) found in the cited passages."""
    grams = _bigrams(normalise(claim))
    if not grams:
        return 1.0
    present = set().union(*(_bigrams(e.text) for e in cited))
    return len(grams & present) / len(grams)


def _bigrams(text: str) -> set[str]:
    grams: set[str] = set()
    for run in _WORD.findall(text):
        grams.update(run[i : i + 2] for i in range(max(1, len(run) - 1)))
    return grams


def _missing(fact: Fact) -> str:
    shown = fact.text.replace("|", " ") if fact.kind != "doc_number" else _doc_number_shown(fact.text)
    return f"{KINDS[fact.kind]}“{shown}”在所引资料中找不到"


def _doc_number_shown(key: str) -> str:
    issuer, year, number = key.split("|")
    return f"{issuer}〔{year}〕{number}号"


def check_answer(text: str, passages: list[str]) -> CheckResult:
    """Every sentence of the generated ``text`` checked against ``passages`` (passage n at n - 1)."""
    evidence = [Evidence.of(p) for p in passages]
    kept: list[CheckedSentence] = []
    dropped: list[DroppedSentence] = []
    for sentence in split_generated(text):
        verdict = check_sentence(sentence, evidence)
        (kept if isinstance(verdict, CheckedSentence) else dropped).append(verdict)  # type: ignore[arg-type]
    return CheckResult(kept, dropped)
