"""Stage packages load their public names on first use (`gleaner.surface`): every name on a surface is the
object its module defines, a name off it is an AttributeError, and a worker process that needs one module of a
package does not import the rest."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

PACKAGES = sorted(
    ".".join(path.relative_to(ROOT).parent.parts)
    for path in (ROOT / "gleaner").rglob("__init__.py")
    if path.parent != ROOT / "gleaner"
)


@pytest.mark.parametrize("name", PACKAGES)
def test_every_public_name_loads_from_its_module(name: str) -> None:
    package = importlib.import_module(name)
    assert package.__all__, f"{name} has no public surface"
    for public in package.__all__:  # a name mapped to the wrong module raises here
        assert getattr(package, public) is vars(package)[public]  # loaded once, kept on the package
    assert set(package.__all__) <= set(dir(package))
    with pytest.raises(AttributeError, match="no attribute 'not_on_the_surface'"):
        package.not_on_the_surface  # noqa: B018


def test_star_import_and_from_import_give_the_surface() -> None:
    namespace: dict[str, object] = {}
    exec("from gleaner.storage import *", namespace)  # noqa: S102
    from gleaner.storage import Store, warehouse

    assert namespace["Store"] is Store and namespace["warehouse"] is warehouse
    assert warehouse.__name__ == "gleaner.storage.warehouse"  # a public module, not an attribute of one


def test_a_worker_imports_only_what_its_function_needs(tmp_path) -> None:
    """Extraction workers unpickle `gleaner.extract.page.extract_pages`, labelling workers the rules of
    `gleaner.labeling.functions`: importing either package must not drag in polars and the package's other
    modules (tenths of a second in every worker of every step)."""
    probe = (
        "import sys, json, gleaner.extract.page, gleaner.labeling.functions, gleaner.labeling.product_reviews; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True)
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert "gleaner.extract.page" in loaded and "gleaner.labeling.functions" in loaded
    dragged = {"polars", "gleaner.extract.batch", "gleaner.labeling.partition", "gleaner.labeling.agreement"}
    assert sorted(dragged & loaded) == []


def test_a_public_name_that_is_also_a_module_name_is_refused(tmp_path, monkeypatch) -> None:
    """Importing `shop.prices` from anywhere would rebind `shop.prices` from the function to the module."""
    package = tmp_path / "shop"
    package.mkdir()
    (package / "prices.py").write_text("def prices():\n    return 1\n", encoding="utf-8")
    (package / "__init__.py").write_text(
        "from gleaner.surface import lazy_surface\n"
        "__getattr__, __dir__, __all__ = lazy_surface(__name__, {'prices': ('prices',)})\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ImportError, match="shop: public names that are also its modules' names: prices"):
        importlib.import_module("shop")
