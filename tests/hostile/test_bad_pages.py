"""Class 3: one hostile page is one failed row with its reason (or a page decoded with a note), and every other
page of the file or partition goes on; `gleaner extract` never refuses the whole file for one page."""

import io
import json

import polars as pl
import pytest
from conftest import isolated_environment
from corpus import DAY, SHOP, failed_rows, gleaner, good_pages, make_drop, page, partition_table
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from gleaner.drops.warc_read import iter_warc_pages
from gleaner.extract import run_extract
from gleaner.pages import decode_html

BAD_URLS = {
    "http://[::1::2]/p": "invalid page URL 'http://[::1::2]/p': '::1::2' does not appear to be an IPv4 or IPv6 address",
    "http://shop.example:99999/p": "invalid page URL 'http://shop.example:99999/p': Port out of range 0-65535",
    "http://[zz]/p": "invalid page URL 'http://[zz]/p': 'zz' does not appear to be an IPv4 or IPv6 address",
}
CHARSETS = ["base64", "rot13", "punycode", "no-such-charset", "utf-7", "hex"]


def _jsonld_page(review_id: str, body: str, author: str, with_id: bool = True) -> str:
    review = {
        "@type": "Review", "@id": review_id, "reviewBody": body, "author": {"@type": "Person", "name": author},
        "reviewRating": {"@type": "Rating", "ratingValue": 4, "bestRating": 5},
    }  # fmt: skip
    if not with_id:  # the record's key is then a hash of product, author, date and text
        del review["@id"]
    data = {"@context": "https://schema.org", "@type": "Product", "name": "kettle", "productID": f"k-{review_id}",
            "review": [review]}  # fmt: skip
    return f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head><body></body></html>'


def _warc(path, records: list[tuple[str, str, bytes]]) -> None:
    """(url, Content-Type, body) responses as a per-record gzip WARC, the way another tool would write them."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, content_type, body in records:
            headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          http_headers=headers))  # fmt: skip


GOOD = (
    "http://shop.example/ok",
    "text/html; charset=utf-8",
    _jsonld_page("good-1", "a fine kettle that works", "ana").encode(),
)


def test_an_invalid_url_is_one_failed_page_in_a_warc(tmp_path):
    warc = tmp_path / "pages.warc.gz"
    _warc(warc, [(url, "text/html", b"<html>x</html>") for url in BAD_URLS] + [GOOD])
    with warc.open("rb") as fh:
        pages = list(
            iter_warc_pages(fh, __import__("datetime").datetime(2026, 11, 20, tzinfo=__import__("datetime").UTC))
        )
    assert [p.error for p in pages] == [*BAD_URLS.values(), None]


def test_gleaner_extract_keeps_going_past_bad_urls_charsets_and_surrogates(tmp_path):
    warc = tmp_path / "pages.warc.gz"
    records = [(url, "text/html", b"<html>x</html>") for url in BAD_URLS]
    records += [
        (
            f"http://shop.example/cs-{cs}",
            f"text/html; charset={cs}",
            _jsonld_page(f"cs-{cs}", f"kettle review {cs}", "bo").encode(),
        )
        for cs in CHARSETS
    ]
    surrogate_text = _jsonld_page("sur-1", "x", "cy").replace('"x"', '"broken \\ud800 text"').encode()
    surrogate_author = _jsonld_page("sur-2", "a kettle with an odd author", "x").replace('"x"', '"d\\udc00"').encode()
    surrogate_unkeyed = _jsonld_page("sur-3", "x", "cy", with_id=False).replace('"x"', '"no id \\ud801 here"')
    surrogate_id = _jsonld_page("sur-4", "a kettle whose review id is odd", "ek").replace('"sur-4"', '"sur-\\udc01"')
    records += [
        ("http://shop.example/s1", "text/html", surrogate_text),
        ("http://shop.example/s2", "text/html", surrogate_author),
        ("http://shop.example/s3", "text/html", surrogate_unkeyed.encode()),
        ("http://shop.example/s4", "text/html", surrogate_id.encode()),
    ]
    records.append(GOOD)
    _warc(warc, records)
    batch = run_extract("schema_org_reviews", warc, tmp_path / "out")
    assert batch.reconciles and batch.pages_in == len(records)
    reviews = sorted(batch.records_frame()["review_id"].to_list())
    assert reviews == sorted(["good-1", *(f"cs-{cs}" for cs in CHARSETS)])
    failed = pl.read_parquet(tmp_path / "out" / "failed_records.parquet")
    reasons = sorted(zip(failed["stage"], failed["reason"], strict=True))
    assert reasons == sorted(
        [("fetch", reason) for reason in BAD_URLS.values()]
        + [
            ("validate", "text contains an unpaired surrogate (invalid Unicode): 'broken \\\\ud800 text'"),
            ("validate", "author contains an unpaired surrogate (invalid Unicode): 'd\\\\udc00'"),
            ("validate", "text contains an unpaired surrogate (invalid Unicode): 'no id \\\\ud801 here'"),
            ("validate", "review_id contains an unpaired surrogate (invalid Unicode): 'sur-\\\\udc01'"),
        ]
    )
    for cs in CHARSETS:  # decoded as utf-8, and the page says why
        assert decode_html(b"<html>x</html>", f"text/html; charset={cs}")[1].startswith(f"unknown charset '{cs}'")


def test_the_extract_command_exits_0_on_such_a_file(tmp_path):
    warc = tmp_path / "pages.warc.gz"
    _warc(warc, [(url, "text/html", b"<html>x</html>") for url in BAD_URLS] + [GOOD])
    result = gleaner(["extract", "--source", "schema_org_reviews", str(warc), "--out", str(tmp_path / "o")], {})
    assert result.returncode == 0, result.stderr
    assert "pages: 4 in = 1 yielded + 0 with no records + 3 failed" in result.stdout


@pytest.mark.hostile_slow
def test_ingest_of_a_partition_with_hostile_pages_keeps_the_others(tmp_path):
    env = isolated_environment(tmp_path)
    hostile = [page(f"{SHOP}/acme/product/c-{cs}", None, 200, None) for cs in ()] + [
        page(
            f"{SHOP}/acme/product/sur",
            '<html><h1 class="product-name" data-product-id="sur">s</h1><section id="reviews">'
            '<article class="review" data-review-id="sur1"><p class="review-text">fine \ud800 text</p>'
            '<span class="rating" data-rating="4"></span></article></section></html>',
        )
    ]
    make_drop(tmp_path / "drops", "d1", good_pages(3) + hostile)
    warc_dir = tmp_path / "drops" / "acme" / DAY / "d2"
    warc_dir.mkdir(parents=True)
    _warc(warc_dir / "pages.warc.gz", [(url, "text/html", b"<html>x</html>") for url in BAD_URLS])
    (warc_dir / "_COMPLETE").write_text("{}")
    result = gleaner(["ingest", "--source", "acme", "--date", DAY], env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    records = partition_table(tmp_path, "canonical_records")
    assert records.height == 7  # the rendered DOM's lone surrogate was stored as U+FFFD, the review kept
    assert records.filter(records["review_id"].str.ends_with("sur1"))["text"].to_list() == ["fine \ufffd text"]
    assert [r for r in failed_rows(tmp_path) if r[0] == "fetch"] == sorted(("fetch", r) for r in BAD_URLS.values())
