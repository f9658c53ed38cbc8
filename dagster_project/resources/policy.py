"""Dataset and label policy as configuration, so thresholds change without code changes."""

from __future__ import annotations

import dagster as dg

from dagster_project.resources.spark import SparkDedup
from gleaner.dataset import CandidatePolicy, GatePolicy, SplitRatios
from gleaner.dedup import Settle
from gleaner.labeling import LabelPolicy

ENGINE_FIELDS = ("global_dedup_engine", "spark_min_records", "spark_master", "spark_driver_memory")


class PolicyResource(dg.ConfigurableResource):
    dataset: str = "product_reviews"  # picks the labeling functions (gleaner.labeling.registry)
    train_ratio: float = 0.8
    validation_ratio: float = 0.1
    test_ratio: float = 0.1
    max_class_ratio: float = 1.5
    # undersample: drop rows of the larger classes; oversample: repeat rows of the smaller ones in train
    # (marked `oversampled`), undersample validation and test. Both decided by a hash of the record id.
    balance_strategy: str = "undersample"
    # Source pairs whose Cohen's kappa gates publication (docs/labels.md). lf_rating ~ lf_lexicon (stars vs
    # text tone) is 0.83 on the demo over 76 shared records; below 0.8 one of them has drifted (rating
    # extraction, a lexicon change). At that sample size the bootstrap 95% interval is about 0.66-0.97, so
    # the gate is a tripwire for drift, not a precise bound; name more pairs as human labels accumulate.
    kappa_pairs: list[list[str]] = [["lf_rating", "lf_lexicon"]]
    kappa_threshold: float = 0.8
    kappa_min_shared: int = 10
    llm_confidence_threshold: float = 0.92
    allow_rule_consensus: bool = True
    min_agreeing_rules: int = 2
    dedup_threshold: float = 0.8
    # Where the candidate's global dedup pass runs: `local` (this process), `spark` (Dagster Pipes to the
    # Spark driver, dagster_project/resources/spark.py) or `auto`: Spark past `spark_min_records` first
    # sightings. Both give the same kept set and clusters; one node handles 1M records in well under a
    # minute (docs/dedup.md), so Spark pays off when the texts no longer fit its memory.
    global_dedup_engine: str = "local"
    spark_min_records: int = 20_000_000
    spark_master: str = "local[2]"  # the local driver's; on EMR/Databricks the cluster decides
    spark_driver_memory: str = "2g"

    def split_ratios(self) -> SplitRatios:
        return SplitRatios(self.train_ratio, self.validation_ratio, self.test_ratio)

    def gate(self) -> GatePolicy:
        return GatePolicy(
            kappa_pairs=tuple((a, b) for a, b in self.kappa_pairs),
            kappa_threshold=self.kappa_threshold,
            kappa_min_shared=self.kappa_min_shared,
            max_class_ratio=self.max_class_ratio,
            near_duplicate_threshold=self.dedup_threshold,
        )

    def candidate(self) -> CandidatePolicy:
        return CandidatePolicy(
            ratios=self.split_ratios(),
            max_class_ratio=self.max_class_ratio,
            balance_strategy=self.balance_strategy,
            dedup_threshold=self.dedup_threshold,
            gate=self.gate(),
        )

    def dedup_engine(self, records: int) -> str:
        """The engine for a global pass over `records` first sightings."""
        if self.global_dedup_engine not in ("local", "spark", "auto"):
            raise ValueError(f"global_dedup_engine={self.global_dedup_engine!r}: expected local, spark or auto")
        if self.global_dedup_engine == "auto":
            return "spark" if records > self.spark_min_records else "local"
        return self.global_dedup_engine

    def global_settle(self, context: dg.AssetExecutionContext, canonical: list[str]) -> Settle:
        """The candidate's global dedup step over `canonical` (canonical_records Parquet globs)."""
        return SparkDedup(self.spark_master, self.spark_driver_memory).settler(context, self.dedup_engine, canonical)

    def labels(self, llm_majority: int) -> LabelPolicy:
        """`llm_majority` comes from the LLM labeler's vote count, which the policy does not own."""
        return LabelPolicy(
            llm_confidence_threshold=self.llm_confidence_threshold,
            llm_majority=llm_majority,
            allow_rule_consensus=self.allow_rule_consensus,
            min_agreeing_rules=self.min_agreeing_rules,
        )

    def as_manifest(self) -> dict[str, object]:
        # Where the global pass runs changes no row (tests/dedup/test_spark_dedup.py): not part of a version.
        return self.model_dump(exclude=set(ENGINE_FIELDS))
