"""Annotation sources and how their votes become one label.

The public surface: the labels step of a partition (`label_classification`, `label_spans`: rules, the LLM's
scope, resolution), the partition step (`label_partition`, `human_labels`, `review_queue`) and its span twin
(`label_span_partition`, `span_human_labels`, `span_review_queue`); the label policy and per-record
resolution on calibrated confidence (`Calibrator`, `reliability_png`), learnt from every earlier partition's
human labels (`labelled_history`) and from the audit slice (`in_audit`) once it is large enough; which records
the LLM is asked about (`records_for_llm`, a dataset's `llm.scope`, over what the task's rules settle:
`rules_settled`, `span_rules_settled`); labeling functions and their registry; agreement between sources and
Snorkel-style LF analysis; annotation velocity (records per annotator-hour from Label Studio's `lead_time`).
The LLM labeler (`gleaner.labeling.llm`) and Label Studio (`gleaner.labeling.label_studio`) are subpackages
with their own surfaces, imported where used: the Anthropic SDK costs seconds to import and most commands
never call it.
"""

from gleaner.labeling.agreement import agreement_report, cohen_rows
from gleaner.labeling.analysis import lf_summary
from gleaner.labeling.annotation_file import read_annotations
from gleaner.labeling.audit import AUDIT, in_audit
from gleaner.labeling.calibration import Calibrator, expected_calibration_error, fit_calibrator, reliability_png
from gleaner.labeling.functions import (
    AnyCaseWords,
    LabelingFunction,
    PatternVote,
    RecordView,
    ThresholdVote,
    apply_functions,
)
from gleaner.labeling.history import History, Tables, labelled_history
from gleaner.labeling.label_studio.export import read_export
from gleaner.labeling.partition import (
    HUMAN_SCHEMA,
    LABEL_ISSUE,
    LABEL_SCHEMA,
    REVIEW_SCHEMA,
    PartitionLabels,
    human_gold,
    human_labels,
    label_partition,
    record_views,
    review_frame,
    review_queue,
)
from gleaner.labeling.pii import scrub
from gleaner.labeling.registry import functions_for, registered_functions
from gleaner.labeling.resolution import LabelPolicy, ResolvedLabel, SourceVote, resolve_record, rule_consensus
from gleaner.labeling.scope import LLMScope, records_for_llm, rules_settled
from gleaner.labeling.source_agreement import source_agreement
from gleaner.labeling.span_partition import (
    SPAN_HUMAN_SCHEMA,
    SPAN_LABEL_SCHEMA,
    SpanFunction,
    SpanLabelPolicy,
    SpanPartitionLabels,
    apply_span_functions,
    label_span_partition,
    source_span_votes,
    span_human_labels,
    span_review_queue,
    span_rules_settled,
)
from gleaner.labeling.step import AskLLM, LabelledPartition, label_classification, label_spans
from gleaner.labeling.velocity import REFERENCE_RECORDS_PER_HOUR, annotation_velocity, velocity_rows

__all__ = [
    "AskLLM",
    "LabelledPartition",
    "label_classification",
    "label_spans",
    "apply_span_functions",
    "AUDIT",
    "Calibrator",
    "HUMAN_SCHEMA",
    "History",
    "LABEL_ISSUE",
    "LABEL_SCHEMA",
    "REFERENCE_RECORDS_PER_HOUR",
    "REVIEW_SCHEMA",
    "SPAN_HUMAN_SCHEMA",
    "SPAN_LABEL_SCHEMA",
    "LLMScope",
    "LabelPolicy",
    "LabelingFunction",
    "PartitionLabels",
    "AnyCaseWords",
    "PatternVote",
    "RecordView",
    "ResolvedLabel",
    "SourceVote",
    "SpanFunction",
    "SpanLabelPolicy",
    "SpanPartitionLabels",
    "ThresholdVote",
    "Tables",
    "agreement_report",
    "annotation_velocity",
    "apply_functions",
    "cohen_rows",
    "expected_calibration_error",
    "fit_calibrator",
    "functions_for",
    "human_gold",
    "human_labels",
    "in_audit",
    "label_partition",
    "label_span_partition",
    "labelled_history",
    "lf_summary",
    "read_annotations",
    "read_export",
    "record_views",
    "records_for_llm",
    "registered_functions",
    "reliability_png",
    "resolve_record",
    "rule_consensus",
    "review_frame",
    "review_queue",
    "scrub",
    "source_agreement",
    "source_span_votes",
    "span_human_labels",
    "span_rules_settled",
    "span_review_queue",
    "rules_settled",
    "velocity_rows",
]
