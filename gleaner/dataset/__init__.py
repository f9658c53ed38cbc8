"""From labelled partitions to published versions: the candidate, its gate, and immutable `training_data_vN`.

The public surface: `build_candidate` (global dedup, cluster splits, balancing, the gate's verdicts) and
`build_candidate_incremental` (the same candidate from persisted state plus what changed; `standing_candidate`
when nothing did), its
span twin `build_span_candidate` (no balancing; spans, tokens and BIO tags), and `release` (gate again,
Parquet per split, manifest, card, publish into `gleaner.storage`'s immutable versions). Splitting,
balancing, the checks and the card stay beneath.
"""

from gleaner.surface import lazy_surface

__getattr__, __dir__, __all__ = lazy_surface(
    __name__,
    {
        "candidate": ("Candidate", "CandidatePolicy", "build_candidate", "build_candidate_incremental"),
        "candidate_state": ("Partitions",),
        "card": ("definition_manifest", "label_section", "render_card"),
        "gate": (
            "CheckVerdict",
            "GatePolicy",
            "SpanGatePolicy",
            "check_label_set",
            "check_span_f1",
            "run_gate",
            "run_span_gate",
        ),
        "quality": ("candidate_votes",),
        "releasing": ("TRAINING_COLUMNS", "GateFailed", "Release", "gate_record", "release", "training_frame"),
        "span_candidate": ("SpanCandidatePolicy", "build_span_candidate"),
        "standing": ("build_key", "build_record", "standing_candidate"),
        "splitting": ("SPLITS", "SplitRatios"),
    },
)
