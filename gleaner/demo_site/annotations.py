"""The bundled sample of human annotations, in Label Studio's JSON export format.

Two annotators label the reviews a rating rule cannot decide (3 stars, and words that read neutral whatever
the stars) and a shared slice of others, so the demo has human labels to resolve with and human-human
agreement to measure; both see a quarter of the reviews and every other neutral one. Each annotation carries
the seconds it took (`lead_time`, as Label Studio records it): ana reads a review in 10 to 24 s, ben in 14 to
30 s, so the demo shows an annotation velocity near the 240 records/hour reference. Generated from the same
seed as the site; `scripts/make_demo_annotations.py` writes it and a test keeps it in sync.
"""

from __future__ import annotations

import hashlib

from gleaner.demo_site.generator import DemoReview, DemoSite, build_site
from gleaner.schemas import stable_record_id

ANNOTATORS = ({"id": 1, "email": "ana@demo.gleaner"}, {"id": 2, "email": "ben@demo.gleaner"})
SECONDS_PER_REVIEW = {1: (10.0, 24.0), 2: (14.0, 30.0)}  # annotator id -> fastest and slowest read


def _choice(label: str) -> list[dict]:
    return [{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": [label]}}]


def _hash(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest(), 16)


def simulated_lead_time(key: str, fastest: float = 10.0, slowest: float = 30.0) -> float:
    """Seconds a simulated person spends on a task, between `fastest` and `slowest` to the centisecond, the
    same for the same `key` on every run (no random state: the bundled file must regenerate byte for byte)."""
    steps = round((slowest - fastest) * 100) + 1
    return round(fastest + _hash(key) % steps / 100, 2)


def _second_opinion(review: DemoReview) -> str:
    """How ben reads a review when he disagrees: a neutral one as leaning the way of its stars, a 3-star or
    noisy one as neutral, a plain one the other way."""
    if review.sentiment == "neutral":
        return "positive" if review.rating > 3 or (review.rating == 3 and _hash(review.text) % 2) else "negative"
    if review.rating == 3 or review.noise:
        return "neutral"
    return "negative" if review.sentiment == "positive" else "positive"


def demo_annotations(site: DemoSite | None = None) -> list[dict]:
    site = site or build_site()
    tasks, next_id = [], 1
    for task_id, review in enumerate(sorted(site.reviews, key=lambda r: r.review_id), start=1):
        if not review.text or not 1 <= review.rating <= 5:
            continue
        shared = _hash(review.review_id) % 4 == 0 or (
            review.sentiment == "neutral" and _hash(review.review_id) % 2 == 0
        )
        if review.rating != 3 and review.sentiment != "neutral" and not shared:
            continue
        annotations = []
        for annotator in ANNOTATORS[: 2 if shared else 1]:
            label = review.sentiment
            # ben disagrees now and then, as people do
            if annotator["id"] == 2 and _hash(review.text) % 7 == 0:
                label = _second_opinion(review)
            annotations.append(
                {
                    "id": next_id,
                    "completed_by": annotator,
                    "result": _choice(label),
                    "was_cancelled": False,
                    "lead_time": simulated_lead_time(
                        f"{annotator['email']}/{review.review_id}", *SECONDS_PER_REVIEW[annotator["id"]]
                    ),
                    "created_at": f"{review.published}T12:00:00Z",
                    "updated_at": f"{review.published}T12:00:00Z",
                }
            )
            next_id += 1
        tasks.append(
            {
                "id": task_id,
                "data": {"record_id": stable_record_id(review.shop, review.review_id), "text": review.text},
                "annotations": annotations,
            }
        )
    # one skipped annotation, as real exports carry them
    tasks[0]["annotations"].append(
        {
            "id": next_id,
            "completed_by": ANNOTATORS[1],
            "result": [],
            "was_cancelled": True,
            "created_at": "2026-11-19T12:00:00Z",
            "updated_at": "2026-11-19T12:00:00Z",
        }
    )
    return tasks
