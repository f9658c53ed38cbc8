"""The gate's schema check validates all rows in one call and gives the verdict and the error details a
validation per row gave (the old implementation is kept here as the reference)."""

import random
from datetime import UTC, datetime

import polars as pl
from pydantic import BaseModel, Field, ValidationError, model_validator

from gleaner.dataset.gate import KnownValid, check_schema, check_schema_knowing, schema_key
from gleaner.schemas import ProductPage, ProductReview


def _per_row(rows: list[dict], model: type[BaseModel]) -> list[str]:
    """The check as it was: one `model_validate` per row."""
    bad = []
    for row in rows:
        try:
            model.model_validate({k: v for k, v in row.items() if k in model.model_fields})
        except ValidationError as exc:
            reason = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}" for e in exc.errors())
            bad.append(f"{row.get('record_id')}: {reason}")
    return bad


class Sized(BaseModel):
    """A record with nested fields and a model-level validator: errors located deeper and at the record."""

    record_id: str = Field(min_length=8)
    sizes: list[int] = Field(default_factory=list)
    low: float = 0
    high: float = 1

    @model_validator(mode="after")
    def _ordered(self) -> "Sized":
        if self.low > self.high:
            raise ValueError("low above high")
        return self


def _review(rng: random.Random, n: int) -> dict:
    row = {
        "record_id": f"rec{n:08d}",
        "review_id": f"r{n}",
        "product_id": "p1",
        "source": "acme",
        "page_url": "https://acme.test/p1",
        "scraped_at": datetime(2026, 11, 2, tzinfo=UTC),
        "text": "Works well.",
        "rating": 4.0,
        "rating_scale": 5.0,
        "word_count": 2,
        "label": "positive",  # not a field of the record: ignored
        "split": "train",
    }
    breakage = rng.randrange(8)
    if breakage == 1:
        row["rating"] = rng.choice([0.0, 7.5, "five", None])
    elif breakage == 2:
        row["scraped_at"] = datetime(2026, 11, 2)  # naive: the record's own validator refuses it
    elif breakage == 3:
        del row["text"]
        row["word_count"] = 0
    elif breakage == 4:
        row["record_id"] = "short"
        row["page_url"] = rng.choice(["ftp://x", "", None])
    return row


def _sized(rng: random.Random, n: int) -> dict:
    row = {"record_id": f"sized{n:05d}", "sizes": [1, 2, 3], "low": 0.0, "high": 1.0}
    breakage = rng.randrange(5)
    if breakage == 1:
        row["sizes"] = [1, "two", 3, "four"]
    elif breakage == 2:
        row["low"] = 5.0
    elif breakage == 3:
        row["high"] = "high"
        row["record_id"] = None
    return row


def test_one_call_gives_the_per_row_verdicts_and_details():
    rng = random.Random(11)
    cases = [
        ([_review(rng, n) for n in range(600)], ProductReview),
        ([_sized(rng, n) for n in range(300)], Sized),
        ([{"record_id": f"page{n:05d}", "title": "Kettle"} for n in range(20)], ProductPage),  # all missing fields
    ]
    for rows, model in cases:
        verdict = check_schema(rows, model)
        expected = _per_row(rows, model)
        assert expected and not verdict.passed
        assert verdict.details == {"invalid_rows": len(expected), "examples": expected[:5]}
        # every row's reason, not only the first five: the same rows, in the same order, with the same text
        assert _all_reasons(rows, model) == expected
    valid = [row for row in cases[0][0] if not _per_row([row], ProductReview)]
    assert check_schema(valid, ProductReview).passed and check_schema([], ProductReview).passed


def _all_reasons(rows: list[dict], model: type[BaseModel]) -> list[str]:
    from gleaner.dataset.gate import _invalid_rows

    return [f"{rows[index].get('record_id')}: {reason}" for index, reason in _invalid_rows(model, rows).items()]


def _review_frame(first: int, n: int) -> pl.DataFrame:
    """Reviews as the candidate holds them (typed columns, label and split besides); every seventh has a
    rating off the scale and every eleventh a record id too short."""
    rows = [
        {
            **_review(random.Random(0), 0),
            "record_id": f"rec{k:08d}" if k % 11 else "short",
            "review_id": f"r{k}",
            "text": f"Review number {k} works well.",
            "rating": 9.0 if k % 7 == 0 else 4.0,
        }
        for k in range(first, first + n)
    ]
    return pl.DataFrame(rows).select(
        "record_id", "review_id", "product_id", "source", "page_url", "scraped_at", "text", "rating",
        "rating_scale", "word_count", "label", "split",
    )  # fmt: skip


def test_rows_known_valid_are_not_validated_again_and_the_verdict_is_unchanged():
    day1 = _review_frame(0, 300)
    full = check_schema(day1, ProductReview)
    verdict, known, validated = check_schema_knowing(day1, ProductReview, None)
    assert not full.passed and verdict == full and validated == 300
    invalid = full.details["invalid_rows"]
    assert known.fingerprints.height == 300 - invalid  # only valid rows are vouched for

    again, known_again, validated = check_schema_knowing(day1, ProductReview, known)
    assert again == full and validated == invalid  # an invalid row is never known: found again, same reason
    assert known_again.fingerprints.equals(known.fingerprints)

    # the next build: a day of new rows, one old row now off the scale, one old row's text changed
    old = day1.with_columns(
        rating=pl.when(pl.col("record_id") == "rec00000001").then(9.5).otherwise(pl.col("rating")),
        text=pl.when(pl.col("record_id") == "rec00000002").then(pl.lit(" ")).otherwise(pl.col("text")),
    )
    grown = pl.concat([old, _review_frame(300, 100)])
    verdict, _, validated = check_schema_knowing(grown, ProductReview, known)
    assert verdict == check_schema(grown, ProductReview)
    assert {"rec00000001", "rec00000002"} <= {e.split(":")[0] for e in verdict.details["examples"]}
    assert validated == invalid + 2 + 100

    # fingerprints are worth nothing under another key: another model, code, column type or polars
    assert check_schema_knowing(day1, ProductReview, KnownValid("another", known.fingerprints))[2] == 300
    retyped = day1.with_columns(pl.col("word_count").cast(pl.Int32))
    assert schema_key(ProductReview, retyped) != known.key
    assert check_schema_knowing(retyped, ProductReview, known)[2] == 300
    # a categorical is hashed by its code in this process's string cache: such rows are never fingerprinted
    coded = day1.with_columns(pl.col("source").cast(pl.Categorical))
    assert schema_key(ProductReview, coded) is None
    assert check_schema_knowing(coded, ProductReview, known)[1:] == (None, 300)


def test_a_model_from_outside_the_package_is_always_validated_in_full():
    frame = pl.DataFrame(
        {"record_id": ["sized00001", "sized00002", "short"], "sizes": [[1], [2, 3], []], "low": [0.0, 4.0, 0.0],
         "high": [1.0, 2.0, 1.0]}
    )  # fmt: skip
    verdict, known, validated = check_schema_knowing(frame, Sized, None)
    assert known is None and validated == frame.height and verdict == check_schema(frame, Sized)
    assert schema_key(Sized, frame) is None
