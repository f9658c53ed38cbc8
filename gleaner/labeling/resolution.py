"""How many votes become one label, and when a record must wait for a person instead.

Order of trust: humans, then a confident LLM majority, then agreeing rules if the policy allows it.
Anything else is `needs_review`; pending records are never guessed into a training set.

The LLM rule is the labeler's own (`gleaner.labeling.voting.model_majority`): at least `llm_majority` votes (a
strict majority of the votes configured) agree and their mean confidence clears the threshold. With three
votes that is two agreeing votes, whether they came first or after a tie-breaker.

With a `calibrator` (`gleaner.labeling.calibration`) the threshold applies to calibrated probabilities
instead: the LLM majority's mean confidence, and the rules' agreeing share once the rules' calibration is
fitted, are mapped to P(correct) first. A source people found overconfident then goes to review even where
its raw score clears the bar; the resolved confidence is the calibrated one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from gleaner.labeling.calibration import Calibrator
from gleaner.labeling.voting import model_majority, plurality


@dataclass(frozen=True)
class LabelPolicy:
    llm_confidence_threshold: float = 0.92
    llm_majority: int = 2
    allow_rule_consensus: bool = True
    min_agreeing_rules: int = 2
    calibrate: bool = False  # label_partition fits a calibrator on the partition's human labels
    calibration_min_samples: int = 30
    model_in_loop: bool = False  # label_partition trains a classifier: review priority, votes, label issues
    audit_fraction: float = 0.0  # records always sent to review and calibrated on (gleaner.labeling.audit)
    calibrator: Calibrator | None = field(default=None, compare=False)


class SourceVote(NamedTuple):  # a tuple: resolution builds one per vote, hundreds of thousands per partition
    annotator: str
    kind: str  # "lf" | "llm" | "human"
    label: str | None  # None: abstained or failed
    confidence: float | None = None

    @property
    def ok(self) -> bool:
        return self.label is not None


@dataclass(frozen=True)
class ResolvedLabel:
    label: str | None
    confidence: float
    status: str  # "human" | "auto" | "needs_review"
    basis: str  # what decided it, or why it could not be decided
    guess: str | None  # best machine guess, used as the pre-annotation in review


def _mean_confidence(votes: list[SourceVote], label: str | None) -> float:
    agreeing = [v.confidence or 0.0 for v in votes if label is not None and v.label == label]
    return sum(agreeing) / len(agreeing) if agreeing else 0.0


def _llm_basis(label: str | None, count: int, confidence: float, policy: LabelPolicy) -> str:
    if label is None:
        return "llm votes split"
    if count < policy.llm_majority:
        return f"too few agreeing llm votes ({count} of {policy.llm_majority})"
    return f"llm majority below threshold ({confidence:.2f})"


def rule_consensus(rule_labels: Sequence[str | None], policy: LabelPolicy) -> str | None:
    """The label the rules settle alone: the policy allows it, at least `min_agreeing_rules` voted and every
    rule that voted agrees. None otherwise (no votes, a conflict, too few, or rule consensus turned off)."""
    voted = [label for label in rule_labels if label is not None]
    label, count = plurality(voted)
    if policy.allow_rule_consensus and label and count >= policy.min_agreeing_rules and count == len(voted):
        return label
    return None


def resolve_record(votes: list[SourceVote], policy: LabelPolicy = LabelPolicy()) -> ResolvedLabel:
    by_kind: dict[str, list[SourceVote]] = {"lf": [], "llm": [], "human": []}
    for vote in votes:
        if vote.label is not None:
            by_kind.setdefault(vote.kind, []).append(vote)

    humans = [v.label for v in by_kind["human"]]
    human_label, human_count = plurality(humans)
    if human_label:
        return ResolvedLabel(human_label, human_count / len(humans), "human", "human majority", human_label)

    llm, calibrator, threshold = by_kind["llm"], policy.calibrator, policy.llm_confidence_threshold
    llm_label, llm_count, llm_conf = None, 0, 0.0  # no LLM vote (most records when rules settle them)
    if llm:
        verdict = model_majority(llm, policy.llm_majority, 0.0 if calibrator else threshold)
        llm_label, llm_count = verdict.leader, verdict.agreeing
        llm_conf = _mean_confidence(llm, llm_label)
        if calibrator is not None and llm_label is not None:
            llm_conf = calibrator.calibrate("llm", llm_conf)
            if verdict.status == "auto" and llm_conf < threshold:
                verdict = replace(verdict, status="needs_review")
        if verdict.status == "auto":
            return ResolvedLabel(verdict.label, round(llm_conf, 4), "auto", "llm majority", verdict.label)

    rules = [v.label for v in by_kind["lf"]]
    rule_label, rule_count = plurality(rules)
    rule_conf = rule_count / len(rules) if rules else 0.0
    overconfident_rules = False
    if rule_consensus(rules, policy) is not None:
        if calibrator is not None and calibrator.fitted("lf"):
            rule_conf = calibrator.calibrate("lf", rule_conf)
            overconfident_rules = rule_conf < threshold
        if not overconfident_rules:
            return ResolvedLabel(rule_label, round(rule_conf, 4), "auto", "rule consensus", rule_label)

    if humans:
        basis = "humans disagree"
    elif llm:
        basis = _llm_basis(llm_label, llm_count, llm_conf, policy)
    elif overconfident_rules:
        basis = f"rule consensus below threshold once calibrated ({rule_conf:.2f})"
    elif rules:
        basis = "rules conflict" if rule_label is None or rule_count < len(rules) else "too few rules voted"
    else:
        basis = "no annotation source voted"
    guess = llm_label or rule_label
    confidence = llm_conf if llm_label else rule_conf
    return ResolvedLabel(None, round(confidence, 4), "needs_review", basis, guess)
