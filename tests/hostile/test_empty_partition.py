"""Class 1: a partition whose pages yield no record runs through every stage and writes typed, empty tables
with its counts; it never fails on an untyped empty column."""

import polars as pl
import pytest
from conftest import isolated_environment
from corpus import DATASETS, DAY, SHOP, failed_rows, gleaner, make_drop, page, partition_table

from gleaner.dedup import dedup
from gleaner.extract import ExtractionSpec
from gleaner.extract.batch import FAILED_SCHEMA, RECORD_SCHEMA, extract_batch, failures_frame, records_frame

pytestmark = pytest.mark.hostile_slow

EMPTY_CASES = {
    "every page http 500": [page(f"{SHOP}/acme/p{i}", "<html>oops</html>", 500, "http 500") for i in range(3)],
    "no review markup anywhere": [
        page(f"{SHOP}/acme/p{i}", f"<html><body>about us {i}</body></html>") for i in range(3)
    ],
    "markup changed: selectors match nothing": [
        page(f"{SHOP}/acme/p{i}", f'<html><div class="rv-new">nice {i}</div></html>') for i in range(2)
    ],
    "a drop with no page at all": [],
}


def test_dedup_of_nothing_gives_a_typed_removal_log():
    result = dedup([], [], [])
    assert result.kept_ids == [] and result.removals.height == 0
    assert result.removals.schema["removed_id"] == pl.String and result.removals.schema["kept_id"] == pl.String
    assert pl.concat([result.removals, result.removals]).height == 0  # what deduped_records does with it


def test_extraction_of_no_page_gives_typed_empty_tables():
    batch = extract_batch([], ExtractionSpec("schema_org_reviews"))
    assert batch.counts() == dict.fromkeys(
        ["pages_in", "pages_yielded", "pages_no_records", "pages_failed", "records", "failed_rows"], 0
    )
    assert records_frame([]).schema == pl.Schema(RECORD_SCHEMA) and failures_frame([]).schema == pl.Schema(
        FAILED_SCHEMA
    )


@pytest.mark.parametrize("case", sorted(EMPTY_CASES))
def test_an_empty_partition_ingests_and_every_stage_writes_a_typed_empty_table(tmp_path, case):
    env = isolated_environment(tmp_path)
    pages = EMPTY_CASES[case]
    make_drop(tmp_path / "drops", "d1", pages)
    result = gleaner(["ingest", "--source", "acme", "--date", DAY], env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stdout + result.stderr
    assert partition_table(tmp_path, "raw_pages").height == len(pages)
    for dataset in DATASETS:  # the review and the product-title dataset alike
        for asset in ("canonical_records", "deduped_records", "near_duplicates", "labels", "review_tasks"):
            table = partition_table(tmp_path, asset, dataset=dataset)
            assert table.height == 0, (dataset, asset)
            assert pl.Null not in table.schema.dtypes(), (dataset, asset, table.schema)
        failures = failed_rows(tmp_path, dataset=dataset)
        if case == "every page http 500":
            assert failures == [("fetch", "http 500")] * 3, dataset
        else:
            assert failures == [], dataset
