"""The README as a new user meets it: short, every link alive, and the commands of its first 30 lines
run on a fresh copy of the repository (`.ci/readme_check.py`)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

README = REPO / "README.md"
LINK = re.compile(r"\]\(([^)\s]+)\)")


def readme_check():
    spec = importlib.util.spec_from_file_location("readme_check", REPO / ".ci" / "readme_check.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["readme_check"] = module
    spec.loader.exec_module(module)
    return module


def anchors(markdown: Path) -> set[str]:
    """GitHub's anchors of a Markdown file's headings."""
    found = set()
    for line in markdown.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


def test_the_readme_is_short_and_every_link_in_it_and_the_docs_resolves():
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 150
    broken = []
    for page in [README, *sorted((REPO / "docs").glob("*.md"))]:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target):
                continue  # a web address
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            if not resolved.exists() or (anchor and resolved.suffix == ".md" and anchor not in anchors(resolved)):
                broken.append(f"{page.relative_to(REPO)}: {target}")
    assert broken == []


def test_the_check_reads_the_shown_commands_and_fails_on_one_that_fails(tmp_path):
    check = readme_check()
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\n```sh\nmake test   # the suite\nA=1 B='two words' make serve PORT=9 \\\n  HOST=h\n```\n\n"
                      "```python\nprint('not shell')\n```\n\n```sh\nfalse   # fails\n```\n" + "\n" * 30
                      + "```sh\nlater-than-the-first-lines\n```\n", encoding="utf-8")
    shown = check.commands(readme.read_text(encoding="utf-8"), 30)
    assert [(c.line, c.env, c.argv) for c in shown] == [
        (4, {}, ["make", "test"]),
        (5, {"A": "1", "B": "two words"}, ["make", "serve", "PORT=9", "HOST=h"]),
        (14, {}, ["false"]),
    ]
    with pytest.raises(check.Failure, match="exit 1"):
        check.run_one(shown[2], tmp_path, {"PATH": "/usr/bin:/bin"}, None, 10)


@pytest.mark.model
def test_the_readme_first_30_lines_run_on_a_fresh_copy(embed_cache_path):
    """make serve (twice: as shown, and with the port and key settings), the curl examples against it,
    and `zhengce eval --quick`; about a minute here."""
    done = subprocess.run([sys.executable, str(REPO / ".ci" / "readme_check.py"), "--lines", "30"],
                          env={**os.environ, "ZHENGCE_EMBED_CACHE": str(embed_cache_path)},
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    ran = [line for line in done.stdout.splitlines() if line.startswith("README line")]
    assert len(ran) >= 5 and all(": ok in " in line for line in ran), done.stdout
    assert any("eval --quick" in line for line in ran) and sum("curl" in line for line in ran) >= 2
