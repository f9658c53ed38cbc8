import pytest

from gleaner.ratings import RatingError, normalize_rating


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
