"""The system prompt and forced-tool schema generated from a dataset's declaration.

Guidelines and examples are the same text Label Studio shows annotators as hints, so the model and the
people are told one thing. Classification asks for one label from the set with a confidence and a reason;
spans ask for every entity as character offsets plus the quoted text, the quote being what lets a
miscounted offset be caught (`gleaner.labeling.spans.validate_spans`) instead of trusted.
"""

from __future__ import annotations

from typing import Any

from gleaner.labeling.task import TaskDefinition, label_names

_TASK_INSTRUCTIONS = {
    "classification": (
        "Read the {input} in the user message and call the labelling tool exactly once with the one label "
        "that fits best. Set confidence to your probability (0 to 1) that the label is correct. Give a short "
        "reason that cites the wording."
    ),
    "spans": (
        "Read the {input} in the user message and call the labelling tool exactly once with every entity "
        "it mentions. For each entity give `start` and `end` as character offsets into the user message "
        "(0-based, end exclusive), the label, and `text`, the exact substring between the offsets. Entities "
        "must not overlap. An empty list means the text names no entity. Set confidence to your probability "
        "(0 to 1) that the list is complete and correct."
    ),
}
_PLACEHOLDERS = "Placeholders such as [EMAIL] or [ADDRESS] replace personal data and carry no meaning for the label."


def _examples(title: str, examples: Any) -> list[str]:
    return [f"  {title}:", *[f"  - {e}" for e in examples]] if examples else []


def system_prompt(definition: TaskDefinition) -> str:
    """The task, then each label's guideline and examples, in declared order."""
    lines = [
        f"You label data for the dataset `{definition.name}`: {definition.description.strip()}",
        _TASK_INSTRUCTIONS[definition.task].format(input=definition.input.replace("_", " ")),
        _PLACEHOLDERS,
        "",
        "Labels:",
    ]
    for label in definition.labels:
        lines.append(f"- {label.name}: {' '.join(label.guideline.split())}")
        lines += _examples("Examples", label.positive_examples)
        lines += _examples("Not this label", label.negative_examples)
    return "\n".join(lines)


def _classification_input(labels: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "label": {"type": "string", "enum": labels},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "reason": {"type": "string"},
        },
        "required": ["label", "confidence", "reason"],
        "additionalProperties": False,
    }


def spans_input_schema(labels: list[str]) -> dict[str, Any]:
    span = {
        "type": "object",
        "properties": {
            "start": {"type": "integer", "minimum": 0},
            "end": {"type": "integer", "minimum": 1},
            "label": {"type": "string", "enum": labels},
            "text": {"type": "string"},
        },
        "required": ["start", "end", "label", "text"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "spans": {"type": "array", "items": span},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        },
        "required": ["spans", "confidence"],
        "additionalProperties": False,
    }


def tool_schema(definition: TaskDefinition, tool_name: str = "record_label") -> dict[str, Any]:
    """The one tool the model is forced to call (`tool_choice: {"type": "tool", "name": tool_name}`)."""
    labels = list(label_names(definition))
    if definition.task == "spans":
        description = "Record every entity in the text as character offsets, with a calibrated confidence."
        schema = spans_input_schema(labels)
    else:
        description = "Record the label for the text, with a calibrated confidence and a short reason."
        schema = _classification_input(labels)
    return {"name": tool_name, "description": description, "input_schema": schema}
