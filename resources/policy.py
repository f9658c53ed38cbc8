"""Dataset and label policy as configuration, so thresholds change without code changes."""

from __future__ import annotations

import dagster as dg

from gleaner.gate import GatePolicy
from gleaner.labeling.resolution import LabelPolicy
from gleaner.splitting import SplitRatios


class PolicyResource(dg.ConfigurableResource):
    train_ratio: float = 0.8
    validation_ratio: float = 0.1
    test_ratio: float = 0.1
    max_class_ratio: float = 1.5
    kappa_pairs: list[list[str]] = [["lf_rating", "lf_lexicon"]]
    kappa_threshold: float = 0.4
    kappa_min_shared: int = 10
    llm_confidence_threshold: float = 0.92
    allow_rule_consensus: bool = True
    min_agreeing_rules: int = 2
    dedup_threshold: float = 0.8

    def split_ratios(self) -> SplitRatios:
        return SplitRatios(self.train_ratio, self.validation_ratio, self.test_ratio)

    def gate(self) -> GatePolicy:
        return GatePolicy(
            kappa_pairs=tuple((a, b) for a, b in self.kappa_pairs),
            kappa_threshold=self.kappa_threshold,
            kappa_min_shared=self.kappa_min_shared,
            max_class_ratio=self.max_class_ratio,
        )

    def labels(self) -> LabelPolicy:
        return LabelPolicy(
            llm_confidence_threshold=self.llm_confidence_threshold,
            allow_rule_consensus=self.allow_rule_consensus,
            min_agreeing_rules=self.min_agreeing_rules,
        )

    def as_manifest(self) -> dict[str, object]:
        return self.model_dump()
