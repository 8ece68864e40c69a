"""The house rules, checked: layers import only downward, no import cycles, short modules and signatures."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import grimp
import networkx as nx
import pytest

import accessibility

PKG = Path(accessibility.__file__).resolve().parent
#: bottom to top, as in pyproject's import-linter contract and the README's architecture section
LAYERS = ("errors", "core", "coords", "config", "readers", "network", "stages", "run", "tools", "briefing", "cli")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("accessibility")


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_layers_import_only_downward(graph):
    upward = []
    for m in graph.modules:
        lm = _layer(m)
        for d in graph.find_modules_directly_imported_by(m):
            ld = _layer(d)
            if lm is not None and ld is not None and ld > lm:
                upward.append(f"{m} -> {d}")
    assert upward == []


def test_no_import_cycles(graph):
    g = nx.DiGraph()
    for m in graph.modules:
        g.add_node(m)
        g.add_edges_from((m, d) for d in graph.find_modules_directly_imported_by(m))
    cycles = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    assert cycles == []


def test_folders_are_the_layers():
    folders = {p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    modules = {p.stem for p in PKG.glob("*.py")} - {"__init__"}
    assert folders | modules == set(LAYERS)


def test_modules_are_short():
    long = {str(p.relative_to(PKG)): n for p in PKG.rglob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > 680}
    assert long == {}, "modules should stay under ~600 lines; split these"


def _public_functions():
    for path in sorted(PKG.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            nodes = [node] + ([n for n in node.body if isinstance(n, ast.FunctionDef)] if isinstance(node, ast.ClassDef) and not node.name.startswith("_") else [])
            for fn in nodes:
                if isinstance(fn, ast.FunctionDef) and not fn.name.startswith("_"):
                    yield f"{path.relative_to(PKG)}:{fn.name}", fn


def test_no_public_function_takes_more_than_about_eight_parameters():
    too_many = {}
    for name, fn in _public_functions():
        a = fn.args
        params = [p.arg for p in [*a.posonlyargs, *a.args, *a.kwonlyargs] if p.arg not in ("self", "cls")]
        if len(params) > 9:
            too_many[name] = len(params)
    assert too_many == {}


def test_no_side_effects_at_import():
    """Importing the package opens no file for writing, starts no thread and changes no global setting."""
    import subprocess
    import sys

    code = (
        "import threading, warnings, logging; before = threading.active_count(); "
        "import accessibility, accessibility.cli, accessibility.briefing.maps, accessibility.run.batch; "
        "assert threading.active_count() == before, 'a thread started'; "
        "assert not logging.getLogger().handlers, 'logging configured'; print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "ok", done.stderr


def test_public_api_is_documented():
    missing = [name for name in accessibility.__all__ if name != "__version__" and not inspect.getdoc(getattr(accessibility, name))]
    assert missing == []
