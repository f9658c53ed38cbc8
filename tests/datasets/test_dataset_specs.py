"""Dataset files: the bundled two load, every bad file fails at load time in one line naming the file and
the field, and the spec hash moves with what changes labels and only with that."""

import copy

import pytest
import yaml

from gleaner.datasets import (
    ClassificationSpec,
    DatasetSpecError,
    SpansSpec,
    load_dataset,
    load_datasets,
    spec_hash,
)
from gleaner.schemas import ProductReview
from gleaner.sources import load_sources

MINIMAL = {
    "name": "tiny",
    "description": "A two-class dataset for tests.",
    "sources": ["acme"],
    "record": "product_reviews",
    "input": "text",
    "task": "classification",
    "labels": [
        {"name": "yes", "guideline": "It says yes.", "positive_examples": ["yes please"]},
        {"name": "no", "guideline": "It says no.", "positive_examples": ["no thanks"]},
    ],
}


def write(folder, name, data):
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_the_bundled_folder_holds_exactly_the_two_built_in_datasets():
    datasets = load_datasets(sources=set(load_sources()))
    assert sorted(datasets) == ["product_entities", "review_sentiment"]
    sentiment, entities = datasets["review_sentiment"], datasets["product_entities"]
    assert isinstance(sentiment, ClassificationSpec) and isinstance(entities, SpansSpec)
    assert sentiment.label_names == ("positive", "negative", "neutral")
    assert sentiment.record_model is ProductReview
    assert sentiment.labeling_functions == ("lf_lexicon", "lf_keywords")
    assert sentiment.gate.max_class_ratio == 1.5 and sentiment.gate.kappa_pairs == (("lf_rating", "lf_lexicon"),)
    assert {"BRAND", "MODEL", "CAPACITY", "COLOR"} <= set(entities.label_names)
    assert (entities.input, entities.record_model.__name__) == ("title", "ProductPage")


def test_defaults_are_todays_policy():
    spec = ClassificationSpec.model_validate(MINIMAL)
    gate = spec.gate.candidate_policy()
    assert gate.gate.kappa_pairs == (("lf_rating", "lf_lexicon"),)
    assert (gate.gate.kappa_threshold, gate.gate.kappa_min_shared, gate.max_class_ratio) == (0.8, 10, 1.5)
    assert (gate.ratios.train, gate.ratios.validation, gate.ratios.test) == (0.8, 0.1, 0.1)
    assert (gate.dedup_threshold, gate.gate.near_duplicate_threshold) == (0.8, 0.8)
    labels = spec.review.label_policy(spec.llm.majority)
    assert (labels.llm_confidence_threshold, labels.llm_majority, labels.min_agreeing_rules) == (0.92, 2, 2)


def _bad(tmp_path, mutate, name="bad.yaml"):
    data = copy.deepcopy(MINIMAL)
    mutate(data)
    path = write(tmp_path, name, data)
    with pytest.raises(DatasetSpecError) as caught:
        load_datasets(tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return message.removeprefix(f"{path}: ")


def test_an_unknown_field_is_named(tmp_path):
    assert _bad(tmp_path, lambda d: d.update(colour="red")) == "colour: unknown field"


def test_an_unknown_field_inside_a_label_is_named_with_its_path(tmp_path):
    assert _bad(tmp_path, lambda d: d["labels"][1].update(hint="x")) == "labels.1.hint: unknown field"


def test_an_unknown_record_type_is_named(tmp_path):
    message = _bad(tmp_path, lambda d: d.update(record="tweets"))
    assert message.startswith("record: unknown record type 'tweets'")
    assert "product_pages, product_reviews" in message


def test_a_custom_record_that_does_not_import_is_named(tmp_path):
    assert _bad(tmp_path, lambda d: d.update(record="gleaner.schemas:Tweet")).startswith(
        "record: record type 'gleaner.schemas:Tweet' cannot be imported"
    )


def test_a_custom_record_by_import_path_loads(tmp_path):
    write(tmp_path, "custom.yaml", {**MINIMAL, "record": "gleaner.schemas:ProductPage", "input": "description"})
    assert load_datasets(tmp_path)["tiny"].record_model.__name__ == "ProductPage"


def test_duplicate_labels_are_named(tmp_path):
    message = _bad(tmp_path, lambda d: d["labels"].append(copy.deepcopy(d["labels"][0])))
    assert message == "labels: duplicate labels: yes"


def test_an_unregistered_function_is_named(tmp_path):
    message = _bad(tmp_path, lambda d: d.update(labeling_functions=["lf_lexicon", "lf_sarcasm"]))
    assert message.startswith("labeling_functions: not registered: lf_sarcasm (registered: ")
    assert "lf_rating" in message


def test_a_spans_dataset_may_name_no_python_function(tmp_path):
    def spans(d):
        d.update(task="spans", labeling_functions=["lf_lexicon"])

    assert _bad(tmp_path, spans) == "labeling_functions: not registered: lf_lexicon (registered: none)"


def test_two_datasets_with_one_name_fail_naming_both_files(tmp_path):
    first = write(tmp_path, "a.yaml", MINIMAL)
    message = _bad(tmp_path, lambda d: None, name="b.yaml")
    assert message == f"name: dataset 'tiny' is already declared in {first}"


def test_an_input_field_that_is_not_on_the_record_is_named(tmp_path):
    message = _bad(tmp_path, lambda d: d.update(input="title"))
    assert message.startswith("input: 'title' is not a text field of ProductReview; text fields: ")
    assert _bad(tmp_path, lambda d: d.update(input="rating")).startswith("input: 'rating' is not a text field")


def test_a_rule_with_a_label_outside_the_set_is_named(tmp_path):
    rule = {"name": "lf_kw", "kind": "keyword", "terms": {"maybe": ["perhaps"]}}
    message = _bad(tmp_path, lambda d: d.update(rules=[rule]))
    assert message == "rules: rule lf_kw uses labels outside the label set: maybe"


def test_a_threshold_on_a_field_that_is_not_a_number_is_named(tmp_path):
    threshold = {"op": ">=", "value": 1, "label": "yes"}
    rule = {"name": "lf_t", "kind": "field_threshold", "field": "author", "thresholds": [threshold]}
    assert _bad(tmp_path, lambda d: d.update(rules=[rule])).startswith("rules: rule lf_t: 'author' is not a numeric")


def test_a_bad_regex_and_a_wrong_rule_kind_are_named(tmp_path):
    regex = {"name": "lf_re", "kind": "regex", "patterns": {"yes": "(unclosed"}}
    assert _bad(tmp_path, lambda d: d.update(rules=[regex])).startswith("rules.0.patterns: invalid regex for 'yes'")
    gazetteer = {"name": "lf_g", "kind": "gazetteer", "terms": {"yes": ["y"]}}
    assert _bad(tmp_path, lambda d: d.update(rules=[gazetteer])).startswith("rules.0.kind: Input tag 'gazetteer'")


def test_a_missing_or_unknown_task_is_named(tmp_path):
    assert _bad(tmp_path, lambda d: d.pop("task")) == "task: missing; one of classification, spans"
    assert _bad(tmp_path, lambda d: d.update(task="multi_label")).startswith("task: Input tag 'multi_label'")


def test_a_classification_needs_two_labels_and_split_ratios_add_up(tmp_path):
    assert _bad(tmp_path, lambda d: d["labels"].pop()).startswith("labels: this task needs 2 labels or more")
    ratios = {"train": 0.8, "validation": 0.2, "test": 0.1}
    message = _bad(tmp_path, lambda d: d.update(gate={"split_ratios": ratios}))
    assert message == "gate.split_ratios: train, validation and test must add up to 1"


def test_a_source_that_is_not_configured_is_named(tmp_path):
    path = write(tmp_path, "tiny.yaml", {**MINIMAL, "sources": ["acme", "initech"]})
    with pytest.raises(DatasetSpecError, match=f"^{path}: sources: not configured: initech$"):
        load_datasets(tmp_path, sources={"acme", "globex"})


def test_an_empty_folder_and_an_unreadable_file_fail(tmp_path):
    with pytest.raises(DatasetSpecError, match="no dataset files"):
        load_datasets(tmp_path)
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(DatasetSpecError, match=f"^{path}: cannot read the dataset file"):
        load_dataset(path)


def _hash(**changes):
    data = copy.deepcopy(MINIMAL)
    for key, value in changes.items():
        data[key] = value
    return spec_hash(ClassificationSpec.model_validate(data))


def test_the_spec_hash_follows_what_changes_labels():
    base = _hash()
    assert base == _hash() and len(base) == 64
    assert _hash(description="Reworded entirely.") == base
    assert _hash(sources=["globex"], gate={"kappa_threshold": 0.7}, review={"routing_threshold": 0.5}) == base
    reworded = copy.deepcopy(MINIMAL["labels"])
    reworded[0]["guideline"] = "It says yes, or nods."
    assert _hash(labels=reworded) != base
    more_examples = copy.deepcopy(MINIMAL["labels"])
    more_examples[1]["negative_examples"] = ["not now"]
    assert _hash(labels=more_examples) != base
    assert _hash(llm={"votes": 5}) != base
    assert _hash(rules=[{"name": "lf_kw", "kind": "keyword", "terms": {"yes": ["sure"]}}]) != base


def test_the_audit_fraction_defaults_to_five_percent_and_is_a_fraction(tmp_path):
    spec = ClassificationSpec.model_validate(MINIMAL)
    assert spec.review.audit_fraction == 0.05
    assert spec.label_policy().audit_fraction == 0.05 and spec.candidate_policy().audit_fraction == 0.05
    assert spec.candidate_policy().calibration_min_samples == spec.review.calibration_min_labels
    for bad in (-0.1, 1.5):
        message = _bad(tmp_path, lambda d, bad=bad: d.update(review={"audit_fraction": bad}))
        assert message.startswith("review.audit_fraction:")
    good = tmp_path / "good"
    good.mkdir()
    write(good, "all.yaml", {**MINIMAL, "review": {"audit_fraction": 1}})
    assert load_datasets(good)["tiny"].review.audit_fraction == 1.0
