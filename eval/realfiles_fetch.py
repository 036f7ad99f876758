"""Put eval/realfiles.json's files in one folder from local clones of their repositories.

The labelled files are third-party and stay out of this repository; each label names the repository,
the commit and the path it came from, and its sha256. Clone (or mirror) the repositories into one
folder, each as ``owner+name`` or ``owner/name``, and this takes every file out of its commit into
``--root`` under the label's name, checking its bytes. A file made from another (a page rendered as
an image) is made again as its label says. Usage::

    python -m eval.realfiles_fetch --clones ~/mirrors --root var/real [--split test9]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from eval.realfiles import LABELS
from indexer.ingest.pdfium_access import opened, render


def git_dir(clones: Path, repo: str) -> Path | None:
    """The git directory of ``repo``'s clone under ``clones``: ``owner+name`` or ``owner/name``,
    a working copy (its ``.git``), a bare clone, or one a level down (``…/repo``)."""
    for folder in (clones / repo.replace("/", "+"), clones / repo):
        for candidate in (folder / ".git", folder, folder / "repo" / ".git", folder / "repo"):
            if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
                return candidate
    return None


def take(clones: Path, root: Path, label: dict[str, Any]) -> str | None:
    """Write ``label``'s file from its clone into ``root``; None, or why it could not."""
    source = label["source"]
    repository = git_dir(clones, source["repo"])
    if repository is None:
        return f"no clone of {source['repo']} under {clones}"
    shown = subprocess.run(["git", "--git-dir", str(repository), "show", f"{source['commit']}:{source['path']}"],
                           capture_output=True, check=False)
    if shown.returncode:
        return f"{source['repo']}@{source['commit'][:10]}: {shown.stderr.decode(errors='replace').strip()}"
    return _written(root / label["file"], shown.stdout, label["sha256"])


def rendered_again(root: Path, label: dict[str, Any]) -> str | None:
    """Make a labelled page image again from the PDF it was rendered from (first page, at its dpi)."""
    made_from = label["source"]["made_from"]
    stem = made_from.split("…")[0]  # the label may shorten a long name with "…"
    found = sorted(path for path in root.rglob("*.pdf") if path.relative_to(root).as_posix().startswith(stem))
    if not found:
        return f"{made_from}: not in {root} (fetch it first)"
    with opened(found[0].read_bytes()) as document:
        image = render(document, 0, scale=150 / 72)
    page = io.BytesIO()
    image.save(page, format="PNG")
    return _written(root / label["file"], page.getvalue(), label["sha256"])


def _written(target: Path, data: bytes, sha256: str) -> str | None:
    if hashlib.sha256(data).hexdigest() != sha256:
        return f"{target}: not the labelled file (sha256 differs)"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clones", type=Path, required=True, help="folder holding a clone of each source repository")
    parser.add_argument("--root", type=Path, required=True, help="folder to put the labelled files in")
    parser.add_argument("--split", help="only this split's files (default: all)")
    parser.add_argument("--labels", type=Path, default=LABELS)
    args = parser.parse_args(argv)
    labels = [label for label in json.loads(args.labels.read_text(encoding="utf-8"))["files"]
              if args.split in (None, label["split"])]
    taken = [label for label in labels if "repo" in label["source"]]
    failed = [problem for label in taken if (problem := take(args.clones, args.root, label))]
    failed += [problem for label in labels if "made_from" in label["source"] if (problem := rendered_again(args.root, label))]
    for problem in failed:
        print(problem, file=sys.stderr)
    print(f"{len(labels) - len(failed)} of {len(labels)} files in {args.root}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
