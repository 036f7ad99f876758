"""`zhengce audit`: read the service's audit log (who uploaded, deleted or searched what, when)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from argparse import Namespace
from pathlib import Path

from indexer.errors import BadInput, NotFound


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = commands.add_parser("audit", help="read the HTTP service's audit log")
    audit.add_argument("--dir", default="var/audit", help="the audit folder (ZHENGCE_AUDIT_DIR; default var/audit)")
    audit.add_argument("--since", default=None, help="first day, YYYY-MM-DD")
    audit.add_argument("--until", default=None, help="last day, YYYY-MM-DD")
    audit.add_argument("--action", default=None, help="upload, delete or search")
    audit.add_argument("--key", default=None, help="only this key's name")
    audit.add_argument("--json", action="store_true", help="one JSON record per line")
    audit.set_defaults(handler=main_audit)


def main_audit(args: Namespace) -> int:
    """`zhengce audit [--dir DIR] [--since DATE] [--until DATE] [--action A] [--key NAME] [--json]`."""
    from search_api.audit import read_entries

    folder = Path(args.dir)
    if not folder.is_dir():
        raise NotFound(f"{folder}: no audit log here (the server writes it to ZHENGCE_AUDIT_DIR)")
    try:
        since = dt.date.fromisoformat(args.since) if args.since else None
        until = dt.date.fromisoformat(args.until) if args.until else None
    except ValueError as error:
        raise BadInput(f"--since/--until take YYYY-MM-DD: {error}") from None
    for entry in read_entries(folder, since, until):
        if (args.action and entry.get("action") != args.action) or (args.key and entry.get("key") != args.key):
            continue
        if args.json:
            print(json.dumps(entry, ensure_ascii=False))
        else:
            documents = ", ".join(str(d.get("doc_id")) for d in entry.get("documents", []))
            print(f"{entry['time']}  {entry['key']:<12} {entry.get('client') or '-':<15} {entry['action']:<8} "
                  f"{entry['outcome']:<6} {documents}")
    return 0
