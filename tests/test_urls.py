from __future__ import annotations

import pytest

from gleaner.sources import SourceConfig
from gleaner.urls import canonicalize_url, is_allowed, is_tracking_param, url_host


@pytest.mark.parametrize(
    "variant",
    [
        "http://127.0.0.1:8765/acme/product/p03",
        "http://127.0.0.1:8765/acme/product/p03#reviews",
        "http://127.0.0.1:8765/acme/product/p03?ref=home",
        "http://127.0.0.1:8765/acme/product/p03?utm_source=newsletter&utm_medium=email",
        "http://127.0.0.1:8765/acme/product/p03?utm_source=newsletter&utm_medium=email&ref=home#reviews",
        "HTTP://127.0.0.1:8765/acme/product/p03?UTM_Campaign=x&fbclid=abc&gclid=1&mc_cid=2&mc_eid=3",
        "http://127.0.0.1:8765/acme/product/p03?",
    ],
)
def test_tracking_variants_collapse_to_one_url(variant: str) -> None:
    assert canonicalize_url(variant) == "http://127.0.0.1:8765/acme/product/p03"


def test_content_parameters_survive_and_are_sorted() -> None:
    assert canonicalize_url("http://shop.example/list?sort=price&page=2&utm_source=x") == (
        "http://shop.example/list?page=2&sort=price"
    )
    assert canonicalize_url("http://shop.example/list?page=2") != canonicalize_url("http://shop.example/list?page=3")


def test_scheme_host_and_default_port_are_normalized() -> None:
    assert canonicalize_url("HTTPS://Shop.Example.COM:443/A/../B") == "https://shop.example.com/B"
    assert canonicalize_url("http://shop.example:80") == "http://shop.example/"
    assert canonicalize_url("http://shop.example:8080/x") == "http://shop.example:8080/x"


def test_path_case_and_percent_encoding_are_kept_meaningful() -> None:
    assert canonicalize_url("http://x.example/Caf%C3%A9") == canonicalize_url("http://x.example/Café")
    assert canonicalize_url("http://x.example/Path") != canonicalize_url("http://x.example/path")


def test_tracking_param_names() -> None:
    assert is_tracking_param("utm_anything")
    assert is_tracking_param("FBCLID")
    assert not is_tracking_param("page")
    assert not is_tracking_param("referral_code_required")  # prefix match is only for utm_*


def _source(**overrides: object) -> SourceConfig:
    base = {"name": "acme", "start_urls": ["http://127.0.0.1:8765/acme/"], "allowed_domains": ["127.0.0.1"]}
    return SourceConfig.model_validate({**base, **overrides})


def test_allowed_domain_matches_host_whatever_the_port() -> None:
    source = _source()
    assert is_allowed("http://127.0.0.1:8765/acme/x", source)
    assert is_allowed("http://127.0.0.1/acme/x", source)
    assert not is_allowed("http://127.0.0.2:8765/acme/x", source)
    assert not is_allowed("mailto:help@acme.example", source)
    assert not is_allowed("javascript:void(0)", source)


def test_allowed_domain_with_port_pins_the_port() -> None:
    source = _source(allowed_domains=["127.0.0.1:8765"])
    assert is_allowed("http://127.0.0.1:8765/a", source)
    assert not is_allowed("http://127.0.0.1:9999/a", source)


def test_subdomains_are_in_scope_but_lookalikes_are_not() -> None:
    source = _source(allowed_domains=["example.com"])
    assert is_allowed("https://shop.example.com/a", source)
    assert is_allowed("https://EXAMPLE.com./a", source)
    assert not is_allowed("https://badexample.com/a", source)
    assert not is_allowed("https://example.com.evil.net/a", source)


def test_include_and_exclude_regexes() -> None:
    source = _source(include=[r"/acme(/|$)"], exclude=[r"/api/", r"\.pdf$"])
    assert is_allowed("http://127.0.0.1:8765/acme/product/p01", source)
    assert is_allowed("http://127.0.0.1:8765/acme", source)
    assert not is_allowed("http://127.0.0.1:8765/globex/product/p01", source)
    assert not is_allowed("http://127.0.0.1:8765/acme/api/reviews/p01.json", source)
    assert not is_allowed("http://127.0.0.1:8765/acme/manual.pdf", source)


def test_url_host() -> None:
    assert url_host("http://User:pw@Shop.Example:8080/x") == "shop.example"
    assert url_host("http://[::1]:8080/") == "[::1]"
