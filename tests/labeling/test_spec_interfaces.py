"""What a dataset declaration generates for labelling: the LLM prompt and forced tool, Label Studio's
labeling config (in its documented tag shapes), and Label Studio's span format read and written."""

from xml.etree import ElementTree as ET

from gleaner.datasets import load_datasets
from gleaner.labeling.label_studio import build_span_tasks, parse_span_export, spec_labeling_config
from gleaner.labeling.llm import system_prompt, tool_schema
from gleaner.labeling.spans import Span

DATASETS = load_datasets()
SENTIMENT, ENTITIES = DATASETS["review_sentiment"], DATASETS["product_entities"]


def test_the_prompt_carries_every_guideline_and_example_in_declared_order():
    prompt = system_prompt(SENTIMENT)
    assert "review_sentiment" in prompt and "call the labelling tool exactly once" in prompt
    positions = [prompt.index(f"- {label.name}: ") for label in SENTIMENT.labels]
    assert positions == sorted(positions)
    for label in SENTIMENT.labels:
        assert " ".join(label.guideline.split()) in prompt
        assert all(example in prompt for example in (*label.positive_examples, *label.negative_examples))
    assert "character offsets" in system_prompt(ENTITIES) and "character offsets" not in prompt


def test_the_classification_tool_is_an_enum_of_the_labels_with_confidence_and_reason():
    tool = tool_schema(SENTIMENT, "record_label")
    schema = tool["input_schema"]
    assert tool["name"] == "record_label"
    assert schema["properties"]["label"] == {"type": "string", "enum": ["positive", "negative", "neutral"]}
    assert schema["properties"]["confidence"] == {"type": "number", "minimum": 0, "maximum": 1}
    assert schema["required"] == ["label", "confidence", "reason"] and schema["additionalProperties"] is False


def test_the_spans_tool_is_a_list_of_offsets_labels_and_quotes():
    schema = tool_schema(ENTITIES)["input_schema"]
    assert schema["required"] == ["spans", "confidence"]
    item = schema["properties"]["spans"]["items"]
    assert item["required"] == ["start", "end", "label", "text"]
    assert item["properties"]["label"]["enum"] == list(ENTITIES.label_names)
    assert item["properties"]["start"]["type"] == item["properties"]["end"]["type"] == "integer"


def _parse(definition):
    view = ET.fromstring(spec_labeling_config(definition))
    assert view.tag == "View"
    text, control = list(view)
    assert (text.tag, text.attrib) == ("Text", {"name": "text", "value": "$text"})
    return control


def test_label_studio_classification_config_is_single_choice_with_hints():
    # https://labelstud.io/tags/choices: <Choices name toName choice="single"><Choice value hint/></Choices>
    control = _parse(SENTIMENT)
    assert control.tag == "Choices"
    assert control.attrib == {"name": "label", "toName": "text", "choice": "single"}
    assert [(c.tag, c.get("value")) for c in control] == [("Choice", n) for n in SENTIMENT.label_names]
    assert control[2].get("hint") == " ".join(SENTIMENT.labels[2].guideline.split())


def test_label_studio_spans_config_is_labels_over_text_with_hints():
    # https://labelstud.io/tags/labels: <Labels name toName><Label value hint/></Labels> beside <Text>
    control = _parse(ENTITIES)
    assert control.tag == "Labels" and control.attrib == {"name": "label", "toName": "text"}
    assert [c.get("value") for c in control] == list(ENTITIES.label_names)
    assert all(c.tag == "Label" and c.get("hint") for c in control)


def test_guidelines_with_markup_characters_are_escaped():
    label = SENTIMENT.labels[0].model_copy(update={"guideline": 'Says "great" <b>& means it</b>'})
    config = spec_labeling_config(SENTIMENT.model_copy(update={"labels": (label, *SENTIMENT.labels[1:])}))
    assert ET.fromstring(config)[1][0].get("hint") == 'Says "great" <b>& means it</b>'


TITLE = "Vortex Blender 500"


def _task(result, **annotation):
    return {
        "id": 7,
        "data": {"record_id": "r1", "text": TITLE},
        "annotations": [{"id": 1, "completed_by": 3, "updated_at": "2026-11-21", "result": result, **annotation}],
    }


def _region(start, end, label, text=None):
    value = {"start": start, "end": end, "labels": [label], **({"text": text} if text is not None else {})}
    return {"from_name": "label", "to_name": "text", "type": "labels", "value": value}


def test_a_label_studio_ner_export_becomes_one_span_vote_per_annotation():
    tasks = [_task([_region(0, 6, "BRAND", "Vortex"), _region(15, 18, "MODEL")], lead_time=21.5)]
    votes, problems = parse_span_export(tasks, ENTITIES.label_names)
    assert problems == []
    assert votes == [
        {
            "record_id": "r1",
            "annotator": "human:3",
            "annotation_id": "1",
            "updated_at": "2026-11-21",
            "lead_time": 21.5,
            "spans": [
                {"start": 0, "end": 6, "label": "BRAND", "text": "Vortex"},
                {"start": 15, "end": 18, "label": "MODEL", "text": "500"},
            ],
        }
    ]
    assert parse_span_export([_task([])], ENTITIES.label_names)[0][0]["spans"] == []  # "no entity" is a vote


def test_unusable_span_annotations_are_problems_with_reasons():
    tasks = [
        _task([_region(0, 60, "BRAND")]),
        _task([_region(0, 6, "MAKER")]),
        _task([_region(0, 6, "BRAND", "Blende")]),
        _task([_region(0, 6, "BRAND")], was_cancelled=True),
    ]
    votes, problems = parse_span_export(tasks, ENTITIES.label_names)
    assert votes == []
    assert [p["reason"].split(":")[0] for p in problems] == [
        "offsets_outside_text",
        "invalid_label",
        "quote_mismatch",
        "annotation was cancelled (skipped by annotator)",
    ]


def test_pre_annotations_round_trip_through_the_export_parser():
    guess = [Span(0, 6, "BRAND", "Vortex"), Span(7, 14, "PRODUCT_TYPE", "Blender")]
    (task,) = build_span_tasks([{"record_id": "r1", "text": TITLE, "guess": guess, "confidence": 0.7}], "rules-v1")
    assert task["data"] == {"record_id": "r1", "text": TITLE}
    (prediction,) = task["predictions"]
    assert prediction["model_version"] == "rules-v1" and prediction["score"] == 0.7
    assert prediction["result"][0] == _region(0, 6, "BRAND", "Vortex")
    exported = {**task, "annotations": [{"id": 2, "completed_by": 1, "result": prediction["result"]}]}
    votes, _ = parse_span_export([exported], ENTITIES.label_names)
    assert votes[0]["spans"] == [s.as_dict() for s in guess]
    assert "predictions" not in build_span_tasks([{"record_id": "r2", "text": TITLE}], "v")[0]
