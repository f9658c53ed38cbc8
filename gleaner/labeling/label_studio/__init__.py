"""Label Studio: the review loop's server client, its JSON import/export format, and what is new since a poll.

Files and the server share one format (`export`), so air-gapped teams exchange files and everyone else talks
to the server (`api`) through the same parser; `review_sync` keeps the sensor's cursor.
"""

from gleaner.labeling.label_studio.api import LabelStudioClient, LabelStudioError
from gleaner.labeling.label_studio.export import build_import_tasks, labeling_config, parse_export, read_export
from gleaner.labeling.label_studio.review_sync import AnnotationCursor, new_annotations, record_partitions

__all__ = [
    "AnnotationCursor",
    "LabelStudioClient",
    "LabelStudioError",
    "build_import_tasks",
    "labeling_config",
    "new_annotations",
    "parse_export",
    "read_export",
    "record_partitions",
]
