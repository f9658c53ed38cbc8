"""A dataset declared in a file: the record it reads, the task, the labels with their guidelines, the
functions and rules that vote, and its policies. One model per task, told apart by the `task` field, so a
third task (`multi_label`) is one more model in the union rather than a redesign.

Validation is by field wherever the check needs only fields declared before it (pydantic validates in
declaration order), so an error names the field to fix: `input` is checked against `record`, `rules`
against `labels`, `labeling_functions` and `record`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from gleaner.dataset import CandidatePolicy, GatePolicy, SpanCandidatePolicy, SpanGatePolicy, SplitRatios
from gleaner.datasets.hashing import spec_hash
from gleaner.datasets.policies import GateSettings, LLMPolicy, ReviewPolicy
from gleaner.datasets.records import fields_of_type, record_model
from gleaner.datasets.rules import ClassificationRule, FieldThresholdRule, SpanRule
from gleaner.labeling import LabelPolicy, SpanLabelPolicy, registered_functions
from gleaner.sources import SLUG


class LabelSpec(BaseModel):
    """One label, with the guideline people and the model follow and examples of what is and is not it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    guideline: str = Field(min_length=1, description="One paragraph: when this label applies.")
    positive_examples: tuple[str, ...] = Field(min_length=1, description="Texts (or entities) that are this label.")
    negative_examples: tuple[str, ...] = Field(default=(), description="Near misses that are not.")


def _duplicates(names: list[str]) -> list[str]:
    return sorted({n for n in names if names.count(n) > 1})


class _Dataset(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    MIN_LABELS: ClassVar[int] = 1

    name: str = Field(pattern=SLUG.pattern, description="Plain slug: asset key prefix, project and version name.")
    description: str = Field(min_length=1)
    sources: tuple[str, ...] = Field(min_length=1, description="Configured sources (config/sources.yaml) it reads.")
    record: str = Field(description="product_reviews, product_pages, or a pydantic model as package.module:Class.")
    input: str = Field(description="The record's text field that is labeled.")
    labels: tuple[LabelSpec, ...]
    labeling_functions: tuple[str, ...] = Field(default=(), description="Registered Python labeling functions.")
    llm: LLMPolicy = LLMPolicy()
    review: ReviewPolicy = ReviewPolicy()
    gate: GateSettings = GateSettings()

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.labels)

    @property
    def record_model(self) -> type[BaseModel]:
        return record_model(self.record)

    def gate_policy(self) -> GatePolicy:
        """The gate's policy with this dataset's record model and label set."""
        return replace(self.gate.gate_policy(), record_model=self.record_model, labels=self.label_names)

    def candidate_policy(self) -> CandidatePolicy:
        review = self.review
        return replace(
            self.gate.candidate_policy(),
            gate=self.gate_policy(),
            calibration_min_samples=review.calibration_min_labels,
            audit_fraction=review.audit_fraction,
        )

    def label_policy(self) -> LabelPolicy:
        return self.review.label_policy(self.llm.majority)

    @classmethod
    def registered(cls) -> Mapping[str, Any]:
        """The Python functions a file of this task may name."""
        return {}

    def labeler_config(self, base: Any) -> Any:
        """The deployment's `LLMLabelerConfig` asking this dataset: its prompt, tool, labels, `llm` policy,
        and a prompt version carrying `spec_hash`. (The LLM package is imported here, when asked for: the
        Anthropic SDK takes seconds to import and loading dataset files must not pay for it.)"""
        from gleaner.labeling.llm import dataset_config

        llm = self.llm
        settings = {"votes": llm.votes, "max_tokens": llm.max_tokens, "tool_name": llm.tool_name}
        return dataset_config(
            base,
            self,
            spec_hash(self),
            allow_overlaps=getattr(self, "allow_overlaps", False),
            instructions=llm.instructions,
            **settings | ({"model": llm.model} if llm.model else {}),
        )

    @field_validator("sources")
    @classmethod
    def _source_slugs(cls, sources: tuple[str, ...]) -> tuple[str, ...]:
        bad = [s for s in sources if not SLUG.match(s)] + _duplicates(list(sources))
        if bad:
            raise ValueError(f"sources must be distinct plain slugs: {bad}")
        return sources

    @field_validator("record")
    @classmethod
    def _record_exists(cls, record: str) -> str:
        record_model(record)
        return record

    @field_validator("input")
    @classmethod
    def _input_on_record(cls, field: str, info: ValidationInfo) -> str:
        if "record" not in info.data:
            return field  # the record itself failed and says so
        model = record_model(info.data["record"])
        texts = fields_of_type(model, str)
        if field not in texts:
            raise ValueError(f"{field!r} is not a text field of {model.__name__}; text fields: {', '.join(texts)}")
        return field

    @field_validator("labels")
    @classmethod
    def _label_set(cls, labels: tuple[LabelSpec, ...]) -> tuple[LabelSpec, ...]:
        names = [label.name for label in labels]
        if len(names) < cls.MIN_LABELS:
            raise ValueError(f"this task needs {cls.MIN_LABELS} labels or more, got {len(names)}")
        if _duplicates(names):
            raise ValueError(f"duplicate labels: {', '.join(_duplicates(names))}")
        return labels

    @field_validator("labeling_functions")
    @classmethod
    def _registered_functions(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        known = cls.registered()
        unknown = [n for n in names if n not in known]
        if unknown:
            registered = ", ".join(sorted(known)) or "none"
            raise ValueError(f"not registered: {', '.join(unknown)} (registered: {registered})")
        if _duplicates(list(names)):
            raise ValueError(f"listed twice: {', '.join(_duplicates(list(names)))}")
        return names

    @field_validator("rules", check_fields=False)
    @classmethod
    def _rules_fit(cls, rules: tuple[Any, ...], info: ValidationInfo) -> tuple[Any, ...]:
        names = [r.name for r in rules]
        taken = set(info.data.get("labeling_functions", ())) & set(names)
        if _duplicates(names) or taken:
            raise ValueError(f"rule names must be unique annotators: {sorted(set(_duplicates(names)) | taken)}")
        declared = {label.name for label in info.data.get("labels", ())}
        for rule in rules:
            unknown = sorted(rule.labels_used() - declared) if declared else []
            if unknown:
                raise ValueError(f"rule {rule.name} uses labels outside the label set: {', '.join(unknown)}")
            if isinstance(rule, FieldThresholdRule) and "record" in info.data:
                numbers = fields_of_type(record_model(info.data["record"]), int, float)
                if rule.field not in numbers:
                    raise ValueError(f"rule {rule.name}: {rule.field!r} is not a numeric field ({', '.join(numbers)})")
        return rules


class ClassificationSpec(_Dataset):
    """One label per record."""

    MIN_LABELS: ClassVar[int] = 2

    task: Literal["classification"] = "classification"
    rules: tuple[ClassificationRule, ...] = ()

    @classmethod
    def registered(cls) -> Mapping[str, Any]:
        return registered_functions()


class SpansSpec(_Dataset):
    """Named entities: labels on stretches of the input field's characters."""

    task: Literal["spans"] = "spans"
    allow_overlaps: bool = Field(default=False, description="Whether two spans may share a character.")
    rules: tuple[SpanRule, ...] = ()

    def label_policy(self) -> SpanLabelPolicy:
        """Machine spans label a record alone when `review.min_agreeing_rules` sources voted and their mean
        pairwise span F1 reaches `review.routing_threshold`."""
        return SpanLabelPolicy(
            min_votes=self.review.min_agreeing_rules, confidence_threshold=self.review.routing_threshold
        )

    def candidate_policy(self) -> SpanCandidatePolicy:
        gate, ratios = self.gate, self.gate.split_ratios
        return SpanCandidatePolicy(
            gate=SpanGatePolicy(
                record_model=self.record_model,
                labels=self.label_names,
                input_field=self.input,
                kappa_pairs=gate.kappa_pairs,
                kappa_threshold=gate.kappa_threshold,
                kappa_min_shared=gate.kappa_min_shared,
                span_f1_threshold=gate.span_f1_threshold,
                near_duplicate_threshold=gate.dedup_threshold,
            ),
            ratios=SplitRatios(ratios.train, ratios.validation, ratios.test),
            dedup_threshold=gate.dedup_threshold,
        )


DatasetSpec = Annotated[ClassificationSpec | SpansSpec, Field(discriminator="task")]
