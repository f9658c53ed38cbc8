from __future__ import annotations

import random

import pytest

from gleaner.labeling.pii import ADDRESS, CARD, EMAIL, PHONE, luhn_valid, scrub, scrub_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Write to jane.doe@example.com for details", "Write to [EMAIL] for details"),
        ("jane.doe+reviews@mail.example.co.uk.", "[EMAIL]."),
        ("Contact: J_O-E99@sub-domain.example.io, thanks", "Contact: [EMAIL], thanks"),
        ("(ceo@acme.com)", "([EMAIL])"),
    ],
)
def test_emails(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Visa 4111 1111 1111 1111 was charged twice", "Visa [CARD] was charged twice"),
        ("card 4111-1111-1111-1111, refund please", "card [CARD], refund please"),
        ("paid with 4111111111111111.", "paid with [CARD]."),
        ("amex 3782 822463 10005 declined", "amex [CARD] declined"),
        ("13 digits 4222222222222 still count", "13 digits [CARD] still count"),
        ("Mastercard 5500 0055 5555 5559 ok", "Mastercard [CARD] ok"),
    ],
)
def test_cards_that_pass_luhn(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "1234 5678 9012 3456 fails the checksum",  # card layout, Luhn invalid
        "ISBN 978-3-16-148410-0 is a great book",  # dashed 13 digits in ISBN layout
        "order 0000000000000000 was lost",  # passes Luhn but is not a PAN
        "tracking 9400111899223100012345678 arrived",  # 25 digits, longer than any card
    ],
)
def test_card_false_positives(text: str) -> None:
    assert scrub(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call (555) 123-4567 today", "call [PHONE] today"),
        ("call 555-123-4567.", "call [PHONE]."),
        ("555.123.4567 or 555 123 4567", "[PHONE] or [PHONE]"),
        ("toll free 1-800-555-0199!", "toll free [PHONE]!"),
        ("US +1 415-555-0132 office", "US [PHONE] office"),
        ("+1 (415) 555-0132", "[PHONE]"),
        ("UK +44 20 7946 0958, ask for Sam", "UK [PHONE], ask for Sam"),
        ("DE +49 (0)30 1234567", "DE [PHONE]"),
        ("FR +33 1 23 45 67 89.", "FR [PHONE]."),
        ("JP +81-3-1234-5678", "JP [PHONE]"),
        ("IN +919876543210", "IN [PHONE]"),
    ],
)
def test_phones(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ship to 1600 Pennsylvania Avenue NW please", "Ship to [ADDRESS] please"),
        ("I live at 42 Oak Rd. and love it", "I live at [ADDRESS] and love it"),
        ("221B Baker Street. Next sentence", "[ADDRESS]. Next sentence"),
        ("store on 350 5th Ave was out of stock", "store on [ADDRESS] was out of stock"),
        ("at 7 Martin Luther King Jr Blvd, Suite 200 downtown", "at [ADDRESS] downtown"),
        ("12 Elm St, Apt 4B", "[ADDRESS]"),
        ("90 O'Connell Street", "[ADDRESS]"),
        ("3 Maple Lane #12 is mine", "[ADDRESS] is mine"),
        ("delivered to 1 Infinite Loop Drive", "delivered to [ADDRESS]"),
        ("14 N Main St", "[ADDRESS]"),
    ],
)
def test_street_addresses(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Rated 4.5/5 stars, 4.5 out of 5",
        "bought in 2019, broke in 2021",
        "Sony WH-1000XM4 vs Bose QC45, model SM-G991B",
        "order number 1234567890 never arrived",  # unseparated 10 digits: not treated as a phone
        "$1,299.99 was too much; 20% off",
        "delivered 2023-10-05, returned 10-12-2023",
        "version 1.2.3, open 12:30-14:45, score 3-2",
        "+5 stars from me, +1.5 points",
        "after 2 weeks on the road it broke",  # lower-case words before a suffix are not a street
        "a 2 TB drive and 16 GB RAM",
        "Samsung 970 EVO Plus is fast",
        "Route 66 Road trip was fun",  # number directly before the suffix, no street name
        "5 Stars, would buy again",
        "call me at 555-1234",  # 7-digit local number: documented gap, left alone
        "serial AB555-123-4567 and part 12.555.123.4567",  # phone-shaped tails of longer tokens
    ],
)
def test_product_review_vocabulary_is_left_alone(text: str) -> None:
    assert scrub(text) == text


def test_counts_and_mixed_text() -> None:
    text = (
        "Terrible. Email bob@example.org or call +44 20 7946 0958 / (555) 123-4567. "
        "They charged 4111 1111 1111 1111 and shipped to 10 Downing Street instead. 1/5"
    )
    result = scrub_text(text)
    assert result.counts == {EMAIL: 1, PHONE: 2, CARD: 1, ADDRESS: 1}
    assert result.total == 5
    assert result.text == (
        "Terrible. Email [EMAIL] or call [PHONE] / [PHONE]. They charged [CARD] and shipped to [ADDRESS] instead. 1/5"
    )


def test_clean_text_reports_nothing() -> None:
    result = scrub_text("Great headphones, 4.5 stars, bought 2 in 2024.")
    assert result.counts == {}
    assert result.total == 0


def test_scrub_is_idempotent() -> None:
    once = scrub("Mail a@b.io, card 5500 0055 5555 5559, call 555-123-4567, 9 Elm St")
    assert scrub(once) == once
    assert "[" in once and "@" not in once and "5559" not in once


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("4111111111111111", True),
        ("378282246310005", True),
        ("79927398713", True),  # the textbook example
        ("79927398710", False),
        ("4111111111111112", False),
        ("", False),
        ("4111-1111", False),
    ],
)
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


def test_skipping_the_patterns_a_text_cannot_match_changes_no_answer():
    """`scrub_text` runs the email pattern only on text with an `@` and the others only on text with a
    digit (Unicode digits too: `\\d` matches them); every answer is the one running all of them gives."""
    from collections import Counter

    from gleaner.labeling import pii

    def every_pattern(text: str) -> pii.ScrubResult:
        counts: Counter[str] = Counter()
        text = pii._replace_simple(pii._EMAIL_RE, pii.EMAIL, text, counts)
        text = pii._replace_cards(text, counts)
        text = pii._replace_phones(text, counts)
        text = pii._replace_simple(pii._ADDRESS_RE, pii.ADDRESS, text, counts)
        return pii.ScrubResult(text, {k: v for k, v in counts.items() if v})

    pieces = [
        "great blender", "mail me at jo.b@example.com", "call (415) 555-0132", "+44 20 7946 0958", "4.5/5",
        "card 4111 1111 1111 1111", "221B Baker Street", "12 Main St.", "x@y", "a+b", "no digits, no at",
        "\u0664\u0661\u0665 \u0665\u0665\u0665 \u0660\u0661\u0663\u0662",  # Arabic-Indic digits
        "\uff14\uff11\uff15-\uff15\uff15\uff15-\uff10\uff11\uff13\uff12",  # full-width digits
        "jo1@example.com then 555-0132", "\u0663\u0663 Elm Avenue",
    ]  # fmt: skip
    rng = random.Random(5)
    texts = pieces + [" ".join(rng.choices(pieces, k=rng.randint(1, 4))) for _ in range(400)]
    for text in texts:
        assert pii.scrub_text(text) == every_pattern(text), text
