"""Label Studio: the review loop's server client, its JSON import/export format, and what is new since a poll.

Files and the server share one format (`export`, and `spans` for named-entity results), so air-gapped teams
exchange files and everyone else talks to the server (`api`) through the same parser; `review_sync` keeps the
sensor's cursor; `config` generates a project's labeling interface from a dataset declaration.
"""

from gleaner.surface import lazy_surface

__getattr__, __dir__, __all__ = lazy_surface(
    __name__,
    {
        "api": ("LabelStudioClient", "LabelStudioError"),
        "config": ("CONTROL_NAME", "TEXT_NAME", "spec_labeling_config"),
        "export": ("build_import_tasks", "labeling_config", "parse_export", "read_export"),
        "review_sync": ("AnnotationCursor", "new_annotations", "record_partitions"),
        "spans": ("build_span_tasks", "parse_span_export", "span_result"),
    },
)
