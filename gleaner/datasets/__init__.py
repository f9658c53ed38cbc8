"""Datasets declared in files: `config/datasets/<name>.yaml` says what a dataset is, and everything per
dataset (prompt, tool, Label Studio config, card section, gate checks, annotators) is generated from it.

The public surface: the spec models and their policies, `load_datasets` (errors name file and field),
`spec_hash` (versions prompts and caches), the record types, and the annotators a spec declares
(registered functions plus compiled rules). This package sits above `labeling` and `dataset`: it validates
function names against the labeling registry and turns its policies into theirs, while they read a spec
through `gleaner.labeling.task`'s protocols and never import it.
"""

from gleaner.surface import lazy_surface

__getattr__, __dir__, __all__ = lazy_surface(
    __name__,
    {
        "compile": ("SpanFunction", "classification_functions", "record_view", "span_functions"),
        "extraction": ("LABELED_TEXT", "extract_records"),
        "hashing": ("canonical_definition", "spec_hash"),
        "loader": ("DEFAULT_DATASETS_DIR", "DatasetSpecError", "load_dataset", "load_datasets"),
        "policies": ("GateSettings", "LLMPolicy", "Ratios", "ReviewPolicy"),
        "records": ("BUILTIN_RECORDS", "extractor_base", "record_model"),
        "rules": (
            "ClassificationRule",
            "FieldThresholdRule",
            "GazetteerRule",
            "KeywordRule",
            "RegexRule",
            "SpanRegexRule",
            "SpanRule",
            "Threshold",
        ),
        "spec": ("ClassificationSpec", "DatasetSpec", "LabelSpec", "SpansSpec"),
    },
)
