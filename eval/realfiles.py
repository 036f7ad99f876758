"""Real office files against what a person reads on them (issue 31).

For each labelled file (eval/realfiles.json: where it came from, its sha256, and the fields its
pages state as a person reads them), the file is read as ``zhengce index`` reads it and scored:

- stated fields: title, 文号, issuer, 成文日期 and 印发日期 (``printed``), where the pages state them;
- lost title lines: the title as printed is not in the text;
- broken lines: a line of the text that stops mid-sentence while the next line carries the sentence on
  (a paragraph cut at a visual line end);
- page-number remnants: a line that is a page number ("— 3 —", "-1一", "3"), or one ending in it.

The files themselves are third-party and are not in the repository: fetch them from the sources the
labels name into ``--root`` (``eval.realfiles_fetch`` does, from clones; the sha256 is checked). Usage::

    python -m eval.realfiles --root var/real [--split test] [--json out.json] [--show-broken]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

from indexer.errors import UnreadableFile
from indexer.gongwen.dates import DATE_ANYWHERE, parse_date
from indexer.gongwen.documents import load_document
from indexer.gongwen.numbers import normalize_doc_number

LABELS = Path(__file__).with_name("realfiles.json")
FIELDS = ("title", "doc_number", "issuer", "date", "printed")
# a line that ends a sentence or a clause, or that is a label or a heading by its punctuation
_CLOSED = tuple("。！？；：，、…”’）》」』】〕)!?;:,") + ("——",)
# a line complete as it stands: an entry of a reference list closed by its full stop ("……，2001：179-193."),
# a contents entry (its leader dots, its page number)
_ENTRY_END = re.compile(r"(?<![.．])\.$|(?:[.．…·]{3,}|…{2,})\s*\d{0,4}$")
# the next line starts a new item: a heading or list mark, an attachment, a numbered row
_OPENS = re.compile(
    r"^(?:[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十\d]+[）)]|\d{1,3}[.．、]\D|第[一二三四五六七八九十百千\d]+[章节条款]"
    r"|附件|[①-⑳]|[A-Za-z]\d*[.、]|\[\d{1,3}\]|\d{1,3}(?:\.\d{1,3})+\D)"
)
_HEADING = re.compile(r"^(?:[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十\d]+[）)]|\d{1,3}[.．、]|第[一二三四五六七八九十百千\d]+[章节])")
_MARK = re.compile(r"^(?:第[一二三四五六七八九十百千\d]+[章节条款][、．.\s]*|[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十\d]+[）)]、?)")
# "— 3 —", "-1一" (OCR), "第 3 页 共 9 页", or a line ending in one; a bare number may be a table's cell,
# and "第1页：填写用户信息" is an instruction about a form's page, not a page number
_PAGE_NUMBER = re.compile(
    r"^[—–－\-一_~～]+\s*\d{1,4}\s*[—–－\-一_~～]+$|^第\s*\d{1,4}\s*页(?:\s*[，,/]?\s*共\s*\d{1,4}\s*页)?$|[—–－]\s*\d{1,4}\s*[—–－]$"
)
_RUNNING = re.compile("[，、；]")
_LABELLED = re.compile("^[\u4e00-\u9fff]{1,4}[:：]")  # 发：…, 抄送：… of a 版记: a list, complete as it stands  # running text, not a heading, a label or a name
_MIN_BROKEN = 10  # shorter lines are labels and cells, not visual lines of a paragraph


def is_date_line(text: str) -> bool:
    """A date alone on its line (the measure's own: it must not change with the readers it measures)."""
    match = re.fullmatch(f"(?:{DATE_ANYWHERE.pattern})\\s*(?:印发|发布)?", text.strip())
    return bool(match and parse_date(match.group()))


def _plain(value: str | None) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or ""))


def field_right(name: str, stated: str, found: str | None) -> bool:
    if found is None:
        return False
    if name == "doc_number":
        return normalize_doc_number(stated) == normalize_doc_number(found)
    return _plain(stated) == _plain(found)


def broken_lines(text: str) -> list[tuple[str, str]]:
    """(line, next line) pairs where a paragraph is cut at a visual line end: a line of running text
    (it has a comma or an enumeration mark inside, and is no table row) that stops without closing
    punctuation, followed by a line that starts no new item."""
    lines = text.split("\n")
    found = []
    for line, below in zip(lines, lines[1:]):
        line, below = line.strip(), below.strip()
        running = _RUNNING.search(_MARK.sub("", line))  # "第七条、安检工单管理" is a heading, "第二条 学生……，成绩纳入毕" runs on
        if len(line) < _MIN_BROKEN or not below or line.endswith(_CLOSED) or _ENTRY_END.search(line) or not running or "|" in line:
            continue
        if (_HEADING.match(line) and len(line) <= 40) or _LABELLED.match(line) or _OPENS.match(below) or is_date_line(below):
            continue
        found.append((line, below))
    return found


def page_number_remnants(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip() and _PAGE_NUMBER.search(line.strip())]


def score(root: Path, label: dict[str, Any]) -> dict[str, Any]:
    path = root / label["file"]
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != label["sha256"]:
        raise SystemExit(f"{path}: not the labelled file (sha256 differs)")
    try:
        doc = load_document(path)
    except UnreadableFile as exc:
        return {"file": label["file"], "error": exc.reason, "stated": len(label["stated"]), "right": 0}
    meta = doc.meta.to_dict()
    fields = {name: {"stated": stated, "found": meta.get(name), "right": field_right(name, stated, meta.get(name))}
              for name, stated in label["stated"].items()}
    title = label["stated"].get("title")
    broken = broken_lines(doc.text)
    return {
        "file": label["file"],
        "kind": label["kind"],
        "stated": len(fields),
        "right": sum(f["right"] for f in fields.values()),
        "fields": fields,
        "title_lost": bool(title) and _plain(title) not in _plain(doc.text),
        "broken_lines": len(broken),
        "broken": [f"{line} | {below}" for line, below in broken],
        "page_number_remnants": page_number_remnants(doc.text),
        "ocr_pages": [facts.to_dict() for facts in doc.ocr_pages],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, required=True, help="folder the labelled files were fetched into")
    parser.add_argument("--split", choices=("dev", "test", *(f"test{n}" for n in range(2, 24)), "all"), default="test2")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--json", type=Path, help="write the per-file report here")
    parser.add_argument("--show-broken", action="store_true", help="print each broken line found")
    args = parser.parse_args(argv)
    labels = [label for label in json.loads(args.labels.read_text(encoding="utf-8"))["files"]
              if args.split == "all" or label["split"] == args.split]
    results = [score(args.root, label) for label in labels]
    for result in results:
        wrong = [f"{name}={f['found']!r}" for name, f in result.get("fields", {}).items() if not f["right"]]
        print(f"{result['file'][:60]:60} {result['right']}/{result['stated']} fields"
              f"  title lost: {result.get('title_lost', '-')}  broken: {result.get('broken_lines', '-')}"
              f"  page numbers: {len(result.get('page_number_remnants', []))}  {result.get('error', '')}"
              + (f"  wrong: {'; '.join(wrong)}" if wrong else ""))
        if args.show_broken:
            for pair in result.get("broken", []):
                print(f"    broken: {pair}")
    stated = sum(r["stated"] for r in results)
    right = sum(r["right"] for r in results)
    summary = {
        "files": len(results), "stated_fields": stated, "right_fields": right, "share": round(right / max(stated, 1), 4),
        "titles_lost": sum(bool(r.get("title_lost")) for r in results),
        "max_broken_lines": max((r.get("broken_lines", 0) for r in results), default=0),
        "page_number_remnants": sum(len(r.get("page_number_remnants", [])) for r in results),
    }
    print(json.dumps(summary, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "files": results}, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
