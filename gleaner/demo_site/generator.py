"""The demo site as data: two shops, their pages as served bytes, and the ground truth behind them.

Everything is generated in memory from one seed so the site is identical on every machine and nothing
large is checked in. The site is built to exercise each pipeline stage: JS-rendered reviews (browser
rendering), tracking-parameter links (canonicalization), robots.txt-protected links (politeness), broken
pages (failure accounting), schema.org JSON-LD (structured extraction), near-duplicates (dedup) and
ratings that contradict their text (label agreement). `DemoSite.reviews` is what a perfect pipeline
would recover, with each quirk labelled so tests can check a stage against it.
"""

from __future__ import annotations

import random

from gleaner.demo_site.catalog import (
    BLENDER,
    CATALOG,
    DEFAULT_SEED,
    FRYER,
    SHOP_TITLES,
    SHOPS,
    DemoPage,
    DemoProduct,
    DemoReview,
    DemoSite,
    ProductSpec,
)
from gleaner.demo_site.pages import ROBOTS_TXT, api_page, listing_pages, product_page, root_page, static_pages
from gleaner.demo_site.reviews import ReviewDraft, ReviewWriter, draft_reviews
from gleaner.demo_site.texts import (
    ProductVoice,
    review_text,
)

_FILLER_VOICES = (
    ProductVoice("kettle", ("lid", "handle", "spout", "base")),
    ProductVoice("lamp", ("shade", "switch", "bulb", "base")),
    ProductVoice("backpack", ("straps", "zip", "pockets", "frame")),
    ProductVoice("mug", ("handle", "glaze", "rim", "lid")),
    BLENDER,
    FRYER,
)


def _filler_products(seed: int, count: int) -> dict[str, tuple[ProductSpec, list[ReviewDraft]]]:
    """``count`` plain products per shop for load tests: normal reviews, no quirks, their own RNG.

    They come after the hand-made catalog (ids ``x001``...) and draw from a separate generator, so the
    default site is byte-identical whatever ``count`` is; unlike the catalog, their texts are not
    checked for accidental near-duplicates (that check is quadratic and these products are filler).
    """
    rng = random.Random(f"filler-{seed}")
    writer = ReviewWriter(rng)
    made: dict[str, tuple[ProductSpec, list[ReviewDraft]]] = {}
    for shop in SHOPS:
        for n in range(1, count + 1):
            voice = _FILLER_VOICES[n % len(_FILLER_VOICES)]
            spec = ProductSpec(f"x{n:03d}", f"{SHOP_TITLES[shop].split()[0]} {voice.noun.title()} No. {n}", voice,
                         f"${rng.randint(9, 199)}.00")  # fmt: skip
            drafts = []
            for _ in range(rng.randint(3, 5)):
                rating = writer.rating()
                lean = "positive" if rating > 3 else "negative" if rating < 3 else rng.choice(("positive", "negative"))
                text = review_text(rng, voice, rating, lean, None)
                drafts.append(ReviewDraft(writer.author(), text, rating, writer.day(), lean))
            made[f"{shop}/{spec.product_id}"] = (spec, drafts)
    return made


def build_site(seed: int = DEFAULT_SEED, *, extra_products: int = 0) -> DemoSite:
    """Generate the whole site; the same seed always yields byte-identical pages and ground truth.

    ``extra_products`` adds that many plain products to each shop (more listing pages, more JavaScript
    product pages) for benchmarks; the default site does not change.
    """
    rng = random.Random(seed)
    drafts = draft_reviews(rng)
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
        "/": root_page(),
        "/robots.txt": DemoPage(200, "text/plain; charset=utf-8", ROBOTS_TXT.encode(), {}),
    }
    products: list[DemoProduct] = []
    for shop in SHOPS:
        catalog = catalogs[shop]
        counts = {s.product_id: len(reviews[(shop, s.product_id)]) for s in catalog if s.quirk != "http_500"}
        pages.update(listing_pages(shop, catalog, counts))
        pages.update(static_pages(shop))
        for index, spec in enumerate(catalog):
            shown = sorted(reviews[(shop, spec.product_id)], key=lambda r: (r.published, r.review_id), reverse=True)
            related = [catalog[(index + step) % len(catalog)] for step in (1, 2)]
            page = product_page(shop, spec, shown, related)
            pages[f"/{shop}/product/{spec.product_id}"] = page
            if page.status == 200:
                pages[f"/{shop}/api/reviews/{spec.product_id}.json"] = api_page(spec.product_id, shown)
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
