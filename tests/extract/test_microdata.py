"""Microdata read from the page's lexbor parse gives extruct's own items (on lxml's parse), to the last
value, on every page we have; on generated markup, which the two parsers may build differently where it
is broken, extruct reads lexbor's tree as lxml parses it back."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import extruct
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from parsel import Selector

from gleaner.extract.html_tree import parse_html
from gleaner.extract.microdata import as_lxml, microdata
from tests.extract.test_corpus import CASES, MICRODATA_PRODUCT

URL = "https://shop.test/p/kettle"
EDGES = [
    MICRODATA_PRODUCT,
    # itemref, in and out of scope, to an item and to loose properties
    '<div itemscope itemtype="https://schema.org/Product" itemref="extra rev missing"><span itemprop="name">K'
    '</span></div><div id="extra"><span itemprop="sku">K-1</span><div itemscope><b itemprop="x">no</b></div>'
    '</div><div id="rev" itemprop="review" itemscope itemtype="https://schema.org/Review">'
    '<span itemprop="reviewBody">Fine</span></div>',
    # values of every kind of element, text with children, comments, scripts, whitespace
    '<div itemscope itemtype="https://schema.org/Thing"><a itemprop="url" href=" /a b ">x</a>'
    '<img itemprop="image" src="i.png"><time itemprop="t" datetime="2026">x</time><data itemprop="d" value="3">'
    '</data><meter itemprop="m" value="1"></meter><object itemprop="o" data="o.bin"></object>'
    '<span itemprop="c" content="cc">no</span><span itemprop="q-input" required name="n"></span>'
    '<p itemprop="body">  Two\n\tlines <br> and <b>bold</b><!-- c --> &amp; <script>x()</script>tail </p>'
    '<p itemprop="leaf">\u00a0 spaced \u2003 out </p><p itemprop="empty"></p><p itemprop="blank">   </p>'
    '<script itemprop="s">var a = 1;</script><style itemprop="st">p{}</style><p itemprop="com"><!-- only --></p>'
    '<h2 itemprop="a b">two names</h2><p itemprop="">unnamed</p></div>',
    # items without properties, nested and repeated items, one element with itemscope and no type
    '<div itemscope>lone <i>text</i></div><div itemscope itemtype="a b" itemid=" x1 "><div itemprop="p" itemscope>'
    '<span itemprop="q">1</span></div><div itemprop="p" itemscope><span itemprop="q">2</span></div></div>'
    '<section itemscope itemtype="https://schema.org/Review"><div><div><span itemprop="reviewBody">deep</span>'
    "</div></div></section>",
]


def _extruct(root, url: str = URL):
    return extruct.extract(root, base_url=url, encoding="UTF-8", syntaxes=["microdata"], uniform=True)["microdata"]


def _same(html: str, url: str = URL, as_lexbor_builds_it: bool = False) -> None:
    tree = parse_html(html)
    root = as_lxml(tree.root) if as_lexbor_builds_it else Selector(text=html, type="html").root
    expected = _extruct(root, url)
    assert microdata(tree, url) == (expected if root.xpath("//*[@itemscope]") else None)


@pytest.mark.parametrize("html", EDGES)
def test_edge_markup(html):
    _same(html)


@pytest.mark.parametrize("case", [c for c in CASES if c.html and "itemprop" in c.html], ids=lambda c: c.id)
def test_corpus_pages(case):
    _same(case.html, case.url)


def test_benchmark_pages():
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from end_to_end import generate_pages

    for page in generate_pages(6, 20, 4, 3, date(2026, 11, 2)):
        _same(page.html, page.url)


_TAGS = st.sampled_from(["div", "span", "p", "a", "meta", "img", "time", "b", "script", "li", "h1"])
_ATTRS = st.sampled_from(
    ["", " itemscope", ' itemprop="name"', ' itemprop="review" itemscope', ' itemprop="a b"', ' content="c"',
     ' itemprop="children"', ' itemtype="https://schema.org/Review"', ' href="/x"', ' id="r"', ' itemref="r"',
     ' datetime="d"']
)  # fmt: skip
_TEXT = st.sampled_from(["", "x", "  two  words ", "a &amp; b", "<!-- c -->", "\n", "é"])


@st.composite
def _markup(draw, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        tag, attrs = draw(_TAGS), "".join(draw(st.lists(_ATTRS, max_size=3)))
        inner = draw(_markup(depth + 1)) if depth < 3 else ""
        parts.append(f"<{tag}{attrs}>{draw(_TEXT)}{inner}</{tag}>{draw(_TEXT)}")
    return "".join(parts)


@settings(max_examples=300, deadline=None)
@given(_markup())
def test_generated_markup(body):
    """On the tree lexbor builds, copied into lxml (extruct's `id()` finds no id in a copy: no itemref)."""
    _same(f"<html><body>{body.replace(' itemref=', ' data-ref=')}</body></html>", as_lexbor_builds_it=True)


def _layout(root, depth: int = 0) -> list:
    """Each node's depth, name, attributes and texts in document order: the same layout is the same tree."""
    tag = root.tag if isinstance(root.tag, str) else "#"
    return [(depth, tag, sorted(root.attrib.items()), root.text, root.tail)] + [
        node for child in root for node in _layout(child, depth + 1)
    ]


@settings(max_examples=300, deadline=None)
@given(_markup())
def test_generated_markup_both_parsers_build_alike(body):
    """itemref and all, where lexbor and lxml build the same tree from the markup."""
    html = f"<html><body>{body}</body></html>"
    assume(_layout(as_lxml(parse_html(html).body)) == _layout(Selector(text=html, type="html").root.find("body")))
    _same(html)


def test_no_item_element_is_no_microdata():
    """The word alone (in text, a script or another attribute) is no microdata: no graph, as before."""
    from gleaner.extract.structured_data import parse_structured_data

    html = '<html><body><p data-x="itemscope">itemscope</p><script>var itemscope = 1;</script></body></html>'
    assert microdata(parse_html(html), URL) is None
    assert [g.syntax for g in parse_structured_data(html, URL).graphs] == ["json-ld"]
    with_item = html.replace("<p ", "<p itemscope ")
    assert [g.syntax for g in parse_structured_data(with_item, URL).graphs] == ["json-ld", "microdata"]
