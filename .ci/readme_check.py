#!/usr/bin/env python3
"""Run the commands the README's first lines show, on a fresh copy of the repository, as a new user
would: every ```sh block in the first ``--lines`` lines, in order.

The copy holds what a clone holds (tracked files, and new files git does not ignore), with the
environment that `make install` made (``.venv``, linked, and used by the copy's own code through
PYTHONPATH). What each kind of command must do:

- ``make serve ...``: start (a running one is stopped first) on a free port and 127.0.0.1 whatever the
  line says, with the line's variables, and answer ``/readyz`` within ``--serve-timeout`` seconds;
- ``curl ...``: run against the server started last (its URL put in), exit 0 and print JSON that is not
  an error body;
- ``make test``: not run (it is the suite this check runs in), but make must know how to run it;
- anything else: exit 0 within ``--timeout`` seconds.

`tests/test_readme.py` runs this as part of `make test`; it can run alone: ``python .ci/readme_check.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
LOCAL_URL = re.compile(r"http://127\.0\.0\.1:\d+")


@dataclass
class Command:
    line: int  # where it starts in the README (1-based)
    text: str  # as shown, continuation lines joined, comment removed
    env: dict[str, str] = field(default_factory=dict)  # NAME=value before the program
    argv: list[str] = field(default_factory=list)


def commands(readme: str, lines: int) -> list[Command]:
    """The commands of the ```sh blocks that start within the first ``lines`` lines."""
    found: list[Command] = []
    in_block, pending, start = False, "", 0
    for number, line in enumerate(readme.splitlines(), 1):
        if line.strip().startswith("```"):
            if in_block:
                in_block = False
            elif number > lines:
                break
            else:
                in_block = line.strip() in ("```sh", "```bash", "```shell")
            continue
        if not in_block:
            continue
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        pending += line
        words = shlex.split(pending, comments=True)
        pending = ""
        if not words:
            continue
        env = {}
        while words and ASSIGNMENT.match(words[0]):
            name, value = words.pop(0).split("=", 1)
            env[name] = value
        found.append(Command(start, shlex.join([*(f"{k}={v}" for k, v in env.items()), *words]), env, words))
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fresh_copy(target: Path) -> Path:
    """The files a clone of the working tree would hold, and the installed environment linked in."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file() and not source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    venv = Path(sys.prefix)
    if not (venv / "bin" / "zhengce").exists():
        raise SystemExit(f"readme check: {venv} has no zhengce: run it with the project's .venv/bin/python")
    (target / ".venv").symlink_to(venv)
    return target


class Server:
    """`make serve` with the README line's variables, on a port of our own."""

    def __init__(self, command: Command, root: Path, env: dict[str, str], timeout: float) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = root / f"serve-{self.port}.log"
        variables = [word for word in command.argv[2:] if not word.startswith(("PORT=", "HOST="))]
        argv = ["make", "-o", ".venv/.installed", "serve", *variables, f"PORT={self.port}", "HOST=127.0.0.1"]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(argv, cwd=root, env={**env, **command.env}, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise Failure(f"make serve stopped (exit {self.process.returncode})", self.log_tail())
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(1)
        raise Failure(f"the server did not answer /readyz within {timeout:.0f} s", self.log_tail())

    def log_tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


class Failure(Exception):
    def __init__(self, what: str, output: str = "") -> None:
        super().__init__(what)
        self.output = output


def run_one(command: Command, root: Path, env: dict[str, str], server: Server | None, timeout: float) -> str:
    """Run a command that is not `make serve`; returns what it printed, raises Failure."""
    if command.argv[:2] == ["make", "test"]:
        dry = subprocess.run(["make", "-n", "-o", ".venv/.installed", *command.argv[1:]], cwd=root, env=env,
                             capture_output=True, text=True)
        if dry.returncode:
            raise Failure("make does not know how to run the tests", dry.stdout + dry.stderr)
        return "(not run: this check is part of that suite)"
    text = command.text
    if command.argv[0] == "curl":
        if server is None:
            raise Failure("a curl example before any make serve")
        text = LOCAL_URL.sub(server.url, text)
    try:
        done = subprocess.run(["bash", "-c", text], cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as error:
        raise Failure(f"still running after {timeout:.0f} s", str(error.stdout or "")) from None
    printed = done.stdout + done.stderr
    if done.returncode:
        raise Failure(f"exit {done.returncode}", printed[-3000:])
    if command.argv[0] == "curl":
        try:
            body = json.loads(done.stdout)
        except ValueError:
            raise Failure("the answer is not JSON", printed[-3000:]) from None
        if isinstance(body, dict) and "detail" in body:
            raise Failure("the answer is an error", printed[-3000:])
    return printed


def check(readme: Path, lines: int, serve_timeout: float, timeout: float, keep: bool = False) -> int:
    shown = commands(readme.read_text(encoding="utf-8"), lines)
    if not shown:
        print(f"readme check: no ```sh commands in the first {lines} lines of {readme}")
        return 1
    root = Path(tempfile.mkdtemp(prefix="zhengce-readme-"))
    if keep:
        print(f"readme check: the copy is {root}")
    clone = fresh_copy(root / "zhengce")
    env = {**os.environ, "PYTHONPATH": str(clone), "HF_HUB_OFFLINE": "1"}
    env.pop("VIRTUAL_ENV", None)
    server: Server | None = None
    try:
        for command in shown:
            began = time.monotonic()
            try:
                if command.argv[:2] == ["make", "serve"]:
                    if server is not None:
                        server.stop()
                    server = Server(command, clone, env, serve_timeout)
                    said = f"serving at {server.url}"
                else:
                    said = run_one(command, clone, env, server, timeout)
            except Failure as failure:
                print(f"README line {command.line}: FAILED ({failure}): {command.text}\n{failure.output}")
                return 1
            last = (said.strip().splitlines() or [""])[-1][:100]
            print(f"README line {command.line}: ok in {time.monotonic() - began:.0f} s: {command.text[:90]}  -> {last}")
        return 0
    finally:
        if server is not None:
            server.stop()
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readme", type=Path, default=REPO / "README.md")
    parser.add_argument("--lines", type=int, default=30)
    parser.add_argument("--serve-timeout", type=float, default=900.0, help="seconds for make serve to be ready")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds for any other command")
    parser.add_argument("--keep", action="store_true", help="keep the copy (its path is printed)")
    args = parser.parse_args()
    return check(args.readme, args.lines, args.serve_timeout, args.timeout, args.keep)


if __name__ == "__main__":
    sys.exit(main())
