"""What a labelling interface needs to know about a dataset's task, as a protocol.

The LLM prompt and tool, the Label Studio config, the card's label section and the gate's label-set check
are each generated in the package that owns them from one declaration (`gleaner.datasets.DatasetSpec`).
They read it through these protocols so that the stage packages do not import the package that loads
dataset files (which itself imports the labeling registry): arrows keep pointing down.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class LabelDefinition(Protocol):
    """One label: its name, the guideline annotators follow, and examples of what is and is not it."""

    @property
    def name(self) -> str: ...

    @property
    def guideline(self) -> str: ...

    @property
    def positive_examples(self) -> Sequence[str]: ...

    @property
    def negative_examples(self) -> Sequence[str]: ...


class TaskDefinition(Protocol):
    """A dataset's task: `classification` (one label per record) or `spans` (labels on stretches of the
    `input` field), and its labels in declared order."""

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def task(self) -> str: ...

    @property
    def input(self) -> str: ...

    @property
    def labels(self) -> Sequence[LabelDefinition]: ...


def label_names(definition: TaskDefinition) -> tuple[str, ...]:
    return tuple(label.name for label in definition.labels)
