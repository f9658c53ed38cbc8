"""Per-source selectors in sources.yaml: validated when the file loads, applied by the pipeline's extractor."""

from datetime import UTC, datetime

import pytest

from gleaner.extract.page import ExtractionSpec, extract_page
from gleaner.pages import FetchedPage
from gleaner.sources import SourceConfigError, load_sources

BASE = "sources:\n  - name: shop\n    start_urls: [https://shop.test/]\n    allowed_domains: [shop.test]\n"


def _load(tmp_path, extra: str):
    path = tmp_path / "sources.yaml"
    path.write_text(BASE + extra)
    return load_sources(path)["shop"]


def test_selectors_block_loads_with_numbers_and_xpath(tmp_path):
    source = _load(
        tmp_path,
        "    extractor: selectors\n    body_text: true\n    selectors:\n      review: div.r\n"
        "      text: 'xpath:.//p/text()'\n      rating: '.s::text'\n      best_rating: '10'\n",
    )
    assert source.selectors.best_rating == 10.0 and source.body_text
    html = "<html><div class='r'><p>Nice and quiet, a good buy.</p><i class='s'>9</i></div></html>"
    page = FetchedPage.of("shop", "https://shop.test/p", 200, html, None, datetime(2026, 11, 20, tzinfo=UTC))
    [record] = extract_page(page, ExtractionSpec.of(source)).records
    assert record.text == "Nice and quiet, a good buy." and record.rating == 4.6 and record.rating_scale == 10


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("    extractor: selectors\n    selectors:\n      review: 'div['\n", "invalid CSS selector 'div\\['"),
        ("    extractor: selectors\n    selectors:\n      text: 'xpath://p['\n", "invalid XPath selector"),
        ("    extractor: selectors\n    selectors:\n      rating: '::bogus'\n", "selectors.rating"),
        ("    extractor: selectors\n", "needs a `selectors` block"),
        ("    selectors:\n      review: div\n", "is ignored by extractor 'schema_org_reviews'"),
        ("    extractor: selectors\n    selectors:\n      colour: red\n", "selectors.colour"),
        ("    extractor: demo_shop\n", "extractor"),
    ],
)
def test_bad_selector_config_fails_at_load_naming_the_field(tmp_path, extra, message):
    with pytest.raises(SourceConfigError, match=message):
        _load(tmp_path, extra)
