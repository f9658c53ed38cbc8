"""The layering docs/architecture.md draws, held by the code: the library imports no Dagster, no module-level
import cycle anywhere, and the Dagster side reaches the library through stage packages' public surfaces."""

import ast
from pathlib import Path

from conftest import ROOT

LIBRARY = ROOT / "gleaner"
DAGSTER_SIDE = ROOT / "dagster_project"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for root in (LIBRARY, DAGSTER_SIDE) for p in root.rglob("*.py")}


def _top_level_imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of each import that runs when the module loads (not inside functions)."""
    found = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def _edges(modules: dict[str, Path]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for module, names in _top_level_imports(path):
            if module in modules:
                edges[name].add(module)
            edges[name].update(f"{module}.{n}" for n in names if f"{module}.{n}" in modules)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_library_imports_no_dagster():
    offenders = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in LIBRARY.rglob("*.py")
        for module, _ in _top_level_imports(path)
        if module == "dagster" or module.startswith("dagster.") or module.startswith("dagster_project")
    ]
    assert offenders == []


def test_no_import_cycles():
    assert _cycles(_edges(_modules())) == []


def test_the_dagster_side_imports_stage_packages_not_their_insides():
    """`from gleaner.dedup import dedup_partition`, never `from gleaner.dedup.kernel import ...`."""
    packages = {p.parent for p in LIBRARY.rglob("__init__.py")} - {LIBRARY}
    public = {_module_name(p / "__init__.py") for p in packages}
    offenders = []
    for path in DAGSTER_SIDE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gleaner."):
                inside_a_package = node.module.rsplit(".", 1)[0] in public
                if inside_a_package and node.module not in public:
                    offenders.append(f"{path.relative_to(ROOT)}: from {node.module} import ...")
    assert offenders == []


def test_a_cycle_is_found_when_there_is_one():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


SHARED = {
    *("schemas", "sources", "selector_config", "pages", "urls", "progress", "parallel", "code_version", "surface"),
    *("jit", "digests"),
}
MAY_IMPORT = {  # stage package -> the other stage packages it may import (docs/architecture.md)
    "crawl": {"drops"},
    "drops": set(),
    "extract": {"drops"},
    "dedup": {"storage"},
    "labeling": {"storage"},
    "dataset": {"dedup", "labeling", "storage"},
    "datasets": {"labeling", "dataset", "extract"},
    "storage": set(),
    "demo_site": set(),
}


def test_stage_packages_import_only_what_the_architecture_allows():
    offenders = []
    for stage, allowed in MAY_IMPORT.items():
        for path in (LIBRARY / stage).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gleaner."):
                    target = node.module.split(".")[1]
                    if target != stage and target not in SHARED | allowed:
                        offenders.append(f"{path.relative_to(ROOT)}: from {node.module}")
    assert offenders == []


HEAVY = ("statsmodels", "sklearn", "scipy.stats", "cleanlab", "anthropic", "matplotlib", "extruct", "trafilatura")


def test_loading_the_code_location_imports_no_heavy_library_it_does_not_use_yet(tmp_path):
    """Each of these costs a fraction of a second to seconds of imports, paid by every command before any
    work; they load where they are used. The S3 resources (dagster-aws, boto3) load only with S3 configured."""
    import json
    import os
    import subprocess
    import sys

    probe = "import sys, json, dagster_project.definitions; print(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "GLEANER_WAREHOUSE": str(tmp_path / "warehouse"), "PYTHONPATH": str(ROOT)}
    env.pop("GLEANER_DROPS_S3", None)
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True)
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert [m for m in (*HEAVY, "dagster_project.resources.s3") if m in loaded] == []
    assert "dagster_project.resources.warehouse" in loaded  # the probe did load the code location
