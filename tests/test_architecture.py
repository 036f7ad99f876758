"""Dependencies point down the flow: a module imports only from its own layer or the layers below.

    indexer (models, errors, config) < ingest < gongwen < embed < index < retrieval
        < drafting, generation < cli < search_api < eval

Every ``import`` statement counts, at module level or inside a function (a lazy import is still a
dependency); indexer.cli reaches the serving and evaluation commands only by name (its COMMANDS
registry), which is the point of it. eval sits on top: it may import indexer and search_api, and
nothing imports it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import REPO

LAYERS = (
    ("indexer", "indexer.models", "indexer.errors", "indexer.config", "indexer.progress", "indexer.compiled"),
    ("indexer.ingest",),
    ("indexer.gongwen",),
    ("indexer.embed",),
    ("indexer.index",),
    ("indexer.retrieval", "indexer.update"),  # side by side: searching an index, and writing one
    ("indexer.drafting", "indexer.generation"),
    ("indexer.cli",),
    ("search_api",),
    ("eval",),
)
TOP_PACKAGES = ("indexer", "search_api", "eval")
ROOT = "indexer"  # in the bottom layer as the package itself (indexer/__init__.py), not as its subpackages

# Upward edges that exist today, each to be removed by the work named; nothing else may be added here.
# A listed edge that no longer exists fails the test too, so the entry goes when the edge goes.
KNOWN_EXCEPTIONS = {
    # the staff page's 评测 tab reads evaluation results through eval (search_api/web/api.py,
    # search_api/web/evaluation.py): the lead removes it when the page work merges (issue 29)
    ("search_api.web", "eval"),
}


def layer_of(module: str) -> tuple[int, str]:
    """The layer of a dotted module name and the name of the group that placed it (the longest match)."""
    found = [(len(group), rank, group) for rank, groups in enumerate(LAYERS) for group in groups
             if module == group or (group != ROOT and module.startswith(group + "."))]
    if not found:
        raise LookupError(f"{module} is in no layer: add its package to LAYERS in tests/test_architecture.py")
    _, rank, group = max(found)
    return rank, group


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(root: Path) -> Iterator[tuple[str, str, Path, int]]:
    """(importing module, imported module, file, line) for every import of the three packages' own code."""
    for top in TOP_PACKAGES:
        for path in sorted((root / top).rglob("*.py")):
            module = module_name(root, path)
            package = module if path.name == "__init__.py" else module.rpartition(".")[0]
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Import):
                    targets = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    if node.level:  # relative: resolved against the importing package
                        base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                        targets = [".".join([*base, *([node.module] if node.module else [])])]
                    else:
                        targets = [node.module or ""]
                else:
                    continue
                for target in targets:
                    if target.split(".")[0] in TOP_PACKAGES:
                        yield module, target, path, node.lineno


def upward_imports(root: Path) -> tuple[list[str], set[tuple[str, str]]]:
    """The imports that point up the flow, less the known exceptions, and the exceptions seen."""
    found: list[tuple[Path, int, str]] = []
    excused = set()
    for module, target, path, line in imports(root):
        (rank, group), (target_rank, target_group) = layer_of(module), layer_of(target)
        if target_rank <= rank:
            continue
        exception = next((e for e in KNOWN_EXCEPTIONS if (module == e[0] or module.startswith(e[0] + "."))
                          and target_group == e[1]), None)
        if exception:
            excused.add(exception)
            continue
        found.append((path.relative_to(root), line, f"{module} ({group}) imports {target} ({target_group})"))
    return [f"{path}:{line}: {what}" for path, line, what in sorted(found)], excused


def test_imports_point_down_the_flow() -> None:
    found, excused = upward_imports(REPO)
    assert found == [], "upward imports:\n" + "\n".join(found)
    assert excused == KNOWN_EXCEPTIONS, f"no longer needed, remove from KNOWN_EXCEPTIONS: {KNOWN_EXCEPTIONS - excused}"


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for top in TOP_PACKAGES:
        (root / top).mkdir(exist_ok=True)
    return root


@pytest.mark.parametrize("name, text, upward", [
    ("indexer/ingest/reader.py", "def read():\n    from indexer.retrieval.search import Searcher\n", "indexer.retrieval"),
    ("indexer/gongwen/clean.py", "from ..index import lexical\n", "indexer.index"),
    ("indexer/index/__init__.py", "from .. import embed\nimport indexer.drafting.compose\n", "indexer.drafting"),
    ("indexer/cli/serve.py", "from search_api.service import load_service\n", "search_api"),
    ("search_api/routes/runs.py", "import eval.harness\n", "eval"),
    ("indexer/retrieval/search.py", "from eval.metrics import per_query\n", "eval"),
])
def test_an_upward_import_fails_the_check(tmp_path: Path, name: str, text: str, upward: str) -> None:
    root = _tree(tmp_path, {name: text})
    found, _ = upward_imports(root)
    assert len(found) == 1 and found[0].startswith(name) and found[0].endswith(f"({upward})"), found


def test_downward_and_sideways_imports_pass(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "indexer/retrieval/search.py": "from indexer.index.base import ChunkIndex\nfrom . import fusion\n",
        "indexer/drafting/compose.py": "from indexer.generation import facts\n",  # the same layer
        "search_api/cli/serve.py": "from indexer.cli.backend_flags import add_backend_flags\n",
        "eval/harness.py": "import indexer\nfrom search_api.settings import Settings\n",
    })
    assert upward_imports(root) == ([], set())


def test_a_module_outside_every_layer_is_named(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"indexer/plugins/extra.py": "import indexer.errors\n"})
    with pytest.raises(LookupError, match="indexer.plugins.extra is in no layer"):
        upward_imports(root)


def test_the_search_api_exception_covers_only_the_web_page(tmp_path: Path) -> None:
    """The page's edge to eval is excused; the same import anywhere else in search_api is not."""
    root = _tree(tmp_path, {"search_api/web/api.py": "from eval.judgments import JudgmentLog\n",
                            "search_api/service.py": "from eval.judgments import JudgmentLog\n"})
    found, excused = upward_imports(root)
    assert excused == {("search_api.web", "eval")}
    assert [line.split(":")[0] for line in found] == ["search_api/service.py"]
