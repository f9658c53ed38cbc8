"""Crawl settings in the sources file fail at load time naming the field; adaptive mode's page-type memory."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from gleaner.crawl.adaptive import RenderPlanner, url_shape
from gleaner.sources import SourceConfig, SourceConfigError, load_sources

BASE = "sources:\n  - name: shop\n    start_urls: [http://shop.example/]\n    allowed_domains: [shop.example]\n"
WAIT_FOR = "#reviews[data-loaded], body:not(:has(#reviews))"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("    render: headless\n", "render: Input should be 'browser', 'http' or 'adaptive'"),
        ("    render: adaptive\n", "render 'adaptive' needs `wait_for`"),
        ("    render: adaptive\n    wait_for: 'text=Reviews'\n", "wait_for 'text=Reviews' is not plain CSS"),
        ("    concurrency: 0\n", "concurrency: Input should be greater than or equal to 1"),
        ("    rate_limit_per_sec: 0\n", "rate_limit_per_sec: Input should be greater than 0"),
        ("    max_pages: -1\n", "max_pages: Input should be greater than 0"),
        ("    allow_resources: [video]\n", "allow_resources.0: Input should be 'image', 'font' or 'media'"),
        ("    page_types: {product: '(unclosed'}\n", "page_types: Value error, invalid regex '(unclosed'"),
        ("    max_body_bytes: 0\n", "max_body_bytes: Input should be greater than 0"),
    ],
)
def test_a_bad_crawl_setting_fails_at_load_time_naming_the_field(tmp_path: Path, extra: str, message: str) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(BASE + extra)
    with pytest.raises(SourceConfigError) as failure:
        load_sources(path)
    assert f"{path}: source shop: " in str(failure.value) and message in str(failure.value)


def test_url_shape_groups_pages_built_from_one_template() -> None:
    assert url_shape("http://Shop.example:8080/acme/product/p17?ref=x") == "shop.example:8080/acme/product/*?ref=*"
    assert url_shape("http://shop.example/acme/product/p18?ref=y") == url_shape(
        "http://shop.example/acme/product/p9?ref="
    )
    assert url_shape("http://shop.example/acme/products?page=2") == "shop.example/acme/products?page=*"
    assert url_shape("http://shop.example/acme/about") == "shop.example/acme/about"


def planner(**overrides: object) -> RenderPlanner:
    config = {"name": "shop", "start_urls": ["http://s.example/"], "allowed_domains": ["s.example"],
              "render": "adaptive", "wait_for": WAIT_FOR, **overrides}  # fmt: skip
    return RenderPlanner(SourceConfig.model_validate(config), logging.getLogger("test"))


def test_adaptive_looks_at_the_served_html_and_remembers_javascript_page_types(caplog) -> None:
    plan = planner()
    static, empty_shell = "<body><h1>About</h1></body>", '<body><div id="reviews">Loading…</div></body>'
    assert plan.choose("http://s.example/about", static) == "http"
    plan.learn("http://s.example/about", "http")
    assert plan.choose("http://s.example/product/1", empty_shell) == "browser"
    plan.learn("http://s.example/product/1", "browser")
    # a product page that happens to match (no review box) is still rendered: its template needs JavaScript
    assert plan.choose("http://s.example/product/2", static) == "browser"
    # a page of a type believed static is still checked, and the type flips for good if it lacks content
    plan.learn("http://s.example/list/1", "http")
    assert plan.choose("http://s.example/list/2", empty_shell) == "browser"
    plan.learn("http://s.example/list/2", "browser")
    assert plan.choose("http://s.example/list/3", static) == "browser"
    assert plan.verdicts == {
        "s.example/about": "http",
        "s.example/product/*": "browser",
        "s.example/list/*": "browser",
    }
    assert plan.flips == ["s.example/list/*"] and "needs JavaScript" in caplog.text


def test_configured_page_types_override_url_shapes_and_fixed_modes_ignore_the_html() -> None:
    plan = planner(page_types={"product": r"/(item|product)/"})
    plan.learn("http://s.example/item/1", "browser")
    assert plan.choose("http://s.example/product/2", "<body></body>") == "browser"
    assert planner(render="http").choose("http://s.example/x", '<div id="reviews"></div>') == "http"
    assert planner(render="browser").choose("http://s.example/x", "<body></body>") == "browser"
