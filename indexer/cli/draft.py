"""`zhengce draft PROPOSAL_FILE --out reply.docx`: the draft reply to a proposal, from the index's
past documents, in the GB/T 9704 layout; the parts and their precedents are printed (or --json)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer.cli.backend_flags import add_backend_flags, backend_from_args
from indexer.errors import BadInput

if TYPE_CHECKING:
    from indexer.drafting.compose import Composed


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    draft = commands.add_parser("draft", help="draft the reply to a proposal (.docx in the GB/T 9704 layout)")
    draft.add_argument("file", type=Path, metavar="PROPOSAL_FILE", help=".docx, .pdf, .ofd, .doc/.wps, .txt or .html")
    draft.add_argument("--out", type=Path, default=None, help="the .docx to write (default: named from number, title, date)")
    draft.add_argument("--index", dest="index_dir", type=Path, default=None, help="index folder (local backend)")
    add_backend_flags(draft)
    draft.add_argument("--result", default=None, help="办理结果 code (A, B, C or the office's own); required for a 答复")
    draft.add_argument("--role", choices=["主办", "会办"], default=None, help="default: the office setting (主办)")
    draft.add_argument("--office", type=Path, default=None, help="office settings JSON (default ZHENGCE_OFFICE_FILE)")
    draft.add_argument("--date", default=None, help="成文日期 YYYY-MM-DD (default today)")
    draft.add_argument("--model", default=None, help="embedding model (must match the index)")
    draft.add_argument("--json", action="store_true", help="print the parts and their precedents as JSON")
    draft.set_defaults(handler=main_draft)


def main_draft(args: argparse.Namespace) -> int:
    """`zhengce draft FILE --out reply.docx [--result B] [--role 主办|会办] [--office office.json] ...`."""
    from indexer.drafting.compose import compose, read_proposal_file
    from indexer.drafting.office import office_settings
    from indexer.drafting.reply_docx import reply_docx
    from indexer.drafting.wording import citation_of_dict
    from indexer.retrieval.search import Searcher

    office = office_settings(args.office)
    role = args.role or office.role
    if role == "主办" and args.result is None:
        raise BadInput(f"请用 --result 选择办理结果（由承办人员决定，不会自动猜测）：{office.codes_text()}")
    day = dt.date.fromisoformat(args.date) if args.date else dt.date.today()
    proposal = read_proposal_file(args.file)
    if not proposal.text.strip():
        raise BadInput(f"{args.file}: 没有读到文字")
    searcher = Searcher(backend_from_args(args).open(expect_model=args.model))
    composed = compose(searcher, proposal.text, office, day=day, role=role, result_code=args.result)
    out = args.out or Path(composed.draft.file_name(day))
    out.write_bytes(reply_docx(composed.draft))
    if args.json:
        print(json.dumps(_summary(composed, out), ensure_ascii=False, indent=1))
        return 0
    p = composed.proposal
    print(f"提案：{p.title or '（未读到标题）'}  {p.number or ''}  {p.proposer or ''}{p.proposer_kind or ''}  {p.session or ''}")
    for material in composed.material:
        print(f"\n第{material.index + 1}部分：{material.text[:60]}")
        if not material.found:
            print("  未找到往期处理过类似事项的文件（草稿中此部分留待撰写）")
        ticked = {hit.chunk.chunk_id for hit in composed.ticked[material.index]}
        for hit in material.passages:
            mark = "✓" if hit.chunk.chunk_id in ticked else " "
            print(f"  {mark} {citation_of_dict(hit.citation())}\n      「{hit.chunk.text.strip()[:80]}…」")
    if composed.draft.missing:
        print(f"\n待填写：{'、'.join(composed.draft.missing)}（单位设置：ZHENGCE_OFFICE_* 或 --office 文件）")
    print(f"\n草稿已写入 {out}")
    return 0


def _summary(composed: Composed, out: Path) -> dict[str, Any]:
    p = composed.proposal
    return {
        "out": str(out),
        "proposal": {"title": p.title, "proposer": p.proposer, "proposer_kind": p.proposer_kind, "number": p.number,
                     "kind": p.kind, "session": p.session},
        "asks": [{"text": m.text, "found": m.found,
                  "passages": [{"chunk_id": h.chunk.chunk_id, "citation": h.citation(),
                                "ticked": h in composed.ticked[m.index]} for h in m.passages]}
                 for m in composed.material],
        "title": composed.draft.title,
        "missing": composed.draft.missing,
    }
