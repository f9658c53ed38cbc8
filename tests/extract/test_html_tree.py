"""The page's lexbor parse answers what the extractor asked lxml's before: which scripts are JSON-LD, what
language the page declares."""

from __future__ import annotations

import html as html_module

from hypothesis import given, settings
from hypothesis import strategies as st
from parsel import Selector

from gleaner.extract.html_tree import declared_values, marked_elements, parse_html
from gleaner.extract.language import declared_language

# the XPath the extractor asked lxml before: the type's listed letters lowercased, XML spaces normalised
_LD_JSON = (
    "//script[starts-with(normalize-space(translate(@type, 'APLICTONDJS', 'aplictondjs')), 'application/ld+json')]"
)
_TYPES = st.one_of(
    st.sampled_from(
        ["application/ld+json", "Application/LD+JSON", " application/ld+json ", "application/ld+json; charset=utf-8",
         "\tapplication/ld+json\n", "APPLICATION/LD+JSON", "application/json", "text/javascript", "", "ld+json",
         "application/ld+jsonp", "appl ication/ld+json", "\u00a0application/ld+json", "\u0130pplication/ld+json"]
    ),
    st.text(alphabet="aplictondjsAPLICTONDJS/+; \t\n\u00a0-", max_size=24),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), _TYPES), max_size=4))
def test_json_ld_scripts_are_the_ones_the_xpath_selects(types):
    scripts = "".join(
        f"<script>{i}</script>" if kind is None else f'<script type="{html_module.escape(kind)}">{i}</script>'
        for i, kind in enumerate(types)
    )
    page = f"<html><head>{scripts}</head><body><p>x</p>{scripts}</body></html>"
    expected = ["".join(s.xpath("text()").getall()) for s in Selector(text=page, type="html").xpath(_LD_JSON)]
    assert marked_elements(parse_html(page)).json_ld == expected


def test_json_ld_script_text_is_raw_and_nuls_are_dropped():
    page = (
        '<script type="application/ld+json"><!--{"a": "&amp; <b>"}--></script>'
        '<script type="application/ld+json">{"\x00b": 1}</script>'
    )
    assert marked_elements(parse_html(page)).json_ld == ['<!--{"a": "&amp; <b>"}-->', '{"b": 1}']


OG_ES = '<meta property="og:locale" content="es_ES">'
PAGES = [
    '<html lang="de-AT"><head><meta http-equiv="Content-Language" content="fr"></head></html>',
    f'<html lang="??"><head><meta http-equiv="CONTENT-LANGUAGE" content="fr">{OG_ES}</head></html>',
    f'<html lang><head>{OG_ES}<meta http-equiv="content-language" content="it"></head></html>',
    '<html xml:lang="nl"><body><meta property="og:locale"></body></html>',
    '<html><head><meta http-equiv=" content-language" content="fr"><meta http-equiv="Content-Language" content>',
    "<p>no statement at all</p>",
    "",
]  # fmt: skip


def test_declared_values_in_the_order_the_xpaths_gave_them():
    queries = (
        "/html/@lang",
        "/html/@*[name()='xml:lang']",
        "//meta[translate(@http-equiv, 'CONTENTLAGU', 'contentlagu')='content-language']/@content",
        "//meta[@property='og:locale']/@content",
    )
    for page in PAGES:
        selector = Selector(text=page or "<html/>", type="html")
        expected = [value for query in queries for value in selector.xpath(query).getall()]
        assert list(declared_values(parse_html(page))) == expected, page
    assert [declared_language(parse_html(page)) for page in PAGES] == ["de", "fr", "it", "nl", None, None, None]


def test_items_and_rdfa_are_elements_with_the_attribute_not_the_word():
    marked = marked_elements(
        parse_html('<p typeof="schema:Review">x</p><script itemscope id="a"></script><b itemscope>')
    )
    assert marked.rdfa and [node.attributes.get("id") for node in marked.items] == ["a", None]
    words = marked_elements(parse_html("<p>typeof itemscope</p><script>var typeof_ = 1, itemscope;</script>"))
    assert not words.rdfa and words.items == []
