"""The labeling interface generated from a dataset's declaration, in Label Studio's documented tags.

Classification: a `Text` object and a single-choice `Choices` control with one `Choice` per label. Spans:
`Labels` over the `Text`, one `Label` per label (named-entity recognition). Each label carries its guideline
as `hint`, shown on hover (for `Choice` hints Label Studio needs its choice-hint feature flag; the value is
still stored and harmless without it). Built with ElementTree so guidelines with quotes or angle brackets
are escaped, never spliced.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from gleaner.labeling.task import TaskDefinition

CONTROL_NAME = "label"  # `from_name` of every result in projects generated from a declaration
TEXT_NAME = "text"  # `to_name`; tasks carry the labeled field as `data.text`


def _hint(guideline: str) -> str:
    return " ".join(guideline.split())


def spec_labeling_config(definition: TaskDefinition) -> str:
    """`<View><Text name="text" value="$text"/>` and a `Choices` or `Labels` control named `label`."""
    view = ET.Element("View")
    ET.SubElement(view, "Text", name=TEXT_NAME, value=f"${TEXT_NAME}")
    if definition.task == "spans":
        control = ET.SubElement(view, "Labels", name=CONTROL_NAME, toName=TEXT_NAME)
        child = "Label"
    else:
        control = ET.SubElement(view, "Choices", name=CONTROL_NAME, toName=TEXT_NAME, choice="single")
        child = "Choice"
    for label in definition.labels:
        ET.SubElement(control, child, value=label.name, hint=_hint(label.guideline))
    return ET.tostring(view, encoding="unicode")
