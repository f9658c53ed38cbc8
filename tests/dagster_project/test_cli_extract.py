"""`gleaner extract` on a WARC and on a folder of saved pages: the pipeline's extraction, on local files."""

import gzip
import json
from io import BytesIO

import polars as pl
from conftest import run_cli
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from dagster_project.cli import main
from gleaner.schemas import ProductReview


def _ld(sku: str, *reviews: tuple[str, object]) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "sku": sku,
        "review": [{"@type": "Review", "reviewBody": text, "reviewRating": {"ratingValue": r}} for text, r in reviews],
    }
    return f'<html lang="en"><script type="application/ld+json">{json.dumps(data)}</script></html>'


MICRODATA = (
    '<html lang="fr"><div itemscope itemtype="http://schema.org/Product"><meta itemprop="sku" content="MD-1">'
    '<div itemprop="review" itemscope itemtype="http://schema.org/Review"><span itemprop="reviewBody">'
    'Très bon café</span><span itemprop="reviewRating">4</span></div></div></html>'
)


def _response(writer, url, status, body: bytes, content_type="text/html; charset=utf-8"):
    headers = StatusAndHeaders(
        f"{status} X", [("Content-Type", content_type), ("Content-Length", str(len(body)))], protocol="HTTP/1.1"
    )
    writer.write_record(
        writer.create_warc_record(url, "response", payload=BytesIO(body), length=len(body), http_headers=headers)
    )


def _write_warc(path):
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        req = StatusAndHeaders("GET / HTTP/1.1", [("Host", "a.test")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record("https://a.test/", "request", http_headers=req))
        _response(
            writer, "https://a.test/p/1?utm_source=x", 200, _ld("A-1", ("Quiet and fast.", 5), ("Loud", 250)).encode()
        )
        _response(writer, "https://b.test/item/7", 200, MICRODATA.encode("cp1252"), "text/html; charset=windows-1252")
        _response(writer, "https://a.test/p/gone", 404, b"<html>Not found</html>")
        _response(writer, "https://a.test/logo.png", 200, b"\x89PNG\r\n", "image/png")
        broken = '<html><script type="application/ld+json">{"@type": "Review", "reviewBody": "x" </script></html>'
        _response(writer, "https://c.test/r", 200, broken.encode())


def test_extract_a_warc_with_the_generic_extractor(tmp_path, isolated_env):
    warc = tmp_path / "crawl.warc.gz"
    _write_warc(warc)
    out = tmp_path / "out"
    stdout = run_cli(["extract", "--source", "schema_org_reviews", str(warc), "--out", str(out)], isolated_env).stdout
    assert "pages: 5 in = 2 yielded + 1 with no records + 2 failed" in stdout
    records = pl.read_parquet(out / "canonical_records.parquet")
    assert records.columns == list(ProductReview.model_fields)
    rows = {r["product_id"]: r for r in records.to_dicts()}
    assert set(rows) == {"A-1", "MD-1"}
    assert rows["A-1"]["page_url"] == "https://a.test/p/1" and rows["A-1"]["rating"] == 5.0
    assert rows["MD-1"]["text"] == "Très bon café" and rows["MD-1"]["language"] == "fr"
    assert rows["MD-1"]["source"] == "schema_org_reviews" and rows["MD-1"]["extraction"] == "microdata"
    failed = pl.read_parquet(out / "failed_records.parquet").to_dicts()
    reasons = {(f["page_url"], f["stage"], f["reason"].split(" (")[0]) for f in failed}
    assert ("https://a.test/p/1", "validate", "rating 250 is above every known scale") in reasons
    assert ("https://a.test/p/gone", "fetch", "http 404") in reasons
    assert any(url == "https://c.test/r" and reason.startswith("invalid JSON-LD block 0") for url, _, reason in reasons)
    assert len(failed) == 3


def test_extract_a_folder_of_html_and_gzipped_html(tmp_path, capsys):
    pages = tmp_path / "pages"
    (pages / "sub").mkdir(parents=True)
    (pages / "a.html").write_text(_ld("F-1", ("Saved from a browser.", 4)), encoding="utf-8")
    saved = "<!-- saved from url=(0025)https://shop.test/p/9?ref=x -->\n" + _ld("F-2", ("Gzipped page.", "4,5"))
    (pages / "sub" / "b.html.gz").write_bytes(gzip.compress(saved.encode()))
    (pages / "c.html.gz").write_bytes(b"not gzip at all")
    (pages / "d.html").write_text("<html><body>About us</body></html>", encoding="utf-8")
    (pages / "notes.txt").write_text("ignored", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["extract", "--source", "schema_org_reviews", str(pages), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "pages: 4 in = 2 yielded + 1 with no records + 1 failed" in printed
    assert "no schema.org review markup" in printed
    records = {r["product_id"]: r for r in pl.read_parquet(out / "canonical_records.parquet").to_dicts()}
    assert records["F-1"]["page_url"] == (pages / "a.html").resolve().as_uri()
    assert records["F-2"]["page_url"] == "https://shop.test/p/9" and records["F-2"]["rating"] == 4.5
    [failed] = pl.read_parquet(out / "failed_records.parquet").to_dicts()
    assert failed["stage"] == "fetch" and failed["reason"].startswith("unreadable gzip file")


def test_extract_with_a_configured_sources_selectors(tmp_path, monkeypatch, capsys):
    config = tmp_path / "sources.yaml"
    config.write_text(
        "sources:\n  - name: myshop\n    start_urls: [https://my.test/]\n    allowed_domains: [my.test]\n"
        "    extractor: selectors\n    selectors:\n      review: .rv\n      text: p\n"
        "      rating: '::attr(data-stars)'\n"
        "      product_id: 'h1::attr(data-sku)'\n"
    )
    monkeypatch.setenv("GLEANER_SOURCES", str(config))
    page = tmp_path / "p.html"
    page.write_text('<h1 data-sku="S-1">Mug</h1><div class="rv" data-stars="3"><p>Chipped on arrival.</p></div>')
    assert main(["extract", "--source", "myshop", str(page), "--out", str(tmp_path / "out")]) == 0
    [record] = pl.read_parquet(tmp_path / "out" / "canonical_records.parquet").to_dicts()
    assert (record["source"], record["product_id"], record["rating"], record["extraction"]) == (
        "myshop",
        "S-1",
        3.0,
        "selectors",
    )


def test_unknown_source_and_missing_path_exit_with_a_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GLEANER_DEMO_URL", "http://127.0.0.1:9")
    assert main(["extract", "--source", "nosuch", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "unknown source 'nosuch'" in capsys.readouterr().err
    missing = tmp_path / "missing.warc"
    assert main(["extract", "--source", "schema_org_reviews", str(missing), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
