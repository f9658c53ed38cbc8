"""The per-partition loop shared by the asset and `gleaner extract`: every page counted, every loss explained."""

import json
from datetime import UTC, datetime

from gleaner.extract.batch import RECORD_SCHEMA, extract_batch, failures_frame, records_frame
from gleaner.extract.page import ExtractionSpec, extract_page
from gleaner.pages import FetchedPage

WHEN = datetime(2026, 11, 20, tzinfo=UTC)


def _page(url, html, status=200, error=None):
    return FetchedPage.of("shop", url, status, html, error, WHEN)


def _ld(*reviews, raw_suffix=""):
    data = {"@type": "Product", "sku": "K-1", "review": list(reviews)}
    return f'<html lang="en"><script type="application/ld+json">{json.dumps(data)[:-1]},{raw_suffix}}}</script></html>'


def _review(rid, text, rating):
    return {"@type": "Review", "identifier": rid, "reviewBody": text, "reviewRating": {"ratingValue": rating}}


def test_batch_reconciles_and_explains_every_loss():
    pages = [
        _page("https://s.test/a", _ld(_review("rev-1", "Good.", 5), _review("rev-2", "Bad rating.", 420))),
        _page("https://s.test/a-copy", _ld(_review("rev-1", "Good.", 5))),  # same product under a second URL
        _page("https://s.test/about", "<html><p>About</p></html>"),
        _page("https://s.test/gone", None, status=None, error="connection reset"),
        _page("https://s.test/b", _ld(_review("rev-3", "Fine.", 3), _review("rev-4", "", 4))),
    ]
    batch = extract_batch(pages, ExtractionSpec())
    assert batch.reconciles and batch.counts() == {
        "pages_in": 5,
        "pages_yielded": 3,
        "pages_no_records": 1,
        "pages_failed": 1,
        "records": 2,  # rev-1 and rev-3; rev-1's copy, rev-2 and rev-4 are failure rows
        "failed_rows": 4,
    }
    records = batch.records_frame()
    assert records["record_id"].to_list() == sorted(batch.kept_from) and records["record_id"].is_unique().all()
    assert set(records["review_id"]) == {"rev-1", "rev-3"} and batch.by_extraction == {"json-ld": 2}
    assert batch.failure_reasons() == {
        "validate: rating 420 is above every known scale": 1,
        "validate: duplicate record_id <id>: the same review already came from <url>": 1,
        "fetch: connection reset": 1,
        "validate: text: review has no text": 1,
    }
    assert batch.no_record_reasons == {"no schema.org review markup": 1}
    assert batch.notes == {"JSON-LD block repaired: removed trailing commas": 2}  # kept records only


def test_frames_have_the_contract_columns_even_when_empty():
    assert records_frame([]).columns[:3] == ["record_id", "review_id", "product_id"]
    assert failures_frame([]).columns == ["source", "page_url", "stage", "reason", "offending"]


def test_worker_processes_give_the_same_tables_to_the_byte(monkeypatch):
    import io

    import gleaner.extract.batch as batch_module

    monkeypatch.setattr(batch_module, "PARALLEL_MIN_PAGES", 4)
    monkeypatch.setattr(batch_module, "CHUNK_PAGES", 3)
    pages = [
        _page(f"https://s.test/p{n}", _ld(*(_review(f"rev-{n}-{k}", f"Review {k} of {n}, fine.", k) for k in range(4))))
        for n in range(12)
    ]
    pages += [_page("https://s.test/copy", _ld(_review("rev-3-1", "Review 1 of 3, fine.", 1)))]
    pages += [_page("https://s.test/gone", None, status=None, error="timeout"), _page("https://s.test/x", "<p>x</p>")]

    def tables(workers):
        batch = extract_batch(pages, ExtractionSpec(), workers=workers)
        frames = (batch.records_frame(), failures_frame(batch.failures))
        written = []
        for frame in frames:
            buffer = io.BytesIO()
            frame.write_parquet(buffer)
            written.append(buffer.getvalue())
        return written, batch.failures, batch.counts(), batch.notes, batch.outcomes

    serial, parallel = tables(1), tables(2)
    assert serial == parallel
    assert serial[2]["pages_in"] == 15 and serial[2]["failed_rows"] >= 2


def test_the_records_table_holds_what_model_dump_gives():
    """`records_frame` reads each record's field dict instead of `model_dump`: the same table, for reviews
    and product pages, and neither model has what would make the two differ."""
    import polars as pl

    from gleaner.extract.product_pages import PRODUCT_PAGE_SCHEMA, extract_product_page
    from gleaner.schemas import ProductPage, ProductReview

    pages = [_page(f"https://s.test/{n}", _ld(_review(f"rev-{n}", f"Review number {n}.", 1 + n % 5))) for n in range(6)]
    reviews = [r for page in pages for r in extract_page(page, ExtractionSpec()).records]
    products = [
        r
        for page in pages
        for r in extract_product_page(
            _page(
                page.url,
                '<html><script type="application/ld+json">{"@type": "Product", "name": "Kettle", '
                f'"sku": "K-{page.url[-1]}"}}</script></html>',
            )  # fmt: skip
        ).records
    ]
    assert len(reviews) == 6 and len(products) == 6
    for records, schema in ((reviews, RECORD_SCHEMA), (products, PRODUCT_PAGE_SCHEMA)):
        dumped = pl.DataFrame([r.model_dump() for r in records], schema=schema, orient="row")
        assert records_frame(records, schema).equals(dumped.sort("record_id"))
    for model in (ProductReview, ProductPage):
        assert not model.model_computed_fields
        assert all(f.alias is None and f.serialization_alias is None for f in model.model_fields.values())
        assert "serialization" not in str(model.__pydantic_core_schema__)  # no field or model serializer


def test_a_batch_holds_its_records_as_tables_and_gives_the_table_its_models_give(monkeypatch):
    """Kept records go into tables of `RECORDS_PER_FRAME` rows as they come (not held as model objects);
    the table they add up to is the one `records_frame` builds from the models, duplicates left out."""
    import gleaner.extract.batch as batch_module

    monkeypatch.setattr(batch_module, "RECORDS_PER_FRAME", 4)
    reviews = [[_review(f"rev-{n}-{k}", f"Review {k} of {n}, fine.", 1 + k) for k in range(3)] for n in range(5)]
    pages = [_page(f"https://s.test/p{n}", _ld(*of_page)) for n, of_page in enumerate(reviews)]
    pages.append(_page("https://s.test/again", _ld(_review("rev-2-1", "Review 1 of 2, fine.", 2))))
    batch = extract_batch(pages, ExtractionSpec(), workers=1)
    assert len(batch._frames) == 3  # 15 records: three full tables, three rows still gathering
    models = [r for page in pages[:-1] for r in extract_page(page, ExtractionSpec()).records]
    assert batch.records_frame().equals(records_frame(models)) and batch.counts()["records"] == 15
