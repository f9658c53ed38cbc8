"""Label Studio: the review loop's server client, its JSON import/export format, and what is new since a poll.

Files and the server share one format (`export`, and `spans` for named-entity results), so air-gapped teams
exchange files and everyone else talks to the server (`api`) through the same parser; `review_sync` keeps the
sensor's cursor; `config` generates a project's labeling interface from a dataset declaration.
"""

from gleaner.labeling.label_studio.api import LabelStudioClient, LabelStudioError
from gleaner.labeling.label_studio.config import CONTROL_NAME, TEXT_NAME, spec_labeling_config
from gleaner.labeling.label_studio.export import build_import_tasks, labeling_config, parse_export, read_export
from gleaner.labeling.label_studio.review_sync import AnnotationCursor, new_annotations, record_partitions
from gleaner.labeling.label_studio.spans import build_span_tasks, parse_span_export, span_result

__all__ = [
    "CONTROL_NAME",
    "TEXT_NAME",
    "AnnotationCursor",
    "LabelStudioClient",
    "LabelStudioError",
    "build_import_tasks",
    "build_span_tasks",
    "labeling_config",
    "new_annotations",
    "parse_export",
    "parse_span_export",
    "read_export",
    "record_partitions",
    "span_result",
    "spec_labeling_config",
]
