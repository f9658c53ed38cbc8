"""Declarative rules as annotators: the review-sentiment rating rule, span rules over the demo catalogue,
and a third dataset the code has never heard of, declared in YAML only."""

import textwrap

from gleaner.datasets import classification_functions, load_datasets, record_view, span_functions
from gleaner.demo_site.catalog import CATALOG
from gleaner.labeling import RecordView, apply_functions
from gleaner.labeling.product_reviews import keyword_rules, lexicon_vader

DATASETS = load_datasets()


def review(record_id, text, rating):
    return {"record_id": record_id, "text": text, "rating": rating, "author": "Kim"}


def test_review_sentiment_votes_with_the_rating_rule_and_the_registered_functions():
    spec = DATASETS["review_sentiment"]
    functions = classification_functions(spec)
    assert list(functions) == ["lf_lexicon", "lf_keywords", "lf_rating", "lf_neutral_phrases"]
    assert functions["lf_lexicon"] is lexicon_vader and functions["lf_keywords"] is keyword_rules
    rating = functions["lf_rating"]
    votes = [rating(record_view(spec, review("r", "ok", stars))) for stars in (5, 4, 3.5, 3, 2, 1, None)]
    assert votes == ["positive", "positive", None, "neutral", "negative", "negative", None]


def test_threshold_rules_still_read_a_view_built_the_old_way():
    rating = classification_functions(DATASETS["review_sentiment"])["lf_rating"]
    assert rating(RecordView("a", "fine", 3)) == "neutral"  # no `fields`: the view's own rating


def test_every_demo_product_title_gets_a_brand_and_a_product_type():
    spec = DATASETS["product_entities"]
    gazetteer = span_functions(spec)["lf_gazetteer"]
    for product in (p for products in CATALOG.values() for p in products):
        labels = {s.label for s in gazetteer(record_view(spec, {"record_id": "x", "title": product.name}))}
        assert {"BRAND", "PRODUCT_TYPE"} <= labels, product.name


def test_span_rules_mark_whole_words_in_any_case_and_keep_the_longest_match():
    spec = DATASETS["product_entities"]
    functions = span_functions(spec)
    title = "ACME stainless steel kettle 1.7L, matte black, Steelworks"
    view = record_view(spec, {"record_id": "x", "title": title})
    found = [(s.label, s.text) for s in functions["lf_gazetteer"](view)]
    assert found == [
        ("BRAND", "ACME"),
        ("MATERIAL", "stainless steel"),  # not "steel" alone, and not inside "Steelworks"
        ("PRODUCT_TYPE", "kettle"),
        ("COLOR", "matte black"),
    ]
    assert [(s.label, s.text, s.start) for s in functions["lf_patterns"](view)] == [("CAPACITY", "1.7L", 28)]


TOPIC = textwrap.dedent(
    """
    name: review_topics
    description: What a review is mostly about.
    sources: [acme, globex]
    record: product_reviews
    input: text
    task: classification
    labels:
      - name: durability
        guideline: The review is mostly about how long the product lasted or how it broke.
        positive_examples: ["The handle snapped after a month."]
      - name: delivery
        guideline: The review is mostly about shipping, packaging or the shop.
        positive_examples: ["Arrived two days late in a crushed box."]
      - name: usability
        guideline: The review is mostly about using the product day to day.
        positive_examples: ["The buttons are easy to reach."]
    rules:
      - name: lf_topic_words
        kind: keyword
        terms:
          durability: [broke, snapped, "stopped working", lasted]
          delivery: [shipping, delivery, arrived, box]
      - name: lf_topic_patterns
        kind: regex
        patterns:
          usability: '\\beasy to (?:use|clean|reach)\\b'
      - name: lf_long_review
        kind: field_threshold
        field: word_count
        thresholds: [{op: ">", value: 100, label: usability}]
    gate:
      kappa_pairs: [[lf_topic_words, lf_topic_patterns]]
      max_class_ratio: 2.0
    """
)


def test_a_dataset_the_code_has_never_heard_of_loads_and_labels(tmp_path):
    (tmp_path / "review_topics.yaml").write_text(TOPIC, encoding="utf-8")
    spec = load_datasets(tmp_path)["review_topics"]
    assert spec.label_names == ("durability", "delivery", "usability") and spec.labeling_functions == ()
    rows = [
        {**review("a", "It STOPPED WORKING after a week.", 1), "word_count": 6},
        {**review("b", "Arrived late, the box was crushed.", 2), "word_count": 6},
        {**review("c", "Easy to clean and easy to use.", 5), "word_count": 7},
        {**review("d", "It broke in shipping.", 1), "word_count": 4},  # two topics: the word rule abstains
        {**review("e", "A long review about everything.", 4), "word_count": 150},
    ]
    votes = apply_functions([record_view(spec, r) for r in rows], classification_functions(spec))
    by = {(v["record_id"], v["annotator"]): v["label"] for v in votes}
    assert [by[(r, "lf_topic_words")] for r in "abcde"] == ["durability", "delivery", None, None, None]
    assert [by[(r, "lf_topic_patterns")] for r in "abcde"] == [None, None, "usability", None, None]
    assert [by[(r, "lf_long_review")] for r in "abcde"] == [None, None, None, None, "usability"]
