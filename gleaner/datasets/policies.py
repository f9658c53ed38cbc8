"""The per-dataset policies a dataset file may set, each defaulting to what the demo dataset runs with today.

`llm`: how the model is asked; `review`: when a record goes to a person; `gate`: what a candidate must pass
to become a version. They turn into the stage packages' own policy objects here, so the Dagster side never
copies a threshold field by field.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gleaner.dataset import CandidatePolicy, GatePolicy, SplitRatios
from gleaner.labeling import LabelPolicy, LLMScope


class _Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LLMPolicy(_Policy):
    enabled: bool = Field(default=True, description="Ask the model (only ever where an API key is set).")
    model: str | None = Field(default=None, description="None: the deployment's configured model.")
    votes: int = Field(default=3, ge=1, description="Upper bound; calls stop once a majority is settled.")
    tool_name: str = Field(default="record_label", pattern=r"^[a-zA-Z0-9_-]{1,64}$")
    max_tokens: int = Field(default=512, ge=1)
    instructions: str = Field(default="", description="Extra paragraph appended to the generated prompt.")
    scope: LLMScope = Field(
        default="unsettled",
        description="unsettled: ask only about records that people and the rules leave open; all: every record "
        "(classification; span datasets ask about every record).",
    )

    @property
    def majority(self) -> int:
        return self.votes // 2 + 1


class ReviewPolicy(_Policy):
    routing_threshold: float = Field(
        default=0.92, ge=0, le=1, description="An LLM majority below this mean confidence goes to human review."
    )
    allow_rule_consensus: bool = True
    min_agreeing_rules: int = Field(default=2, ge=1)
    calibrate: bool = Field(
        default=True, description="Route on confidence calibrated against the partition's human labels."
    )
    calibration_min_labels: int = Field(
        default=30, ge=2, description="Human-labelled records a source needs before its calibration is fitted."
    )
    model_in_loop: bool = Field(
        default=True,
        description="Classification: a classifier trained on the labelled records orders the review queue, votes "
        "as model:logreg and sends likely label errors (cleanlab) back to review.",
    )

    audit_fraction: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Classification: this fraction of records, chosen by a hash of record_id, always goes to "
        "review first (the audit slice), and calibration is fitted on their human labels once there are "
        "calibration_min_labels of them: an unbiased sample, unlike the uncertainty-ordered queue.",
    )

    def label_policy(self, llm_majority: int) -> LabelPolicy:
        return LabelPolicy(
            llm_confidence_threshold=self.routing_threshold,
            llm_majority=llm_majority,
            allow_rule_consensus=self.allow_rule_consensus,
            min_agreeing_rules=self.min_agreeing_rules,
            calibrate=self.calibrate,
            calibration_min_samples=self.calibration_min_labels,
            model_in_loop=self.model_in_loop,
            audit_fraction=self.audit_fraction,
        )


class Ratios(_Policy):
    train: float = Field(default=0.8, gt=0, lt=1)
    validation: float = Field(default=0.1, gt=0, lt=1)
    test: float = Field(default=0.1, gt=0, lt=1)

    @model_validator(mode="after")
    def _sum_to_one(self) -> Ratios:
        if abs(self.train + self.validation + self.test - 1.0) > 1e-9:
            raise ValueError("train, validation and test must add up to 1")
        return self


class GateSettings(_Policy):
    kappa_pairs: tuple[tuple[str, str], ...] = (("lf_rating", "lf_lexicon"),)
    kappa_threshold: float = Field(default=0.8, ge=-1, le=1, description="Cohen's kappa (token kappa for spans).")
    kappa_min_shared: int = Field(default=10, ge=1)
    span_f1_threshold: float | None = Field(default=None, ge=0, le=1, description="Spans: F1 each pair must reach.")
    max_class_ratio: float = Field(default=1.5, ge=1, description="Largest class at most this times the smallest.")
    balance_strategy: Literal["undersample", "oversample"] = "undersample"
    split_ratios: Ratios = Ratios()
    dedup_threshold: float = Field(default=0.8, gt=0, le=1)

    def gate_policy(self) -> GatePolicy:
        return GatePolicy(
            kappa_pairs=self.kappa_pairs,
            kappa_threshold=self.kappa_threshold,
            kappa_min_shared=self.kappa_min_shared,
            max_class_ratio=self.max_class_ratio,
            near_duplicate_threshold=self.dedup_threshold,
        )

    def candidate_policy(self) -> CandidatePolicy:
        ratios = self.split_ratios
        return CandidatePolicy(
            ratios=SplitRatios(ratios.train, ratios.validation, ratios.test),
            max_class_ratio=self.max_class_ratio,
            balance_strategy=self.balance_strategy,
            dedup_threshold=self.dedup_threshold,
            gate=self.gate_policy(),
        )
