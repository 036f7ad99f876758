"""`zhengce mcp`: the MCP server over stdio, for an MCP client on this machine (Cherry Studio, an agent)
that starts it as a subprocess; the same tools are served over HTTP at /mcp by `zhengce serve`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

KEY_VARIABLE = "ZHENGCE_MCP_KEY"  # the caller's API key; an environment variable keeps it out of `ps`


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mcp = commands.add_parser("mcp", help="serve the MCP tools (search, ask, find_precedents, get_document) over stdio")
    mcp.add_argument("--index", dest="index_dir", type=Path, default=None, help="index folder (default ZHENGCE_INDEX_DIR)")
    mcp.add_argument("--backend", choices=["local", "milvus"], default=None, help="where the index lives")
    mcp.add_argument("--milvus-uri", default=None, help="Milvus Lite file or server URI")
    mcp.add_argument("--milvus-collection", default=None)
    mcp.set_defaults(handler=main_mcp)


def main_mcp(args: argparse.Namespace) -> int:
    """Load the index as `zhengce serve` does, identify the caller by $ZHENGCE_MCP_KEY, serve stdio."""
    from fastapi import HTTPException

    from search_api.audit import AuditLog
    from search_api.auth import authorize
    from search_api.mcp_server import build_mcp
    from search_api.service import load_service
    from search_api.settings import Settings

    flags = {"index_dir": args.index_dir, "backend": args.backend, "milvus_uri": args.milvus_uri,
             "milvus_collection": args.milvus_collection}
    settings = Settings(**{name: value for name, value in flags.items() if value is not None})
    key = os.environ.get(KEY_VARIABLE) or None
    try:  # the key is checked as the API checks a read: needed when reads need one, and never a wrong one
        caller = authorize(settings, key, "read" if settings.require_key_for_read or key else None)
    except HTTPException as refused:  # 401 or 403, with its message
        print(f"zhengce mcp: {refused.detail} (the key is read from ${KEY_VARIABLE})",
              file=sys.stderr)
        return 2
    service = load_service(settings)
    if service.searcher is None:
        print(f"zhengce mcp: {service.load_error}", file=sys.stderr)
        return 2
    service.audit = AuditLog(settings.audit_dir or settings.upload_dir.parent / "audit", settings.audit_keep_days)
    who = {"key": caller.name, "client": "mcp stdio"}

    def current(_: Any) -> Any:
        service.follow()  # another process may have written a new generation
        return service

    build_mcp(current, lambda _: who).run("stdio")
    return 0
