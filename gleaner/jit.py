"""numba's ``njit``, applied when a kernel is first called rather than when its module is imported.

Importing numba costs about 0.3 s, and every Dagster command loads the dedup and extraction modules with
the definitions (the assets and the dataset specs import them) though most never hash or read a text.
Kernels marked ``@njit(...)`` here stay plain functions until one of their module's kernels is called; then
every kernel of that module is handed to ``numba.njit`` with its options and put in the module's namespace
under its own name, so kernels calling each other resolve to compiled functions, as they would with numba's
decorator. The compiled code, its on-disk cache (``cache=True``) and the results are numba's own.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_pending: dict[str, list[tuple[Callable[..., Any], dict[str, Any]]]] = {}
_lock = threading.Lock()


def _compile_module(module: str) -> None:
    with _lock:  # sketch's threads may call a kernel for the first time at once
        kernels = _pending.pop(module, [])
        if kernels:
            import numba

            for fn, options in kernels:
                fn.__globals__[fn.__name__] = numba.njit(**options)(fn)


def njit(**options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``numba.njit(**options)``, deferred to the first call of any kernel of the same module."""

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        _pending.setdefault(fn.__module__, []).append((fn, options))

        @functools.wraps(fn)
        def first_call(*args: Any) -> Any:
            _compile_module(fn.__module__)
            return fn.__globals__[fn.__name__](*args)

        return first_call

    return mark
