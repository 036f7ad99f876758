"""`zhengce`'s sub-commands and every flag of each, as tests/data/cli_interface.json recorded them.

The commands are registered by the modules that run them (indexer.cli, search_api.cli, eval.cli);
this pins what a user types: names, flags, defaults, choices and help. A deliberate change updates
the file: ``python tests/test_cli_interface.py`` rewrites it from today's parser.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from indexer.cli import build_parser

RECORDED = Path(__file__).resolve().parent / "data" / "cli_interface.json"


def describe(parser: argparse.ArgumentParser) -> dict[str, Any]:
    """A parser's arguments and sub-commands as plain data (nothing that depends on the Python version's
    help layout)."""
    arguments, commands = [], {}
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            commands = {name: {"help": helps.get(name), **describe(sub)} for name, sub in action.choices.items()}
            continue
        arguments.append({
            "flags": list(action.option_strings), "dest": action.dest, "kind": type(action).__name__,
            "nargs": action.nargs, "const": _plain(action.const), "default": _plain(action.default),
            "type": getattr(action.type, "__name__", None), "choices": list(action.choices or []) or None,
            "required": action.required, "help": action.help, "metavar": action.metavar,
        })
    return {"description": parser.description, "arguments": arguments, "commands": commands}


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value


def test_every_command_and_flag_is_as_recorded() -> None:
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))
    now = describe(build_parser())
    assert list(now["commands"]) == list(recorded["commands"])  # `zhengce --help` lists them in this order
    for name, command in recorded["commands"].items():
        assert now["commands"][name] == command, name
    assert now == recorded


def test_top_level_help_names_every_command(capsys) -> None:
    parser = build_parser()
    try:
        parser.parse_args(["--help"])
    except SystemExit as done:
        assert done.code == 0
    shown = capsys.readouterr().out
    assert shown.startswith("usage: zhengce ") and "政策检索" in shown
    for name in json.loads(RECORDED.read_text(encoding="utf-8"))["commands"]:
        assert name in shown


def _lines(value: Any, indent: str = "") -> str:
    """JSON with one argument per line, so a changed flag is one changed line in review."""
    if isinstance(value, dict) and "flags" not in value:
        inner = ",\n".join(f"{indent} {json.dumps(k, ensure_ascii=False)}: {_lines(v, indent + ' ')}" for k, v in value.items())
        return "{\n" + inner + f"\n{indent}}}" if value else "{}"
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return "[\n" + ",\n".join(f"{indent} {_lines(v, indent + ' ')}" for v in value) + f"\n{indent}]"
    return json.dumps(value, ensure_ascii=False)


if __name__ == "__main__":
    RECORDED.write_text(_lines(describe(build_parser())) + "\n", encoding="utf-8")
    print(f"rewrote {RECORDED}")
