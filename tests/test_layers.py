"""The package stays small and readable: no import cycle (imports inside functions counted), no
module over 800 lines, the module a student opens for the algorithm free of the speed machinery,
every name the notebooks import still there, and (where the tools are installed) ruff and the
import-layer contract of pyproject.toml clean."""

import ast
import importlib
import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "maddpg_lite"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def internal_imports(path: Path) -> set[str]:
    """The package modules ``path`` imports anywhere in its code (functions included)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
                found |= {target} | {f"{target}.{a.name}" for a in node.names}
            elif node.module and node.module.startswith("maddpg_lite"):
                found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("maddpg_lite")}
    return found


def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        graph[name] = {t for t in internal_imports(path) if t in files and t != name
                       and not name.startswith(t + ".")}  # a module's own package is not an import of it
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a list of modules, or [] if there is none (the root package's __init__ and
    a subpackage's __init__ re-exporting its own modules are not counted: they import downward only)."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        state[node] = "done"
        stack.pop()
        return []

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return []


def test_the_cycle_finder_finds_a_hand_made_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_import_cycle_between_the_packages_modules():
    graph = import_graph()
    graph = {name: {t for t in targets if t != "maddpg_lite"} for name, targets in graph.items()}
    assert "maddpg_lite.buffer" in graph and "maddpg_lite.maddpg" in graph["maddpg_lite.fast"]
    assert find_cycle(graph) == []


def test_no_module_is_long_and_the_algorithm_reads_without_speed_machinery():
    lengths = {module_name(p): len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.rglob("*.py")}
    assert max(lengths.values()) <= 800, {m: n for m, n in lengths.items() if n > 800}
    checks = {m: n for m, n in lengths.items() if m.startswith("maddpg_lite.checks.")}
    assert checks and max(checks.values()) <= 550, checks
    source = (PACKAGE / "maddpg.py").read_text(encoding="utf-8")
    assert lengths["maddpg_lite.maddpg"] <= 450
    for machinery in ("_foreach_", "ThreadPool", "threading", "concurrent", "adam_step", "_multi_tensor"):
        assert machinery not in source, machinery


def notebook_imports() -> set[tuple[str, str]]:
    """(module, name) for every ``from maddpg_lite... import name`` in every notebook's code."""
    found = set()
    for nb in ROOT.glob("notebooks/**/*.ipynb"):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
            try:
                tree = ast.parse("\n".join(lines))
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("maddpg_lite"):
                    found |= {(node.module, a.name) for a in node.names}
                elif isinstance(node, ast.Import):
                    found |= {(a.name, "") for a in node.names if a.name.startswith("maddpg_lite")}
    return found


def test_every_name_the_notebooks_import_is_there():
    names = notebook_imports()
    assert ("maddpg_lite.checks", "check_gumbel_softmax") in names and len(names) > 50
    for module, name in sorted(names):
        imported = importlib.import_module(module)
        assert not name or hasattr(imported, name) or importlib.util.find_spec(f"{module}.{name}"), (module, name)


def run_tool(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run([*command], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_is_clean():
    if shutil.which("ruff") is None:
        pytest.skip("ruff is not installed (pip install -r requirements-dev.txt)")
    run = run_tool("ruff", "check", "maddpg_lite", "tests")
    assert run.returncode == 0, run.stdout[-3000:]


def test_the_layer_contract_holds():
    if shutil.which("lint-imports") is None:
        pytest.skip("import-linter is not installed (pip install -r requirements-dev.txt)")
    run = run_tool("lint-imports", "--no-cache")
    assert run.returncode == 0, run.stdout[-3000:]
    assert "0 broken" in run.stdout
