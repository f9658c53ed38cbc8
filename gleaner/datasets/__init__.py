"""Datasets declared in files: `config/datasets/<name>.yaml` says what a dataset is, and everything per
dataset (prompt, tool, Label Studio config, card section, gate checks, annotators) is generated from it.

The public surface: the spec models and their policies, `load_datasets` (errors name file and field),
`spec_hash` (versions prompts and caches), the record types, and the annotators a spec declares
(registered functions plus compiled rules). This package sits above `labeling` and `dataset`: it validates
function names against the labeling registry and turns its policies into theirs, while they read a spec
through `gleaner.labeling.task`'s protocols and never import it.
"""

from gleaner.datasets.compile import SpanFunction, classification_functions, record_view, span_functions
from gleaner.datasets.extraction import LABELED_TEXT, extract_records
from gleaner.datasets.hashing import canonical_definition, spec_hash
from gleaner.datasets.loader import DEFAULT_DATASETS_DIR, DatasetSpecError, load_dataset, load_datasets
from gleaner.datasets.policies import GateSettings, LLMPolicy, Ratios, ReviewPolicy
from gleaner.datasets.records import BUILTIN_RECORDS, extractor_base, record_model
from gleaner.datasets.rules import (
    ClassificationRule,
    FieldThresholdRule,
    GazetteerRule,
    KeywordRule,
    RegexRule,
    SpanRegexRule,
    SpanRule,
    Threshold,
)
from gleaner.datasets.spec import ClassificationSpec, DatasetSpec, LabelSpec, SpansSpec

__all__ = [
    "BUILTIN_RECORDS",
    "DEFAULT_DATASETS_DIR",
    "ClassificationRule",
    "ClassificationSpec",
    "DatasetSpec",
    "DatasetSpecError",
    "FieldThresholdRule",
    "LABELED_TEXT",
    "GateSettings",
    "GazetteerRule",
    "KeywordRule",
    "LLMPolicy",
    "LabelSpec",
    "Ratios",
    "RegexRule",
    "ReviewPolicy",
    "SpanFunction",
    "SpanRegexRule",
    "SpanRule",
    "SpansSpec",
    "Threshold",
    "canonical_definition",
    "classification_functions",
    "extract_records",
    "extractor_base",
    "load_dataset",
    "load_datasets",
    "record_model",
    "record_view",
    "span_functions",
    "spec_hash",
]
