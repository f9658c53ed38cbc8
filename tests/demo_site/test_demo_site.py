from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from difflib import SequenceMatcher
from itertools import combinations

import pytest
from parsel import Selector

from gleaner.demo_site import DEFAULT_SEED, DemoSite, DemoSiteServer, build_site
from gleaner.demo_site.texts import jaccard


@pytest.fixture(scope="module")
def site() -> DemoSite:
    return build_site()


@pytest.fixture(scope="module")
def server(site: DemoSite):
    with DemoSiteServer(site) as running:
        yield running


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


def test_same_seed_same_bytes_other_seed_other_site(site: DemoSite) -> None:
    again = build_site(DEFAULT_SEED)
    assert again.pages == site.pages
    assert again.reviews == site.reviews
    other = build_site(7)
    assert [r.text for r in other.reviews] != [r.text for r in site.reviews]


def test_review_counts_and_kinds(site: DemoSite) -> None:
    per_shop = Counter(r.shop for r in site.reviews)
    assert 55 <= per_shop["acme"] <= 70 and 55 <= per_shop["globex"] <= 70
    kinds = Counter(r.kind for r in site.reviews)
    assert kinds["syndicated"] == 16  # eight reviews, each on both shops
    assert kinds["boilerplate"] == 3
    assert kinds["exact_duplicate"] >= 4
    assert kinds["empty_text"] == 1
    assert sorted(r.rating for r in site.reviews if r.kind == "broken_rating") == [0, 7]
    assert len({r.review_id for r in site.reviews}) == len(site.reviews)
    assert all(re.fullmatch(rf"{r.shop}-{r.product_id}-r\d\d", r.review_id) for r in site.reviews)
    assert {r.sentiment for r in site.reviews} == {"positive", "negative", "neutral"}


def test_review_texts_are_25_to_90_words(site: DemoSite) -> None:
    for review in site.reviews:
        if review.kind != "empty_text":
            assert 25 <= len(review.text.split()) <= 90, review.review_id


def test_duplicate_groups_are_near_duplicates_and_nothing_else_is(site: DemoSite) -> None:
    groups: dict[str, list[str]] = defaultdict(list)
    for review in site.reviews:
        if review.dup_group:
            groups[review.dup_group].append(review.text)
    for name, texts in groups.items():
        assert len(texts) >= 2, name
        for a, b in combinations(texts, 2):
            assert jaccard(a, b) >= 0.8, name
    syndicated = [g for g in groups if g.startswith("syndicated")]
    assert len(syndicated) == 8
    for name in syndicated:
        shops = {r.shop for r in site.reviews if r.dup_group == name}
        assert shops == {"acme", "globex"}
        a, b = groups[name]
        edits = [op for op in SequenceMatcher(a=a.split(), b=b.split()).get_opcodes() if op[0] != "equal"]
        assert 1 <= len(edits) <= 3, (name, edits)

    singles = [r.text for r in site.reviews if r.dup_group is None and r.text]
    worst = max(jaccard(a, b) for a, b in combinations(singles, 2))
    assert worst < 0.5  # no accidental near-duplicates: dedup ground truth is exactly the groups


def test_sentiment_words_mostly_but_not_always_agree_with_the_truth(site: DemoSite) -> None:
    positive = {"great", "excellent", "love", "recommended", "happy", "perfect", "fantastic", "good", "superb"}
    negative = {"disappointed", "broke", "awful", "terrible", "cheap", "flimsy", "waste", "bad", "poor", "not"}
    agree = total = 0
    for review in (r for r in site.reviews if r.sentiment != "neutral"):
        words = re.findall(r"[a-z']+", review.text.lower())
        score = sum(w in positive for w in words) - sum(w in negative for w in words)
        if score == 0:
            continue
        total += 1
        agree += (score > 0) == (review.sentiment == "positive")
    assert 0.7 <= agree / total < 0.98
    noisy = Counter(r.noise for r in site.reviews if r.noise)
    assert set(noisy) == {"negation", "negated_praise", "sarcasm", "rating_mismatch"}
    assert 0.07 <= sum(noisy.values()) / len(site.reviews) <= 0.18  # stars that part ways with the words count too


def test_products_pages_and_quirks(site: DemoSite) -> None:
    products = {(p.shop, p.product_id): p for p in site.products}
    assert 8 <= sum(p.shop == "acme" for p in products.values()) <= 12
    assert 8 <= sum(p.shop == "globex" for p in products.values()) <= 12
    assert [p.quirk for p in products.values() if p.status == 500] == ["http_500"]
    assert not products[("acme", "p07")].review_ids
    with_ld = [p for p in products.values() if p.json_ld and p.status == 200]
    live = [p for p in products.values() if p.status == 200]
    assert 0.25 <= len(with_ld) / len(live) <= 0.4
    assert [p.json_ld for p in with_ld].count("invalid") == 1
    for p in site.products:
        assert site.resolve(p.path) is site.pages[p.path]
    ground_truth = {r.review_id for r in site.reviews}
    assert {rid for p in site.products for rid in p.review_ids} == ground_truth


def test_api_json_is_the_ground_truth_of_each_product(site: DemoSite) -> None:
    for product in site.products:
        if product.status != 200:
            continue
        data = json.loads(site.pages[f"/{product.shop}/api/reviews/{product.product_id}.json"].body)
        assert sorted(r["review_id"] for r in data["reviews"]) == sorted(product.review_ids)
        truth = {r.review_id: r for r in site.reviews}
        for item in data["reviews"]:
            assert item["text"] == truth[item["review_id"]].text
            assert item["rating"] == truth[item["review_id"]].rating


def test_json_ld_blocks_parse_except_the_deliberately_broken_one(site: DemoSite) -> None:
    for product in site.products:
        page = site.pages[product.path]
        charset = "cp1252" if "windows-1252" in page.content_type else "utf-8"
        blocks = Selector(text=page.body.decode(charset)).css("script[type='application/ld+json']::text").getall()
        if product.status != 200:
            assert blocks == []
            continue
        (block,) = blocks  # every product page describes its product; some list their reviews too
        if product.json_ld == "invalid":
            with pytest.raises(json.JSONDecodeError):
                json.loads(block)
            continue
        data = json.loads(block)
        assert data["@type"] == "Product" and data["sku"] == product.product_id
        assert data["name"] == product.name and product.name in data["description"]
        if product.json_ld is None:
            assert "review" not in data and "aggregateRating" not in data
            continue
        assert sorted(r["identifier"] for r in data["review"]) == sorted(product.review_ids)
        assert all(r["reviewRating"]["bestRating"] == 5 for r in data["review"])


def test_windows_1252_page_bytes(site: DemoSite) -> None:
    page = site.pages["/globex/product/p05"]
    assert page.content_type == "text/html; charset=windows-1252"
    assert "café".encode("cp1252") in page.body and "€".encode("cp1252") in page.body
    with pytest.raises(UnicodeDecodeError):
        page.body.decode("utf-8")
    assert b'<meta charset="windows-1252">' in page.body


def test_malformed_page_is_malformed_but_keeps_its_review_container(site: DemoSite) -> None:
    html = site.pages["/acme/product/p08"].body.decode()
    assert html.count("<div") < html.count("</div>")  # a stray </div>
    assert '<div id="reviews"' in html and "<li>45 x 30 cm<li>" in html


def test_listings_link_tracking_variants_private_pages_and_dead_ends(site: DemoSite) -> None:
    paths = [f"/{shop}/products?page={n}" for shop in ("acme", "globex") for n in (1, 2, 3)]
    listings = "".join(site.pages[path].body.decode() for path in paths)
    homes = site.pages["/acme/"].body.decode() + site.pages["/globex/"].body.decode()
    assert "?utm_source=newsletter&amp;utm_medium=email" in listings
    assert "#reviews" in listings and "?ref=home" in homes and "&amp;ref=home" in homes
    assert "/acme/private/" in listings and "/globex/private/" in listings
    assert "/globex/product/p99" in listings and site.resolve("/globex/product/p99") is None
    assert "/acme/product/p07" in listings
    robots = site.pages["/robots.txt"].body.decode()
    assert "Disallow: /acme/private/" in robots and "Disallow: /globex/private/" in robots


def test_server_serves_pages_and_ignores_tracking_parameters(server: DemoSiteServer) -> None:
    status, headers, body = _get(server.url("/acme/product/p01?utm_source=newsletter&utm_medium=email&ref=home"))
    assert status == 200 and body == server.site.pages["/acme/product/p01"].body
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert _get(server.url("/acme/products?page=2&utm_source=x"))[2] == server.site.pages["/acme/products?page=2"].body
    assert _get(server.url("/nope"))[0] == 404
    assert _get(server.url("/acme/product/p07"))[0] == 500
    request = urllib.request.Request(server.url("/acme/about"), method="HEAD")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200 and response.read() == b""
    assert server.hits["/acme/product/p01?utm_source=newsletter&utm_medium=email&ref=home"] == 1


def test_redirect_and_flaky_page(server: DemoSiteServer) -> None:
    server.reset()
    with urllib.request.urlopen(server.url("/acme"), timeout=5) as response:
        assert response.geturl().endswith("/acme/")
    status, headers, _ = _get(server.url("/globex/products?page=2"))
    assert status == 503 and headers["Retry-After"] == "1"
    assert _get(server.url("/globex/products?page=2"))[0] == 200
    server.reset()
    assert _get(server.url("/globex/products?page=2"))[0] == 503  # re-armed


def test_server_lifecycle() -> None:
    server = DemoSiteServer(build_site())
    with pytest.raises(RuntimeError):
        _ = server.base_url
    server.start()
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.base_url)
        assert _get(server.url("/"))[0] == 200
    finally:
        server.stop()
    server.stop()  # idempotent


def test_module_entry_point_serves_in_the_foreground() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "gleaner.demo_site", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                assert _get(f"http://127.0.0.1:{port}/robots.txt")[0] == 200
                break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
                assert time.monotonic() < deadline, "demo site did not come up"
                time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_extra_products_enlarge_the_site_and_leave_the_default_alone(site: DemoSite) -> None:
    big = build_site(extra_products=12)
    assert build_site(extra_products=0).pages == site.pages
    assert len(big.products) == len(site.products) + 2 * 12
    extras = [p for p in big.products if p.product_id.startswith("x")]
    assert {p.shop for p in extras} == {"acme", "globex"} and all(p.status == 200 for p in extras)
    listed = " ".join(v.body.decode() for k, v in big.pages.items() if "/products?page=" in k)
    for product in extras:
        assert f'href="{product.path}"' in listed
        api = json.loads(big.pages[f"/{product.shop}/api/reviews/{product.product_id}.json"].body)
        assert sorted(r["review_id"] for r in api["reviews"]) == sorted(product.review_ids)
    original = {r.review_id: r for r in site.reviews}
    assert all(original[r.review_id] == r for r in big.reviews if r.review_id in original)
    assert build_site(extra_products=12).pages == big.pages
