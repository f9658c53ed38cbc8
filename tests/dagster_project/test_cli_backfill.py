"""`gleaner backfill`: the date range it expands to and the mistakes it refuses before running anything."""

import pytest

from dagster_project.cli import days_between, main


def test_a_range_is_inclusive_and_in_date_order():
    assert days_between("2026-11-29", "2026-12-02") == ["2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02"]
    assert days_between("2026-11-20", "2026-11-20") == ["2026-11-20"]


def test_a_backwards_range_is_refused_with_both_dates_named():
    with pytest.raises(SystemExit, match="--to 2026-11-14 is before --from 2026-11-20"):
        days_between("2026-11-20", "2026-11-14")


def test_an_unknown_source_is_refused_naming_the_configured_ones():
    with pytest.raises(SystemExit, match="unknown source.*nosuch.*configured: acme, globex"):
        main(["backfill", "--source", "nosuch", "--from", "2026-11-18", "--to", "2026-11-19"])
