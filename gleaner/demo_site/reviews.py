"""The demo reviews, drafted from one seeded random stream: ratings, authors, dates, noise and copies."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from gleaner.demo_site.catalog import (
    CATALOG,
    CP1252_REVIEWS,
    NEUTRAL_EXTRAS,
    SYNDICATED,
    UNIQUE_TEXT_MAX_JACCARD,
)
from gleaner.demo_site.texts import (
    BOILERPLATE,
    BOILERPLATE_CLOSINGS,
    BOILERPLATE_DURATIONS,
    ProductVoice,
    edit_words,
    jaccard,
    review_text,
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
class ReviewDraft:
    author: str
    text: str
    rating: int
    published: date
    sentiment: str
    kind: str = "normal"
    dup_group: str | None = None
    noise: str | None = None


class ReviewWriter:
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

    def normal(self, voice: ProductVoice, *, noisy: bool = True) -> ReviewDraft:
        rating = self.rating()
        lean = self.rng.choice(("positive", "negative"))
        noise = None
        if noisy and rating != 3 and self.rng.random() < NOISE_RATE:
            kinds = NOISE_FOR_HIGH if rating >= 4 else NOISE_FOR_LOW
            noise = kinds[self.noise_count[kinds] % len(kinds)]  # rotate so every register shows up
            self.noise_count[kinds] += 1
        if rating == 3:
            sentiment = lean = "neutral"  # three stars read neutral here; the few that do not are drafted apart
        elif rating >= 4 or noise == "rating_mismatch":
            sentiment = "positive"
        else:
            sentiment = "negative"
        text = self.text(voice, rating, lean, noise)
        return ReviewDraft(self.author(), text, rating, self.day(), sentiment, noise=noise)


def draft_reviews(rng: random.Random) -> dict[tuple[str, str], list[ReviewDraft]]:
    writer = ReviewWriter(rng)
    specs = {(shop, s.product_id): s for shop, catalog in CATALOG.items() for s in catalog}
    drafts: dict[tuple[str, str], list[ReviewDraft]] = {key: [] for key in specs}

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
                ReviewDraft(author, text, rating, day, lean, kind="syndicated", dup_group=f"syndicated-{group_index}")
            )

    # Boilerplate: an incentivised-review template pasted with a word or two changed.
    combos = rng.sample([(d, c) for d in BOILERPLATE_DURATIONS for c in BOILERPLATE_CLOSINGS], 3)
    for (shop, product_id), (duration, closing) in zip(
        (("acme", "p04"), ("acme", "p09"), ("globex", "p01")), combos, strict=True
    ):
        text = BOILERPLATE.format(duration=duration, closing=closing)
        drafts[(shop, product_id)].append(
            ReviewDraft(
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
            ReviewDraft(
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
            ReviewDraft(writer.author(), text, rating, writer.day(), sentiment, kind="broken_rating")
        )

    drafts[("globex", "p07")].append(ReviewDraft(writer.author(), "", 4, writer.day(), "positive", kind="empty_text"))
    for rating, sentiment, text in CP1252_REVIEWS:
        drafts[("globex", "p05")].append(ReviewDraft(writer.author(), text, rating, writer.day(), sentiment))
    _three_class_reviews(writer, specs, drafts)
    return drafts


def _three_class_reviews(writer: ReviewWriter, specs: dict, drafts: dict[tuple[str, str], list[ReviewDraft]]) -> None:
    """Stars and words that part ways around the middle: more neutral 3-star reviews (factual, delivery),
    neutral reviews given 2 or 4 stars, and 3-star reviews whose words are clearly one way."""
    for shop, product_id, stars, sentiment in NEUTRAL_EXTRAS:
        voice = specs[(shop, product_id)].voice
        text_rating = stars if sentiment == "neutral" else 5 if sentiment == "positive" else 1
        text = writer.text(voice, text_rating, sentiment, None)
        noise = None if stars == 3 and sentiment == "neutral" else "rating_mismatch"
        drafts[(shop, product_id)].append(
            ReviewDraft(writer.author(), text, stars, writer.day(), sentiment, noise=noise)
        )


# ---------------------------------------------------------------------------------------------- rendering
