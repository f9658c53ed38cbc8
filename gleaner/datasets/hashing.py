"""The dataset's definition hash: what versions its prompts and caches.

Everything that can change a label is in it (task, record, input, labels with guidelines and examples,
functions, rules, LLM settings, overlap policy); what cannot is not (name, description, sources, review
routing, gate), so rewording a description keeps every cached answer and rewording a guideline does not.
"""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel

HASHED_FIELDS = frozenset({"task", "record", "input", "labels", "labeling_functions", "rules", "llm", "allow_overlaps"})


def canonical_definition(spec: BaseModel) -> str:
    """Sorted-key, whitespace-free JSON of the hashed fields, defaults included."""
    data = spec.model_dump(mode="json", include=HASHED_FIELDS & set(type(spec).model_fields))
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def spec_hash(spec: BaseModel) -> str:
    """sha256 hex of `canonical_definition`; use a prefix as the LLM `prompt_version`."""
    return hashlib.sha256(canonical_definition(spec).encode("utf-8")).hexdigest()
