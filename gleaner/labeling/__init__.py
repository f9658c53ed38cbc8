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

from gleaner.surface import lazy_surface

__getattr__, __dir__, __all__ = lazy_surface(
    __name__,
    {
        "agreement": ("agreement_report", "cohen_rows"),
        "analysis": ("lf_summary",),
        "annotation_file": ("read_annotations",),
        "audit": ("AUDIT", "in_audit"),
        "calibration": ("Calibrator", "expected_calibration_error", "fit_calibrator", "reliability_png"),
        "functions": (
            "AnyCaseWords",
            "LabelingFunction",
            "PatternVote",
            "RecordView",
            "ThresholdVote",
            "apply_functions",
        ),
        "history": ("History", "Tables", "labelled_history"),
        "label_studio.export": ("read_export",),
        "partition": (
            "HUMAN_SCHEMA",
            "LABEL_ISSUE",
            "LABEL_SCHEMA",
            "REVIEW_SCHEMA",
            "PartitionLabels",
            "human_gold",
            "human_labels",
            "label_partition",
            "record_views",
            "review_frame",
            "review_queue",
        ),
        "pii": ("scrub",),
        "registry": ("functions_for", "registered_functions"),
        "resolution": ("LabelPolicy", "ResolvedLabel", "SourceVote", "resolve_record", "rule_consensus"),
        "scope": ("LLMScope", "records_for_llm", "rules_settled"),
        "agreement_by_source": ("source_agreement",),
        "span_partition": (
            "SPAN_HUMAN_SCHEMA",
            "SPAN_LABEL_SCHEMA",
            "SpanFunction",
            "SpanLabelPolicy",
            "SpanPartitionLabels",
            "apply_span_functions",
            "label_span_partition",
            "source_span_votes",
            "span_human_labels",
            "span_review_queue",
            "span_rules_settled",
        ),
        "step": ("AskLLM", "LabelledPartition", "label_classification", "label_spans"),
        "velocity": ("REFERENCE_RECORDS_PER_HOUR", "annotation_velocity", "velocity_rows"),
    },
)
