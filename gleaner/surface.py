"""A stage package's public surface, each name imported from its module the first time it is asked for.

A stage package re-exports its public names from the modules beneath it (``from gleaner.extract import
extract_partition``). Importing all of those modules when the package loads made every process that needs one
of them pay for all of them: an extraction worker, which runs `gleaner.extract.page` alone, imported polars
and the batch, local-file and product-page modules through the package (0.3 s), and a labelling worker, which
runs the rules alone, imported agreement, calibration, Label Studio's export reader and polars (0.4 s). Each
worker pays that once per step, on every core, and so does every command for the modules it never calls.

``from package import name`` and ``package.name`` work as before; ``dir(package)`` and ``__all__`` list the
surface. One rule more than with eager imports: a public name may not be the name of one of the package's
modules (`source_agreement` in `source_agreement.py`). Python sets a package's attribute to its submodule when
that module is first imported, from anywhere; an eager ``__init__`` bound the name again afterwards, a lazy one
cannot, so `lazy_surface` refuses such a surface rather than let the name turn into a module.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable
from typing import Any


def lazy_surface(
    package: str, modules: dict[str, tuple[str, ...]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """(``__getattr__``, ``__dir__``, ``__all__``) for `package`, whose public names are `modules`' (module
    name relative to the package -> the names it defines; under "" the package's modules that are public
    themselves)::

        __getattr__, __dir__, __all__ = lazy_surface(__name__, {"batch": ("extract_batch",), "": ("warehouse",)})
    """
    where = {name: module for module, names in modules.items() for name in names}
    shadowed = {m.name for m in pkgutil.iter_modules(sys.modules[package].__path__)} & {
        name for name, module in where.items() if module
    }
    if shadowed:  # importing that module (from anywhere) would rebind the package's name to the module
        raise ImportError(f"{package}: public names that are also its modules' names: {', '.join(sorted(shadowed))}")

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = where[name]
        value = (
            getattr(importlib.import_module(f"{package}.{module}"), name)
            if module
            else importlib.import_module(f"{package}.{name}")
        )
        setattr(sys.modules[package], name, value)  # asked once: the module's own attribute from then on
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(where))

    return __getattr__, __dir__, sorted(where)
