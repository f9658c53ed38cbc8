"""Spans: tokens and BIO tags, overlap resolution, validation of outside answers, and agreement between
span annotators on a worked example computed by hand."""

import pytest

from gleaner.labeling.llm import judge_span_input
from gleaner.labeling.spans import (
    Span,
    pairwise_span_agreement,
    resolve_overlaps,
    span_at,
    span_f1,
    to_bio,
    token_kappa,
    tokenize,
    training_columns,
    validate_spans,
)

LABELS = ("BRAND", "MODEL", "MATERIAL", "PRODUCT_TYPE")
TITLE = "Vortex Blender 500"


def test_tokens_carry_offsets_and_split_punctuation():
    assert tokenize("Chef's Knife, 8in") == [(0, 4), (4, 5), (5, 6), (7, 12), (12, 13), (14, 17)]


def test_bio_tags_for_a_hugging_face_trainer():
    spans = [span_at("Acme Cast Iron Skillet", 0, 4, "BRAND"), span_at("Acme Cast Iron Skillet", 5, 14, "MATERIAL")]
    assert to_bio("Acme Cast Iron Skillet", spans) == (
        ["Acme", "Cast", "Iron", "Skillet"],
        ["B-BRAND", "B-MATERIAL", "I-MATERIAL", "O"],
    )


def test_published_span_columns():
    spans = [span_at(TITLE, 15, 18, "MODEL"), span_at(TITLE, 0, 6, "BRAND")]
    assert training_columns(TITLE, spans) == {
        "spans": [
            {"start": 0, "end": 6, "label": "BRAND", "text": "Vortex"},
            {"start": 15, "end": 18, "label": "MODEL", "text": "500"},
        ],
        "tokens": ["Vortex", "Blender", "500"],
        "ner_tags": ["B-BRAND", "O", "B-MODEL"],
    }


def test_adjacent_spans_of_one_label_each_begin_with_b():
    text = "Acme Globex"
    assert to_bio(text, [span_at(text, 0, 4, "BRAND"), span_at(text, 5, 11, "BRAND")])[1] == ["B-BRAND", "B-BRAND"]


def test_bio_refuses_overlapping_spans():
    with pytest.raises(ValueError, match="overlapping"):
        to_bio(TITLE, [span_at(TITLE, 0, 14, "BRAND"), span_at(TITLE, 7, 14, "PRODUCT_TYPE")])


def test_overlaps_resolve_longest_then_earliest_then_label_order():
    text = "Cast Iron Skillet"
    longest = span_at(text, 0, 9, "MATERIAL")
    assert resolve_overlaps([span_at(text, 5, 9, "MATERIAL"), longest], LABELS) == [longest]
    earliest = span_at(text, 0, 4, "MATERIAL")
    assert resolve_overlaps([span_at(text, 2, 6, "MATERIAL"), earliest], LABELS) == [earliest]
    tie = [span_at(text, 0, 4, "PRODUCT_TYPE"), span_at(text, 0, 4, "MATERIAL")]
    assert resolve_overlaps(tie, LABELS) == [tie[1]]  # MATERIAL is declared before PRODUCT_TYPE
    assert resolve_overlaps(tie, ("PRODUCT_TYPE", "MATERIAL")) == [tie[0]]


def test_a_valid_answer_becomes_spans_in_text_order():
    raw = [
        {"start": 15, "end": 18, "label": "MODEL", "text": "500"},
        {"start": 0, "end": 6, "label": "BRAND", "text": "Vortex"},
    ]
    check = validate_spans(TITLE, raw, LABELS)
    assert check.ok
    assert check.spans == (Span(0, 6, "BRAND", "Vortex"), Span(15, 18, "MODEL", "500"))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ([{"start": 15, "end": 19, "label": "MODEL", "text": "500"}], "offsets_outside_text: span 0 [15, 19)"),
        ([{"start": -1, "end": 3, "label": "MODEL", "text": "Vor"}], "offsets_outside_text"),
        ([{"start": 0, "end": 6, "label": "BRAND", "text": "Blender"}], "quote_mismatch: span 0 [0, 6) is 'Vortex'"),
        ([{"start": 0, "end": 6, "label": "MAKER", "text": "Vortex"}], "invalid_label: span 0 label 'MAKER'"),
        (
            [
                {"start": 0, "end": 14, "label": "BRAND", "text": "Vortex Blender"},
                {"start": 7, "end": 14, "label": "PRODUCT_TYPE", "text": "Blender"},
            ],
            "overlapping_spans: [0, 14) BRAND and [7, 14) PRODUCT_TYPE",
        ),
        ([{"start": "0", "end": 6, "label": "BRAND", "text": "Vortex"}], "invalid_span: span 0 offsets"),
        ([{"start": 0, "end": 6, "label": "BRAND"}], "invalid_span: span 0 does not quote its text"),
        ({"start": 0}, "invalid_spans: expected a list"),
        ([{"start": 0, "end": 6, "label": "BRAND", "text": "Vortex"}] * 2, "duplicate_span"),
    ],
)
def test_an_unusable_answer_gives_a_reason_never_an_exception(raw, reason):
    check = validate_spans(TITLE, raw, LABELS)
    assert not check.ok and check.spans == ()
    assert check.reason.startswith(reason)


def test_overlaps_pass_where_the_task_allows_them():
    raw = [
        {"start": 0, "end": 14, "label": "BRAND", "text": "Vortex Blender"},
        {"start": 7, "end": 14, "label": "PRODUCT_TYPE", "text": "Blender"},
    ]
    assert validate_spans(TITLE, raw, LABELS, allow_overlaps=True).ok


def test_llm_span_answers_are_judged_as_votes():
    good = judge_span_input(
        {"spans": [{"start": 7, "end": 14, "label": "PRODUCT_TYPE", "text": "Blender"}], "confidence": 0.9},
        TITLE,
        LABELS,
    )
    assert good.error is None and good.confidence == 0.9 and good.spans == (Span(7, 14, "PRODUCT_TYPE", "Blender"),)
    assert judge_span_input({"spans": [], "confidence": 1}, TITLE, LABELS).error is None  # "no entity" is a vote
    bad_offsets = {"spans": [{"start": 7, "end": 40, "label": "BRAND", "text": "Blender"}], "confidence": 0.9}
    assert judge_span_input(bad_offsets, TITLE, LABELS).error.startswith("offsets_outside_text")
    assert judge_span_input({"spans": []}, TITLE, LABELS).error == "invalid_tool_input: missing confidence"
    assert judge_span_input({"spans": [], "confidence": 2}, TITLE, LABELS).error.startswith("invalid_confidence")
    assert judge_span_input("spans", TITLE, LABELS).error.startswith("invalid_tool_input")


# The worked example, by hand.
#   item 1 "Vortex Blender 500", tokens Vortex | Blender | 500
#     left:  BRAND[0,6) PRODUCT_TYPE[7,14) MODEL[15,18)  -> B-BRAND B-PRODUCT_TYPE B-MODEL
#     right: BRAND[0,6) PRODUCT_TYPE[7,18)               -> B-BRAND B-PRODUCT_TYPE I-PRODUCT_TYPE
#   item 2 "Acme Cast Iron Skillet", tokens Acme | Cast | Iron | Skillet
#     left:  BRAND[0,4) MATERIAL[5,14) PRODUCT_TYPE[15,22)  -> B-BRAND B-MATERIAL I-MATERIAL B-PRODUCT_TYPE
#     right: BRAND[0,4) MATERIAL[10,14) PRODUCT_TYPE[15,22) -> B-BRAND O B-MATERIAL B-PRODUCT_TYPE
# Span F1: left has 6 spans, right 5; exact matches: BRAND (item 1), BRAND and PRODUCT_TYPE (item 2) = 3.
#   F1 = 2 * 3 / (6 + 5) = 6/11 = 0.5455
# Token kappa over 7 tokens: agreement on tokens 1, 2, 4, 7 -> p_o = 4/7.
#   left marginals:  B-BRAND 2, B-PRODUCT_TYPE 2, B-MODEL 1, B-MATERIAL 1, I-MATERIAL 1
#   right marginals: B-BRAND 2, B-PRODUCT_TYPE 2, I-PRODUCT_TYPE 1, O 1, B-MATERIAL 1
#   p_e = (2*2 + 2*2 + 1*1) / 49 = 9/49
#   kappa = (4/7 - 9/49) / (1 - 9/49) = (19/49) / (40/49) = 19/40 = 0.475
ITEMS = {"r1": "Vortex Blender 500", "r2": "Acme Cast Iron Skillet"}
LEFT = {
    "r1": [Span(0, 6, "BRAND", "Vortex"), Span(7, 14, "PRODUCT_TYPE", "Blender"), Span(15, 18, "MODEL", "500")],
    "r2": [Span(0, 4, "BRAND", "Acme"), Span(5, 14, "MATERIAL", "Cast Iron"), Span(15, 22, "PRODUCT_TYPE", "Skillet")],
}
RIGHT = {
    "r1": [Span(0, 6, "BRAND", "Vortex"), Span(7, 18, "PRODUCT_TYPE", "Blender 500")],
    "r2": [Span(0, 4, "BRAND", "Acme"), Span(10, 14, "MATERIAL", "Iron"), Span(15, 22, "PRODUCT_TYPE", "Skillet")],
}


def test_span_f1_and_token_kappa_match_the_hand_computation():
    left, right = [LEFT[i] for i in ITEMS], [RIGHT[i] for i in ITEMS]
    assert span_f1(left, right) == pytest.approx(6 / 11)
    assert token_kappa(list(ITEMS.values()), left, right) == pytest.approx(19 / 40)


def test_pairwise_rows_are_shaped_for_the_gate():
    votes = {"lf_gazetteer": LEFT, "human:ann": RIGHT, "llm": {"r1": LEFT["r1"]}}
    rows = {row["pair"]: row for row in pairwise_span_agreement(ITEMS, votes, min_shared=2)}
    assert set(rows) == {"human:ann ~ lf_gazetteer"}  # llm shares one item only
    assert rows["human:ann ~ lf_gazetteer"] == {
        "pair": "human:ann ~ lf_gazetteer",
        "left": "human:ann",
        "right": "lf_gazetteer",
        "n_shared": 2,
        "n_tokens": 7,
        "span_f1": 0.5455,
        "kappa": 0.475,
    }


def test_agreement_is_undefined_when_nothing_can_be_compared():
    assert span_f1([[]], [[]]) is None
    assert token_kappa(["Vortex"], [[]], [[]]) is None  # every token O: chance agreement is total
