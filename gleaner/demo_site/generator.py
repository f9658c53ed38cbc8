"""The demo site as data: two shops, their pages as served bytes, and the ground truth behind them.

Everything is generated in memory from one seed so the site is identical on every machine and nothing
large is checked in. The site is built to exercise each pipeline stage: JS-rendered reviews (browser
rendering), tracking-parameter links (canonicalization), robots.txt-protected links (politeness), broken
pages (failure accounting), schema.org JSON-LD (structured extraction), near-duplicates (dedup) and
ratings that contradict their text (label agreement). `DemoSite.reviews` is what a perfect pipeline
would recover, with each quirk labelled so tests can check a stage against it.
"""

from __future__ import annotations

import html
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlencode

from gleaner.demo_site.texts import (
    BOILERPLATE,
    BOILERPLATE_CLOSINGS,
    BOILERPLATE_DURATIONS,
    ProductVoice,
    edit_words,
    jaccard,
    review_text,
)

DEFAULT_SEED = 20261120
SHOPS = ("acme", "globex")
PAGE_SIZE = 4
LAST_MODIFIED = "Fri, 20 Nov 2026 09:00:00 GMT"
# Query parameters the site itself understands; anything else (tracking) is ignored, as real sites do.
CONTENT_PARAMS = frozenset({"page"})
UNIQUE_TEXT_MAX_JACCARD = 0.3


@dataclass(frozen=True)
class DemoPage:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class DemoReview:
    """One review as rendered on the site; ``sentiment`` is what the author meant, whatever the stars say.

    ``dup_group`` ties together reviews that a dedup stage should collapse (syndicated pairs, exact
    copies, boilerplate); ``noise`` names the register that makes a lexicon labeler disagree.
    """

    shop: str
    product_id: str
    review_id: str
    author: str
    text: str
    rating: int
    published: str
    sentiment: str
    kind: str
    dup_group: str | None = None
    noise: str | None = None


@dataclass(frozen=True)
class DemoProduct:
    shop: str
    product_id: str
    name: str
    path: str
    status: int
    quirk: str | None
    json_ld: str | None
    review_ids: tuple[str, ...]


@dataclass
class DemoSite:
    seed: int
    pages: dict[str, DemoPage]
    reviews: list[DemoReview]
    products: list[DemoProduct]
    # path -> how many leading requests get "503 + Retry-After" before the page is served.
    flaky: dict[str, int] = field(default_factory=dict)
    not_found: DemoPage = field(
        default_factory=lambda: DemoPage(404, "text/html; charset=utf-8", b"<!DOCTYPE html><h1>Not found</h1>\n")
    )

    def resolve_key(self, target: str) -> str | None:
        """The `pages` key serving a request target; query parameters the site does not use are ignored."""
        if target in self.pages:
            return target
        path, _, query = target.partition("?")
        kept = sorted((k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k in CONTENT_PARAMS)
        key = path + (f"?{urlencode(kept)}" if kept else "")
        return key if key in self.pages else None

    def resolve(self, target: str) -> DemoPage | None:
        key = self.resolve_key(target)
        return None if key is None else self.pages[key]

    def summary(self) -> dict[str, object]:
        return {
            "pages": len(self.pages),
            "products": Counter(p.shop for p in self.products),
            "reviews": Counter(r.shop for r in self.reviews),
            "kinds": Counter(r.kind for r in self.reviews),
            "noise": Counter(r.noise for r in self.reviews if r.noise),
        }


@dataclass(frozen=True)
class _Spec:
    product_id: str
    name: str
    voice: ProductVoice
    price: str
    quirk: str | None = None  # "http_500" | "malformed_html" | "windows_1252"
    json_ld: str | None = None  # "valid" | "invalid"
    shared: str | None = None  # same product sold by both shops: syndicated reviews land on both


_BLENDER = ProductVoice("blender", ("jar", "motor", "blades", "lid"))
_FRYER = ProductVoice("air fryer", ("basket", "timer", "display", "drawer"))
_LUNCHBOX = ProductVoice("lunch box", ("lid", "seal", "inner container", "strap"))

CATALOG: dict[str, tuple[_Spec, ...]] = {
    "acme": (
        _Spec(
            "p01",
            "Acme Steel Kettle",
            ProductVoice("kettle", ("lid", "handle", "spout", "base")),
            "$39.00",
            json_ld="valid",
        ),
        _Spec("p02", "Vortex Blender 500", _BLENDER, "$89.00", shared="blender"),
        _Spec(
            "p03",
            "Acme Cast Iron Skillet",
            ProductVoice("skillet", ("handle", "coating", "surface", "rim")),
            "$45.00",
        ),
        _Spec(
            "p04",
            "Acme Pour-Over Coffee Set",
            ProductVoice("coffee set", ("carafe", "filter", "dripper", "lid")),
            "$32.00",
            json_ld="valid",
        ),
        _Spec(
            "p05",
            "Acme Chef's Knife 8in",
            ProductVoice("knife", ("blade", "handle", "edge", "tip")),
            "$59.00",
        ),
        _Spec("p06", "CrispAir Compact Air Fryer", _FRYER, "$99.00", shared="air_fryer"),
        _Spec(
            "p07",
            "Acme Smart Toaster",
            ProductVoice("toaster", ("slots", "lever", "timer", "crumb tray")),
            "$49.00",
            quirk="http_500",
        ),
        _Spec(
            "p08",
            "Acme Bamboo Cutting Board",
            ProductVoice("board", ("surface", "groove", "edge", "feet")),
            "$25.00",
            quirk="malformed_html",
        ),
        _Spec(
            "p09",
            "Acme Rice Cooker Duo",
            ProductVoice("rice cooker", ("inner pot", "lid", "display", "vent")),
            "$79.00",
            json_ld="invalid",
        ),
        _Spec("p10", "ThermoKeep Lunch Box", _LUNCHBOX, "$29.00", shared="lunch_box"),
    ),
    "globex": (
        _Spec(
            "p01",
            "Globex Trail Headlamp",
            ProductVoice("headlamp", ("strap", "battery", "beam", "switch")),
            "$35.00",
        ),
        _Spec("p02", "Vortex Blender 500", _BLENDER, "$92.00", shared="blender"),
        _Spec(
            "p03",
            "Globex Noise-Cancelling Headphones",
            ProductVoice("headphones", ("ear cups", "headband", "battery", "case")),
            "$149.00",
            json_ld="valid",
        ),
        _Spec(
            "p04",
            "Globex Camping Stove",
            ProductVoice("stove", ("burner", "valve", "pot stand", "igniter")),
            "$65.00",
        ),
        _Spec(
            "p05",
            "Café Crème Espresso Maker",
            ProductVoice("espresso maker", ("steam wand", "portafilter", "water tank", "drip tray")),
            "€149.00",
            quirk="windows_1252",
            json_ld="valid",
        ),
        _Spec("p06", "CrispAir Compact Air Fryer", _FRYER, "$97.00", shared="air_fryer"),
        _Spec(
            "p07",
            "Globex Solar Power Bank",
            ProductVoice("power bank", ("solar panel", "cable", "ports", "casing")),
            "$45.00",
        ),
        _Spec("p08", "ThermoKeep Lunch Box", _LUNCHBOX, "$31.00", json_ld="valid", shared="lunch_box"),
        _Spec(
            "p09",
            "Globex Bluetooth Speaker",
            ProductVoice("speaker", ("battery", "buttons", "bass", "casing")),
            "$55.00",
        ),
    ),
}
SHOP_TITLES = {"acme": "Acme Home Goods", "globex": "Globex Outfitters"}
DEAD_LINK = ("globex", "p99", "Globex Hoverboard (discontinued)")  # linked from the listing, never served
SYNDICATED = (("blender", 3), ("air_fryer", 3), ("lunch_box", 2))
CP1252_REVIEWS = (
    (
        5,
        "positive",
        "I was naïve to think a machine at this price could pull a proper café-style shot, "
        "but it really does. The crème on top is thick, the steam wand is strong and it heats up "
        "in under a minute. Worth every cent of the €149 I paid.",
    ),
    (
        2,
        "negative",
        "The café crème setting sounds lovely on paper, but the water tank started leaking after a week "
        "and the drip tray overflows constantly. Descaling is a chore. For €149 I expected far more, "
        "so it is going back.",
    ),
)
FIRST_NAMES = (
    "Maria",
    "John",
    "Aisha",
    "Chen",
    "Lukas",
    "Sofia",
    "Mateo",
    "Priya",
    "Olga",
    "Kwame",
    "Emma",
    "Noah",
    "Yuki",
    "Omar",
    "Lea",
    "Ivan",
    "Fatima",
    "Diego",
    "Hannah",
    "Tariq",
    "Nina",
    "Pedro",
    "Grace",
    "Sven",
)
RATING_WEIGHTS = {5: 32, 4: 24, 3: 14, 2: 12, 1: 18}
NOISE_RATE = 0.18  # of non-3-star reviews; about one review in ten overall
NOISE_FOR_HIGH = ("negation",)
NOISE_FOR_LOW = ("sarcasm", "rating_mismatch", "negated_praise")


@dataclass
class _Draft:
    author: str
    text: str
    rating: int
    published: date
    sentiment: str
    kind: str = "normal"
    dup_group: str | None = None
    noise: str | None = None


class _Writer:
    """Draws reviews from one RNG and refuses accidental near-duplicates, so dedup ground truth is exact."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.texts: list[str] = []
        self.noise_count: Counter[tuple[str, ...]] = Counter()

    def author(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice('ABCDEFGHJKLMNPRSTVW')}."

    def day(self) -> date:
        return date(2025, 12, 1) + timedelta(days=self.rng.randint(0, 349))

    def rating(self) -> int:
        return self.rng.choices(list(RATING_WEIGHTS), weights=list(RATING_WEIGHTS.values()))[0]

    def text(self, voice: ProductVoice, rating: int, lean: str, noise: str | None, low=25, high=90) -> str:
        for _ in range(200):
            text = review_text(self.rng, voice, rating, lean, noise, low=low, high=high)
            if all(jaccard(text, other) < UNIQUE_TEXT_MAX_JACCARD for other in self.texts):
                self.texts.append(text)
                return text
        raise RuntimeError("review templates are too repetitive to produce a distinct text")

    def normal(self, voice: ProductVoice, *, noisy: bool = True) -> _Draft:
        rating = self.rating()
        lean = self.rng.choice(("positive", "negative"))
        noise = None
        if noisy and rating != 3 and self.rng.random() < NOISE_RATE:
            kinds = NOISE_FOR_HIGH if rating >= 4 else NOISE_FOR_LOW
            noise = kinds[self.noise_count[kinds] % len(kinds)]  # rotate so every register shows up
            self.noise_count[kinds] += 1
        if rating == 3:
            sentiment = lean
        elif rating >= 4 or noise == "rating_mismatch":
            sentiment = "positive"
        else:
            sentiment = "negative"
        text = self.text(voice, rating, lean, noise)
        return _Draft(self.author(), text, rating, self.day(), sentiment, noise=noise)


def _draft_reviews(rng: random.Random) -> dict[tuple[str, str], list[_Draft]]:
    writer = _Writer(rng)
    specs = {(shop, s.product_id): s for shop, catalog in CATALOG.items() for s in catalog}
    drafts: dict[tuple[str, str], list[_Draft]] = {key: [] for key in specs}

    for key, spec in specs.items():
        if spec.quirk == "http_500":
            continue  # never rendered anywhere, so not part of the ground truth
        drafts[key].extend(writer.normal(spec.voice) for _ in range(rng.randint(4, 5)))

    # Syndicated: the manufacturer's feed puts the same review on both shops, lightly copy-edited.
    shared = {(s.shared, shop): s for (shop, _), s in specs.items() if s.shared}
    for group_index, product_key in enumerate([p for p, n in SYNDICATED for _ in range(n)], start=1):
        voice = shared[(product_key, "acme")].voice
        rating = rng.choice((5, 5, 4, 4, 2, 1))
        lean = "positive" if rating >= 4 else "negative"
        base = writer.text(voice, rating, lean, None, low=70, high=86)
        edited = edit_words(rng, base)
        acme_text, globex_text = (base, edited) if rng.random() < 0.5 else (edited, base)
        author, day = writer.author(), writer.day()
        for shop, text in (("acme", acme_text), ("globex", globex_text)):
            spec = shared[(product_key, shop)]
            drafts[(shop, spec.product_id)].append(
                _Draft(author, text, rating, day, lean, kind="syndicated", dup_group=f"syndicated-{group_index}")
            )

    # Boilerplate: an incentivised-review template pasted with a word or two changed.
    combos = rng.sample([(d, c) for d in BOILERPLATE_DURATIONS for c in BOILERPLATE_CLOSINGS], 3)
    for (shop, product_id), (duration, closing) in zip(
        (("acme", "p04"), ("acme", "p09"), ("globex", "p01")), combos, strict=True
    ):
        text = BOILERPLATE.format(duration=duration, closing=closing)
        drafts[(shop, product_id)].append(
            _Draft(
                writer.author(),
                text,
                5,
                writer.day(),
                "positive",
                kind="boilerplate",
                dup_group="boilerplate-1",
            )
        )

    # Exact duplicates: a double-submitted form (same product) and a copy-paste onto another product.
    for group, (shop, source_pid, target_pid) in enumerate(
        (("acme", "p05", "p05"), ("acme", "p01", "p03"), ("globex", "p04", "p04")), start=1
    ):
        original = next(d for d in drafts[(shop, source_pid)] if d.kind == "normal" and d.noise is None)
        original.kind, original.dup_group = "exact_duplicate", f"{shop}-dup-{group}"
        later = original.published + timedelta(days=0 if source_pid == target_pid else rng.randint(3, 40))
        drafts[(shop, target_pid)].append(
            _Draft(
                original.author,
                original.text,
                original.rating,
                later,
                original.sentiment,
                kind="exact_duplicate",
                dup_group=original.dup_group,
            )
        )

    # Broken ratings: a 10-point widget leaking a 7, and a zero from a form without validation.
    for shop, product_id, rating, text_rating, sentiment in (
        ("acme", "p03", 7, 5, "positive"),
        ("globex", "p09", 0, 1, "negative"),
    ):
        voice = specs[(shop, product_id)].voice
        text = writer.text(voice, text_rating, sentiment, None)
        drafts[(shop, product_id)].append(
            _Draft(writer.author(), text, rating, writer.day(), sentiment, kind="broken_rating")
        )

    drafts[("globex", "p07")].append(_Draft(writer.author(), "", 4, writer.day(), "positive", kind="empty_text"))
    for rating, sentiment, text in CP1252_REVIEWS:
        drafts[("globex", "p05")].append(_Draft(writer.author(), text, rating, writer.day(), sentiment))
    return drafts


# ---------------------------------------------------------------------------------------------- rendering

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


def _json_ld(spec: _Spec, reviews: list[DemoReview]) -> str:
    valid = [r.rating for r in reviews if 1 <= r.rating <= 5]
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": spec.name,
        "sku": spec.product_id,
        "offers": {
            "@type": "Offer",
            "price": spec.price.lstrip("$€"),
            "priceCurrency": "EUR" if "€" in spec.price else "USD",
        },
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
    text = json.dumps(data, ensure_ascii=False, indent=2).replace("</", "<\\/")
    if spec.json_ld == "invalid":
        text = text[: text.rindex("}")].rstrip() + ",\n}"  # a CMS template's trailing comma
    return f'<script type="application/ld+json">\n{text}\n</script>\n'


def _product_page(shop: str, spec: _Spec, reviews: list[DemoReview], related: list[_Spec]) -> DemoPage:
    path = f"/{shop}/product/{spec.product_id}"
    if spec.quirk == "http_500":
        return _html_page(
            500,
            "<!DOCTYPE html>\n<html><body><h1>Internal Server Error</h1>\n"
            "<p>Upstream inventory service timed out.</p></body></html>\n",
        )
    charset = "windows-1252" if spec.quirk == "windows_1252" else "utf-8"
    head = f'<link rel="canonical" href="{path}">\n<meta name="description" content="{_e(spec.name)}">\n'
    if spec.json_ld:
        head += _json_ld(spec, reviews)
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
        details = f'<p class="description">The {_e(spec.voice.noun)} our customers keep coming back for.</p>\n'
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


def _api_page(product_id: str, reviews: list[DemoReview]) -> DemoPage:
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


def _card(shop: str, spec: _Spec, count: int | None, *, suffix: str = "") -> str:
    path = f"/{shop}/product/{spec.product_id}"
    reviews = f'<a class="review-count" href="{path}#reviews">{count} reviews</a>' if count is not None else ""
    return (
        f'  <li class="product-card"><a class="product-link" href="{path}{suffix}">{_e(spec.name)}</a> '
        f'<span class="price">{_e(spec.price)}</span> {reviews}</li>'
    )


def _listing_pages(shop: str, catalog: tuple[_Spec, ...], counts: dict[str, int]) -> dict[str, DemoPage]:
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


def _static_pages(shop: str) -> dict[str, DemoPage]:
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


def _root_page() -> DemoPage:
    links = "\n".join(f'<li><a href="/{s}/">{_e(SHOP_TITLES[s])}</a></li>' for s in SHOPS)
    return _html_page(
        200,
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Demo shops</title></head>'
        f"<body><h1>Demo shops</h1><ul>\n{links}\n</ul></body></html>\n",
    )


_FILLER_VOICES = (
    ProductVoice("kettle", ("lid", "handle", "spout", "base")),
    ProductVoice("lamp", ("shade", "switch", "bulb", "base")),
    ProductVoice("backpack", ("straps", "zip", "pockets", "frame")),
    ProductVoice("mug", ("handle", "glaze", "rim", "lid")),
    _BLENDER,
    _FRYER,
)


def _filler_products(seed: int, count: int) -> dict[str, tuple[_Spec, list[_Draft]]]:
    """``count`` plain products per shop for load tests: normal reviews, no quirks, their own RNG.

    They come after the hand-made catalog (ids ``x001``...) and draw from a separate generator, so the
    default site is byte-identical whatever ``count`` is; unlike the catalog, their texts are not
    checked for accidental near-duplicates (that check is quadratic and these products are filler).
    """
    rng = random.Random(f"filler-{seed}")
    writer = _Writer(rng)
    made: dict[str, tuple[_Spec, list[_Draft]]] = {}
    for shop in SHOPS:
        for n in range(1, count + 1):
            voice = _FILLER_VOICES[n % len(_FILLER_VOICES)]
            spec = _Spec(f"x{n:03d}", f"{SHOP_TITLES[shop].split()[0]} {voice.noun.title()} No. {n}", voice,
                         f"${rng.randint(9, 199)}.00")  # fmt: skip
            drafts = []
            for _ in range(rng.randint(3, 5)):
                rating = writer.rating()
                lean = "positive" if rating > 3 else "negative" if rating < 3 else rng.choice(("positive", "negative"))
                text = review_text(rng, voice, rating, lean, None)
                drafts.append(_Draft(writer.author(), text, rating, writer.day(), lean))
            made[f"{shop}/{spec.product_id}"] = (spec, drafts)
    return made


def build_site(seed: int = DEFAULT_SEED, *, extra_products: int = 0) -> DemoSite:
    """Generate the whole site; the same seed always yields byte-identical pages and ground truth.

    ``extra_products`` adds that many plain products to each shop (more listing pages, more JavaScript
    product pages) for benchmarks; the default site does not change.
    """
    rng = random.Random(seed)
    drafts = _draft_reviews(rng)
    catalogs = {shop: CATALOG[shop] for shop in SHOPS}
    for key, (spec, extra) in _filler_products(seed, extra_products).items():
        shop = key.split("/", 1)[0]
        catalogs[shop] += (spec,)
        drafts[(shop, spec.product_id)] = extra
    reviews: dict[tuple[str, str], list[DemoReview]] = {}
    for (shop, product_id), items in drafts.items():
        reviews[(shop, product_id)] = [
            DemoReview(
                shop,
                product_id,
                f"{shop}-{product_id}-r{i:02d}",
                d.author,
                d.text,
                d.rating,
                d.published.isoformat(),
                d.sentiment,
                d.kind,
                d.dup_group,
                d.noise,
            )
            for i, d in enumerate(items, start=1)
        ]

    pages: dict[str, DemoPage] = {
        "/": _root_page(),
        "/robots.txt": DemoPage(200, "text/plain; charset=utf-8", ROBOTS_TXT.encode(), {}),
    }
    products: list[DemoProduct] = []
    for shop in SHOPS:
        catalog = catalogs[shop]
        counts = {s.product_id: len(reviews[(shop, s.product_id)]) for s in catalog if s.quirk != "http_500"}
        pages.update(_listing_pages(shop, catalog, counts))
        pages.update(_static_pages(shop))
        for index, spec in enumerate(catalog):
            shown = sorted(reviews[(shop, spec.product_id)], key=lambda r: (r.published, r.review_id), reverse=True)
            related = [catalog[(index + step) % len(catalog)] for step in (1, 2)]
            page = _product_page(shop, spec, shown, related)
            pages[f"/{shop}/product/{spec.product_id}"] = page
            if page.status == 200:
                pages[f"/{shop}/api/reviews/{spec.product_id}.json"] = _api_page(spec.product_id, shown)
            products.append(
                DemoProduct(
                    shop,
                    spec.product_id,
                    spec.name,
                    f"/{shop}/product/{spec.product_id}",
                    page.status,
                    spec.quirk,
                    spec.json_ld,
                    tuple(r.review_id for r in reviews[(shop, spec.product_id)]),
                )
            )
    all_reviews = sorted(
        (r for items in reviews.values() for r in items), key=lambda r: (r.shop, r.product_id, r.review_id)
    )
    return DemoSite(seed, pages, all_reviews, products, flaky={"/globex/products?page=2": 1})
