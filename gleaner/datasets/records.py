"""The record types a dataset can be built from: built-in names, or any pydantic model by import path.

A dataset names its record (`product_reviews`, `product_pages`, or `package.module:Class` for a record the
code has never heard of) and the field it labels; both are checked against the model when the file loads,
so a typo fails at definition time instead of as an empty column in a run.
"""

from __future__ import annotations

import importlib
import re
import types
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from gleaner.schemas import ProductPage, ProductReview

BUILTIN_RECORDS: Mapping[str, type[BaseModel]] = types.MappingProxyType(
    {"product_reviews": ProductReview, "product_pages": ProductPage}
)
_IMPORT_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


@lru_cache(maxsize=64)
def record_model(ref: str) -> type[BaseModel]:
    """The model a record reference names; ValueError saying why when it names none."""
    if ref in BUILTIN_RECORDS:
        return BUILTIN_RECORDS[ref]
    if not _IMPORT_PATH.match(ref):
        raise ValueError(
            f"unknown record type {ref!r}: not a built-in ({', '.join(sorted(BUILTIN_RECORDS))}) "
            "nor an import path package.module:Class"
        )
    module_name, _, class_name = ref.partition(":")
    try:
        found = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"record type {ref!r} cannot be imported: {exc}") from exc
    if not (isinstance(found, type) and issubclass(found, BaseModel)):
        raise ValueError(f"record type {ref!r} is not a pydantic model")
    extractor_base(found)
    return found


def extractor_base(model: type[BaseModel]) -> type[BaseModel]:
    """The built-in record whose extractor builds `model`'s records (a custom record extends one, adding
    fields with defaults or stricter validation); ValueError when there is none."""
    for base in (ProductReview, ProductPage):
        if issubclass(model, base):
            return base
    raise ValueError(
        f"{model.__name__}: Gleaner extracts product_reviews and product_pages; a custom record must extend one"
    )


def _types_of(annotation: Any) -> set[Any]:
    if get_origin(annotation) in (Union, types.UnionType):
        return {a for a in get_args(annotation) if a is not type(None)}
    return {annotation}


def fields_of_type(model: type[BaseModel], *wanted: type) -> list[str]:
    """The model's fields whose type (None aside) is one of `wanted`."""
    return [name for name, f in model.model_fields.items() if _types_of(f.annotation) <= set(wanted)]
