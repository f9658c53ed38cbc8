import pytest
from hypothesis import given
from hypothesis import strategies as st

from gleaner.extract.ratings import RatingError, normalize_rating, split_rating_text


@pytest.mark.parametrize(
    ("value", "best", "worst", "expected"),
    [
        (5, None, None, (5.0, 5.0)),
        ("4,5", None, None, (4.5, 5.0)),
        (" 5.0 ", "5", None, (5.0, 5.0)),
        (8, 10, None, (4.2, 10.0)),
        (80, None, None, (4.2, 100.0)),
        (0, 10, 0, (1.0, 10.0)),
        (3, 5, 1, (3.0, 5.0)),
    ],
)
def test_scales_map_onto_one_to_five(value, best, worst, expected):
    assert normalize_rating(value, best, worst) == expected


@pytest.mark.parametrize(
    ("value", "best", "message"),
    [(7, 5, "outside"), ("five", None, "not a number"), (True, None, "boolean"), (250, None, "above every")],
)
def test_unusable_ratings_say_why(value, best, message):
    with pytest.raises(RatingError, match=message):
        normalize_rating(value, best)


# ---------------------------------------------------------------- printed forms and properties (hypothesis)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4.5 out of 5 stars", ("4.5", "5", None)),
        ("Score: 8/10", ("8", "10", None)),
        ("4,5 von 5 Sternen", ("4,5", "5", None)),
        ("80%", ("80", 100, 0)),
        ("Rating: 4", ("4", None, None)),
        ("★★★★☆", (4, 5, None)),
        ("★★★", (3, None, None)),
        ("12/2025 rated 4", ("12/2025 rated 4", None, None)),  # a date, not a scale: left for the error
        ("5 stars from 120 reviews", ("5 stars from 120 reviews", None, None)),
    ],
)
def test_printed_ratings_are_split_into_value_and_scale(text, expected):
    assert split_rating_text(text) == expected


SCALES = st.sampled_from([(5, 1), (5, 0), (10, 0), (10, 1), (100, 0)])


@given(SCALES, st.floats(0, 1))
def test_every_rating_on_a_scale_lands_in_1_to_5_with_endpoints_fixed(scale_worst, fraction):
    best, worst = scale_worst
    value = worst + fraction * (best - worst)
    rating, scale = normalize_rating(value, best, worst)
    assert 1 <= rating <= 5 and scale == best
    assert normalize_rating(worst, best, worst)[0] == 1.0 and normalize_rating(best, best, worst)[0] == 5.0


@given(SCALES, st.floats(0, 1), st.floats(0, 1))
def test_normalization_preserves_order(scale_worst, a, b):
    best, worst = scale_worst
    low, high = sorted((a, b))
    span = best - worst
    assert normalize_rating(worst + low * span, best, worst)[0] <= normalize_rating(worst + high * span, best, worst)[0]


@given(st.integers(0, 100), st.integers(0, 99))
def test_decimal_comma_and_point_spellings_agree(whole, decimals):
    point, comma = f"{whole}.{decimals:02d}", f"{whole},{decimals:02d}"
    try:
        expected = normalize_rating(point, 100)
    except RatingError:
        with pytest.raises(RatingError):
            normalize_rating(comma, 100)
        return
    assert normalize_rating(comma, 100) == expected == normalize_rating(f" {point} ", "100")


@given(st.integers(1, 10), st.sampled_from([5, 10]))
def test_out_of_text_means_the_same_as_the_numbers(value, best):
    printed, text_best, _ = split_rating_text(f"{value} out of {best}")
    if value > best:
        assert (printed, text_best) == (f"{value} out of {best}", None)
    else:
        assert normalize_rating(printed, text_best) == normalize_rating(value, best)


@given(st.one_of(st.text(max_size=20), st.none(), st.booleans(), st.floats(allow_nan=True), st.lists(st.integers())))
def test_anything_unusable_is_a_rating_error_never_another_exception(value):
    try:
        rating, _ = normalize_rating(*split_rating_text(value)[:1])
    except RatingError:
        return
    assert 1 <= rating <= 5
