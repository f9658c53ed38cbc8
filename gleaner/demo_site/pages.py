"""The demo shops' pages as served bytes: layout, product pages with JSON-LD or JS-rendered reviews, listings."""

from __future__ import annotations

import html
import json
from datetime import date

from gleaner.demo_site.catalog import (
    CATALOG,
    DEAD_LINK,
    LAST_MODIFIED,
    PAGE_SIZE,
    SHOP_TITLES,
    SHOPS,
    DemoPage,
    DemoReview,
    ProductSpec,
)

_RENDER_REVIEWS_JS = """
(function () {
  "use strict";
  var box = document.getElementById("reviews");
  if (!box) { return; }
  function node(tag, cls, text) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    if (text !== undefined) { el.textContent = text; }
    return el;
  }
  function stars(n) {
    var full = Math.max(0, Math.min(5, n));
    return "\\u2605".repeat(full) + "\\u2606".repeat(5 - full);
  }
  fetch(box.getAttribute("data-src"), {headers: {"Accept": "application/json"}})
    .then(function (r) { if (!r.ok) { throw new Error("http " + r.status); } return r.json(); })
    .then(function (data) {
      box.textContent = "";
      if (!data.reviews.length) { box.appendChild(node("p", "no-reviews", "No reviews yet.")); }
      data.reviews.forEach(function (rv) {
        var article = node("article", "review");
        article.setAttribute("data-review-id", rv.review_id);
        var rating = node("span", "rating", stars(rv.rating));
        rating.setAttribute("data-rating", String(rv.rating));
        var time = node("time", null, rv.published_display);
        time.setAttribute("datetime", rv.published);
        article.append(rating, node("p", "review-text", rv.text), node("span", "author", rv.author), time);
        box.appendChild(article);
      });
    })
    .catch(function (err) {
      box.textContent = "Reviews could not be loaded.";
      box.setAttribute("data-error", String((err && err.message) || err));
    })
    .finally(function () { box.setAttribute("data-loaded", "true"); });
})();
"""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_e = html.escape


def _display_date(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _html_page(status: int, text: str, charset: str = "utf-8", **headers: str) -> DemoPage:
    codec = "cp1252" if charset == "windows-1252" else charset
    return DemoPage(
        status,
        f"text/html; charset={charset}",
        text.encode(codec),
        {"Last-Modified": LAST_MODIFIED, "Cache-Control": "max-age=300", **headers},
    )


def _layout(shop: str, title: str, main: str, *, head: str = "", charset: str = "utf-8") -> str:
    shop_title = SHOP_TITLES[shop]
    other = "globex" if shop == "acme" else "acme"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="{charset}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)} | {_e(shop_title)}</title>
{head}</head>
<body data-shop="{shop}">
<header class="site-header">
  <a class="logo" href="/{shop}">{_e(shop_title)}</a>
  <nav><a href="/{shop}/products?page=1">All products</a> <a href="/{shop}/about">About us</a></nav>
</header>
<main>
{main}
</main>
<footer>
  <a href="/{shop}/private/wholesale">Wholesale prices</a>
  <a href="/{shop}/private/orders?ref=footer">Order admin</a>
  <a href="https://social.example.com/{shop}">Follow us</a>
  <a href="mailto:help@{shop}.example">Contact</a>
  <a href="javascript:void(0)">Cookie settings</a>
  <a href="/{other}/?ref=partner">Our partner shop</a>
</footer>
</body>
</html>
"""


def _json_ld(spec: ProductSpec, reviews: list[DemoReview]) -> str:
    """The product as schema.org JSON-LD; with its reviews and their aggregate where `spec.json_ld` says so."""
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": spec.name,
        "description": spec.description,
        "sku": spec.product_id,
        "offers": {
            "@type": "Offer",
            "price": spec.price.lstrip("$€"),
            "priceCurrency": "EUR" if "€" in spec.price else "USD",
        },
    }
    if spec.json_ld:
        data |= _review_ld(reviews)
    text = json.dumps(data, ensure_ascii=False, indent=2).replace("</", "<\\/")
    if spec.json_ld == "invalid":
        text = text[: text.rindex("}")].rstrip() + ",\n}"  # a CMS template's trailing comma
    return f'<script type="application/ld+json">\n{text}\n</script>\n'


def _review_ld(reviews: list[DemoReview]) -> dict[str, object]:
    valid = [r.rating for r in reviews if 1 <= r.rating <= 5]
    return {
        "aggregateRating": {
            "@type": "AggregateRating",
            "ratingValue": round(sum(valid) / len(valid), 2) if valid else None,
            "reviewCount": len(reviews),
        },
        "review": [
            {
                "@type": "Review",
                "identifier": r.review_id,
                "author": {"@type": "Person", "name": r.author},
                "datePublished": r.published,
                "reviewBody": r.text,
                "reviewRating": {
                    "@type": "Rating",
                    "ratingValue": r.rating,
                    "bestRating": 5,
                    "worstRating": 1,
                },
            }
            for r in reviews
        ],
    }


def product_page(shop: str, spec: ProductSpec, reviews: list[DemoReview], related: list[ProductSpec]) -> DemoPage:
    path = f"/{shop}/product/{spec.product_id}"
    if spec.quirk == "http_500":
        return _html_page(
            500,
            "<!DOCTYPE html>\n<html><body><h1>Internal Server Error</h1>\n"
            "<p>Upstream inventory service timed out.</p></body></html>\n",
        )
    charset = "windows-1252" if spec.quirk == "windows_1252" else "utf-8"
    head = (
        f'<link rel="canonical" href="{path}">\n<meta name="description" content="{_e(spec.description)}">\n'
        f'<meta property="og:type" content="product">\n<meta property="og:title" content="{_e(spec.name)}">\n'
        + _json_ld(spec, reviews)
    )
    if spec.quirk == "windows_1252":
        details = (
            '<p class="description">Brews café-style espresso with a thick crème. Don\'t be naïve about '
            "cheap machines: this one has a 15 bar pump and a proper steam wand. Price: €149.</p>\n"
        )
    elif spec.quirk == "malformed_html":
        details = (  # unclosed <p>, <b> and <li>, a <div> closed twice; browsers repair it, so must we
            '<div class="details"><p class="description">Cut on <b>sustainably harvested bamboo.\n'
            '<p>Knife-friendly surface with a juice groove<ul class="specs"><li>45 x 30 cm<li>1.2 kg</ul>\n'
            "</div></div>\n"
        )
    else:
        details = f'<p class="description">{_e(spec.description)}</p>\n'
    links = "\n".join(
        f'    <li><a href="/{shop}/product/{r.product_id}?ref=related">{_e(r.name)}</a></li>' for r in related
    )
    main = f"""<nav class="breadcrumbs">
  <a href="/{shop}/">Home</a> &rsaquo; <a href="/{shop}/products?page=1">Products</a>
</nav>
<article class="product">
<h1 class="product-name" data-product-id="{spec.product_id}">{_e(spec.name)}</h1>
<p class="price">{_e(spec.price)}</p>
{details}<section class="customer-reviews">
  <h2>Customer reviews</h2>
  <div id="reviews" data-src="/{shop}/api/reviews/{spec.product_id}.json">
    <p class="loading">Loading reviews…</p>
  </div>
</section>
</article>
<aside class="related">
  <h2>Customers also viewed</h2>
  <ul>
{links}
  </ul>
</aside>
<script>{_RENDER_REVIEWS_JS}</script>"""
    return _html_page(200, _layout(shop, spec.name, main, head=head, charset=charset), charset)


def api_page(product_id: str, reviews: list[DemoReview]) -> DemoPage:
    payload = {
        "product_id": product_id,
        "reviews": [
            {
                "review_id": r.review_id,
                "author": r.author,
                "rating": r.rating,
                "text": r.text,
                "published": r.published,
                "published_display": _display_date(r.published),
            }
            for r in reviews
        ],
    }
    body = json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8")
    return DemoPage(200, "application/json; charset=utf-8", body, {"Cache-Control": "no-store"})


def _card(shop: str, spec: ProductSpec, count: int | None, *, suffix: str = "") -> str:
    path = f"/{shop}/product/{spec.product_id}"
    reviews = f'<a class="review-count" href="{path}#reviews">{count} reviews</a>' if count is not None else ""
    return (
        f'  <li class="product-card"><a class="product-link" href="{path}{suffix}">{_e(spec.name)}</a> '
        f'<span class="price">{_e(spec.price)}</span> {reviews}</li>'
    )


def listing_pages(shop: str, catalog: tuple[ProductSpec, ...], counts: dict[str, int]) -> dict[str, DemoPage]:
    chunks = [list(catalog[i : i + PAGE_SIZE]) for i in range(0, len(catalog), PAGE_SIZE)]
    pages = {}
    for number, chunk in enumerate(chunks, start=1):
        cards = [_card(shop, s, counts.get(s.product_id)) for s in chunk]
        if number == len(chunks) and DEAD_LINK[0] == shop:
            cards.append(
                f'  <li class="product-card"><a class="product-link" href="/{shop}/product/{DEAD_LINK[1]}">'
                f"{_e(DEAD_LINK[2])}</a></li>"
            )
        newsletter = ""
        if number == 1:
            pick = catalog[-1]
            newsletter = (
                '<p class="newsletter">From our newsletter: '
                f'<a href="/{shop}/product/{pick.product_id}?utm_source=newsletter&amp;utm_medium=email">'
                f"{_e(pick.name)}</a></p>\n"
            )
        nav = []
        if number > 1:
            nav.append(f'<a rel="prev" href="/{shop}/products?page={number - 1}">Previous</a>')
        nav += [f'<a href="/{shop}/products?page={n}">{n}</a>' for n in range(1, len(chunks) + 1)]
        if number < len(chunks):
            nav.append(f'<a rel="next" href="/{shop}/products?page={number + 1}">Next</a>')
        cards_html = "\n".join(cards)
        main = (
            f'<h1>All products</h1>\n{newsletter}<ul class="product-list">\n{cards_html}\n</ul>\n'
            f'<nav class="pagination">{" ".join(nav)}</nav>'
        )
        pages[f"/{shop}/products?page={number}"] = _html_page(200, _layout(shop, f"Products, page {number}", main))
    return pages


def _shop_home(shop: str) -> DemoPage:
    catalog = CATALOG[shop]
    featured = [
        _card(shop, catalog[1], None, suffix="?ref=home"),
        _card(shop, catalog[2], None, suffix="?utm_source=newsletter&amp;utm_medium=email&amp;ref=home"),
        _card(shop, catalog[0], None, suffix="?ref=home#reviews"),
    ]
    featured_html = "\n".join(featured)
    main = (
        f"<h1>Welcome to {_e(SHOP_TITLES[shop])}</h1>\n<h2>Featured this week</h2>\n"
        f'<ul class="featured">\n{featured_html}\n</ul>\n'
        f'<p><a href="/{shop}/products?page=1">Browse all products</a></p>'
    )
    return _html_page(200, _layout(shop, "Home", main))


def static_pages(shop: str) -> dict[str, DemoPage]:
    about = _layout(shop, "About us", f"<h1>About {_e(SHOP_TITLES[shop])}</h1>\n<p>Family-run since 1998.</p>")
    private = _layout(shop, "Staff only", "<h1>Staff only</h1>\n<p>Wholesale price list. Crawlers keep out.</p>")
    return {
        f"/{shop}": DemoPage(301, "text/html; charset=utf-8", b"", {"Location": f"/{shop}/"}),
        f"/{shop}/": _shop_home(shop),
        f"/{shop}/about": _html_page(200, about),
        f"/{shop}/private/wholesale": _html_page(200, private),
        f"/{shop}/private/orders": _html_page(200, private),
    }


ROBOTS_TXT = """# Demo shops: staff pages are off limits to crawlers.
User-agent: *
Disallow: /acme/private/
Disallow: /globex/private/

User-agent: BadBot
Disallow: /
"""


def root_page() -> DemoPage:
    links = "\n".join(f'<li><a href="/{s}/">{_e(SHOP_TITLES[s])}</a></li>' for s in SHOPS)
    return _html_page(
        200,
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Demo shops</title></head>'
        f"<body><h1>Demo shops</h1><ul>\n{links}\n</ul></body></html>\n",
    )
