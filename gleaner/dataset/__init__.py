"""From labelled partitions to published versions: the candidate, its gate, and immutable `training_data_vN`.

The public surface: `build_candidate` (global dedup, cluster splits, balancing, the gate's verdicts) and
`build_candidate_incremental` (the same candidate from persisted state plus what changed), its
span twin `build_span_candidate` (no balancing; spans, tokens and BIO tags), and `release` (gate again,
Parquet per split, manifest, card, publish into `gleaner.storage`'s immutable versions). Splitting,
balancing, the checks and the card stay beneath.
"""

from gleaner.dataset.candidate import Candidate, CandidatePolicy, build_candidate, build_candidate_incremental
from gleaner.dataset.candidate_state import Partitions
from gleaner.dataset.card import definition_manifest, label_section, render_card
from gleaner.dataset.gate import (
    CheckVerdict,
    GatePolicy,
    SpanGatePolicy,
    check_label_set,
    check_span_f1,
    run_gate,
    run_span_gate,
)
from gleaner.dataset.quality import candidate_votes
from gleaner.dataset.release import TRAINING_COLUMNS, GateFailed, Release, gate_record, release, training_frame
from gleaner.dataset.span_candidate import SpanCandidatePolicy, build_span_candidate
from gleaner.dataset.splitting import SPLITS, SplitRatios

__all__ = [
    "candidate_votes",
    "SPLITS",
    "TRAINING_COLUMNS",
    "Candidate",
    "CandidatePolicy",
    "CheckVerdict",
    "GateFailed",
    "GatePolicy",
    "Release",
    "SpanCandidatePolicy",
    "SpanGatePolicy",
    "SplitRatios",
    "Partitions",
    "build_candidate",
    "build_candidate_incremental",
    "build_span_candidate",
    "check_label_set",
    "check_span_f1",
    "definition_manifest",
    "gate_record",
    "label_section",
    "release",
    "render_card",
    "run_gate",
    "run_span_gate",
    "training_frame",
]
