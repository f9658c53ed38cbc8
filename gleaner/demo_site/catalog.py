"""The demo shops' catalogue: served pages, products and reviews as data, and the products each shop sells."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from gleaner.demo_site.texts import (
    ProductVoice,
)
from gleaner.schemas import stable_record_id

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

    def deduped_records(self) -> list[dict]:
        """The reviews as extraction and dedup would keep them (no empty text or broken rating, one review per
        duplicate group), with extraction's record ids and the sentiment each was written with (`truth`)."""
        kept, groups = [], set()
        for review in self.reviews:
            if not review.text or not 1 <= review.rating <= 5 or review.dup_group in groups:
                continue
            if review.dup_group:
                groups.add(review.dup_group)
            record_id = stable_record_id(review.shop, review.review_id)
            kept.append(
                {"record_id": record_id, "text": review.text, "rating": float(review.rating), "truth": review.sentiment}
            )
        return sorted(kept, key=lambda r: r["record_id"])

    def summary(self) -> dict[str, object]:
        return {
            "pages": len(self.pages),
            "products": Counter(p.shop for p in self.products),
            "reviews": Counter(r.shop for r in self.reviews),
            "kinds": Counter(r.kind for r in self.reviews),
            "noise": Counter(r.noise for r in self.reviews if r.noise),
        }


@dataclass(frozen=True)
class ProductSpec:
    product_id: str
    name: str
    voice: ProductVoice
    price: str
    quirk: str | None = None  # "http_500" | "malformed_html" | "windows_1252"
    json_ld: str | None = None  # "valid" | "invalid"
    shared: str | None = None  # same product sold by both shops: syndicated reviews land on both

    @property
    def description(self) -> str:
        """The short description every product page carries (meta, JSON-LD and page), its title included."""
        return f"{self.name}: the {self.voice.noun} our customers keep coming back for."


BLENDER = ProductVoice("blender", ("jar", "motor", "blades", "lid"))
FRYER = ProductVoice("air fryer", ("basket", "timer", "display", "drawer"))
_LUNCHBOX = ProductVoice("lunch box", ("lid", "seal", "inner container", "strap"))

CATALOG: dict[str, tuple[ProductSpec, ...]] = {
    "acme": (
        ProductSpec(
            "p01",
            "Acme Stainless Steel Kettle 1.7L Silver",
            ProductVoice("kettle", ("lid", "handle", "spout", "base")),
            "$39.00",
            json_ld="valid",
        ),
        ProductSpec("p02", "Vortex Blender 500 Matte Black 1.5L", BLENDER, "$89.00", shared="blender"),
        ProductSpec(
            "p03",
            "Acme Cast Iron Skillet 26 cm Black",
            ProductVoice("skillet", ("handle", "coating", "surface", "rim")),
            "$45.00",
        ),
        ProductSpec(
            "p04",
            "Acme Pour-Over Coffee Set 600 ml White",
            ProductVoice("coffee set", ("carafe", "filter", "dripper", "lid")),
            "$32.00",
            json_ld="valid",
        ),
        ProductSpec(
            "p05",
            "Acme Chef's Knife 8in Stainless Steel",
            ProductVoice("knife", ("blade", "handle", "edge", "tip")),
            "$59.00",
        ),
        ProductSpec("p06", "CrispAir Compact Air Fryer 4L Black", FRYER, "$99.00", shared="air_fryer"),
        ProductSpec(
            "p07",
            "Acme Smart Toaster Pro Silver",
            ProductVoice("toaster", ("slots", "lever", "timer", "crumb tray")),
            "$49.00",
            quirk="http_500",
        ),
        ProductSpec(
            "p08",
            "Acme Bamboo Cutting Board 45 cm",
            ProductVoice("board", ("surface", "groove", "edge", "feet")),
            "$25.00",
            quirk="malformed_html",
        ),
        ProductSpec(
            "p09",
            "Acme Rice Cooker Duo 1.8L White",
            ProductVoice("rice cooker", ("inner pot", "lid", "display", "vent")),
            "$79.00",
            json_ld="invalid",
        ),
        ProductSpec("p10", "ThermoKeep Lunch Box 750 ml Blue", _LUNCHBOX, "$29.00", shared="lunch_box"),
    ),
    "globex": (
        ProductSpec(
            "p01",
            "Globex Trail Headlamp X-200 Red",
            ProductVoice("headlamp", ("strap", "battery", "beam", "switch")),
            "$35.00",
        ),
        ProductSpec("p02", "Vortex Blender 500 Matte Black 1.5L", BLENDER, "$92.00", shared="blender"),
        ProductSpec(
            "p03",
            "Globex Noise-Cancelling Headphones Max Grey",
            ProductVoice("headphones", ("ear cups", "headband", "battery", "case")),
            "$149.00",
            json_ld="valid",
        ),
        ProductSpec(
            "p04",
            "Globex Camping Stove Mini Stainless Steel",
            ProductVoice("stove", ("burner", "valve", "pot stand", "igniter")),
            "$65.00",
        ),
        ProductSpec(
            "p05",
            "Café Crème Espresso Maker 1.2L Silver",
            ProductVoice("espresso maker", ("steam wand", "portafilter", "water tank", "drip tray")),
            "€149.00",
            quirk="windows_1252",
            json_ld="valid",
        ),
        ProductSpec("p06", "CrispAir Compact Air Fryer 4L Black", FRYER, "$97.00", shared="air_fryer"),
        ProductSpec(
            "p07",
            "Globex Solar Power Bank 20000mAh Green",
            ProductVoice("power bank", ("solar panel", "cable", "ports", "casing")),
            "$45.00",
        ),
        ProductSpec(
            "p08", "ThermoKeep Lunch Box 750 ml Blue", _LUNCHBOX, "$31.00", json_ld="valid", shared="lunch_box"
        ),
        ProductSpec(
            "p09",
            "Globex Bluetooth Speaker Mini Black",
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
# (shop, product, stars, what the words say): neutral reviews beyond the 3-star ones drawn with the rest,
# neutral words under 2 or 4 stars, and 3 stars over words that are clearly one way.
NEUTRAL_EXTRAS = (
    *((shop, product_id, 3, "neutral") for shop, product_id in (
        ("acme", "p01"), ("acme", "p03"), ("acme", "p04"), ("acme", "p08"), ("acme", "p10"),
        ("globex", "p01"), ("globex", "p02"), ("globex", "p06"), ("globex", "p08"), ("globex", "p09"),
    )),
    ("acme", "p02", 4, "neutral"),
    ("acme", "p05", 4, "neutral"),
    ("globex", "p03", 2, "neutral"),
    ("globex", "p07", 2, "neutral"),
    ("acme", "p06", 3, "positive"),
    ("globex", "p04", 3, "negative"),
    ("globex", "p09", 3, "positive"),
)  # fmt: skip
