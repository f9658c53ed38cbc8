"""Declarative labeling rules: labeling functions a dataset file declares without Python.

Each rule is one annotator, named like a registered function (its name is the `annotator` of its votes and
may appear in the gate's kappa pairs). Classification rules: `keyword` (`terms`: words or phrases per
label, whole words, any case), `regex` (`patterns`: one per label) and `field_threshold` (comparisons on a
numeric field, first match wins). Span rules: `gazetteer` (`terms` per label, whole words, any case) and
`regex`. Compiling them into functions is `gleaner.datasets.compile`'s business; these models only say what
a file may hold.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gleaner.labeling.functions import whole_words

ANNOTATOR = r"^[a-z][a-z0-9_]*$"


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=ANNOTATOR, description="Annotator name of the rule's votes.")
    ignore_case: bool = True

    def labels_used(self) -> set[str]:
        return set(self.label_patterns())

    def label_patterns(self) -> dict[str, str]:
        """label -> regular expression (for word lists: the escaped terms as whole words)."""
        raise NotImplementedError


def _compilable(patterns: dict[str, str]) -> dict[str, str]:
    for label, pattern in patterns.items():
        try:
            if re.compile(pattern).match(""):
                raise ValueError(f"pattern for {label!r} matches the empty string: {pattern!r}")
        except re.error as exc:
            raise ValueError(f"invalid regex for {label!r}: {pattern!r}: {exc}") from exc
    return patterns


class _WordList(_Rule):
    terms: dict[str, tuple[str, ...]] = Field(min_length=1, description="label -> words, phrases or names")

    @field_validator("terms")
    @classmethod
    def _non_empty(cls, terms: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for label, words in terms.items():
            if not words or not all(w.strip() for w in words):
                raise ValueError(f"label {label!r} needs at least one non-empty term")
        return terms

    def label_patterns(self) -> dict[str, str]:
        return {label: whole_words(words) for label, words in self.terms.items()}


class _Patterns(_Rule):
    patterns: dict[str, str] = Field(min_length=1, description="label -> regular expression")

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, value: dict[str, str]) -> dict[str, str]:
        return _compilable(value)

    def label_patterns(self) -> dict[str, str]:
        return dict(self.patterns)


class KeywordRule(_WordList):
    """Votes the label whose words appear; abstains when none do or words of two labels do."""

    kind: Literal["keyword"]


class RegexRule(_Patterns):
    """Votes the label whose pattern matches; abstains when none does or patterns of two labels do."""

    kind: Literal["regex"]


class Threshold(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    op: Literal[">=", ">", "<=", "<", "=="]
    value: float
    label: str


class FieldThresholdRule(_Rule):
    """Compares a numeric field (a star rating, a score) with each threshold in order; the first that holds
    gives the label. Abstains when the field is missing or no threshold holds."""

    kind: Literal["field_threshold"]
    field: str
    thresholds: tuple[Threshold, ...] = Field(min_length=1)

    def labels_used(self) -> set[str]:
        return {t.label for t in self.thresholds}


class GazetteerRule(_WordList):
    """Marks every whole-word, any-case occurrence of a listed term with its label."""

    kind: Literal["gazetteer"]


class SpanRegexRule(_Patterns):
    """Marks every match of a label's pattern (the whole match) with that label."""

    kind: Literal["regex"]


ClassificationRule = Annotated[KeywordRule | RegexRule | FieldThresholdRule, Field(discriminator="kind")]
SpanRule = Annotated[GazetteerRule | SpanRegexRule, Field(discriminator="kind")]
