"""The bundled sample of human span annotations of the demo's product titles, in Label Studio's NER export.

Two annotators mark brands, models, capacities, colours, materials, sizes and product types (the
`product_entities` dataset) in the titles of most live product pages. Ana follows the guidelines; Ben
reads a few titles differently (a descriptive word inside the product type, a colour missed), so the span
agreement between them is high but not perfect. Task record ids are the ones the product-page extractor
gives those pages (`stable_record_id(shop, sku)`). `scripts/make_demo_annotations.py` writes the file.
"""

from __future__ import annotations

import hashlib
import re

from gleaner.demo_site.catalog import CATALOG, SHOPS
from gleaner.schemas import stable_record_id

ANNOTATORS = ({"id": 1, "email": "ana@demo.gleaner"}, {"id": 2, "email": "ben@demo.gleaner"})
# Each title with its entities as [text|LABEL]; stripped of the brackets it is the catalogue's name.
TITLES: dict[tuple[str, str], str] = {
    ("acme", "p01"): "[Acme|BRAND] [Stainless Steel|MATERIAL] [Kettle|PRODUCT_TYPE] [1.7L|CAPACITY] [Silver|COLOR]",
    ("acme", "p02"): "[Vortex|BRAND] [Blender|PRODUCT_TYPE] [500|MODEL] [Matte Black|COLOR] [1.5L|CAPACITY]",
    ("acme", "p03"): "[Acme|BRAND] [Cast Iron|MATERIAL] [Skillet|PRODUCT_TYPE] [26 cm|SIZE] [Black|COLOR]",
    ("acme", "p04"): "[Acme|BRAND] [Pour-Over Coffee Set|PRODUCT_TYPE] [600 ml|CAPACITY] [White|COLOR]",
    ("acme", "p05"): "[Acme|BRAND] [Chef's Knife|PRODUCT_TYPE] [8in|SIZE] [Stainless Steel|MATERIAL]",
    ("acme", "p06"): "[CrispAir|BRAND] Compact [Air Fryer|PRODUCT_TYPE] [4L|CAPACITY] [Black|COLOR]",
    ("acme", "p08"): "[Acme|BRAND] [Bamboo|MATERIAL] [Cutting Board|PRODUCT_TYPE] [45 cm|SIZE]",
    ("acme", "p09"): "[Acme|BRAND] [Rice Cooker|PRODUCT_TYPE] [Duo|MODEL] [1.8L|CAPACITY] [White|COLOR]",
    ("globex", "p01"): "[Globex|BRAND] Trail [Headlamp|PRODUCT_TYPE] [X-200|MODEL] [Red|COLOR]",
    ("globex", "p02"): "[Vortex|BRAND] [Blender|PRODUCT_TYPE] [500|MODEL] [Matte Black|COLOR] [1.5L|CAPACITY]",
    ("globex", "p03"): "[Globex|BRAND] [Noise-Cancelling Headphones|PRODUCT_TYPE] [Max|MODEL] [Grey|COLOR]",
    ("globex", "p04"): "[Globex|BRAND] [Camping Stove|PRODUCT_TYPE] [Mini|MODEL] [Stainless Steel|MATERIAL]",
    ("globex", "p05"): "[Café Crème|BRAND] [Espresso Maker|PRODUCT_TYPE] [1.2L|CAPACITY] [Silver|COLOR]",
    ("globex", "p06"): "[CrispAir|BRAND] Compact [Air Fryer|PRODUCT_TYPE] [4L|CAPACITY] [Black|COLOR]",
    ("globex", "p07"): "[Globex|BRAND] Solar [Power Bank|PRODUCT_TYPE] [20000mAh|CAPACITY] [Green|COLOR]",
}
# Where Ben reads a title his own way.
BEN_READS: dict[tuple[str, str], str] = {
    ("acme", "p01"): "[Acme|BRAND] [Stainless Steel|MATERIAL] [Kettle|PRODUCT_TYPE] [1.7L|CAPACITY] Silver",
    ("acme", "p06"): "[CrispAir|BRAND] [Compact Air Fryer|PRODUCT_TYPE] [4L|CAPACITY] [Black|COLOR]",
    ("globex", "p01"): "[Globex|BRAND] [Trail Headlamp|PRODUCT_TYPE] [X-200|MODEL] [Red|COLOR]",
    ("globex", "p03"): "[Globex|BRAND] Noise-Cancelling [Headphones|PRODUCT_TYPE] [Max|MODEL] [Grey|COLOR]",
}
_MARK = re.compile(r"\[([^|\]]+)\|([A-Z_]+)\]")


def parse_marked(marked: str) -> tuple[str, list[tuple[int, int, str]]]:
    """The plain title and its spans (start, end, label) from `[text|LABEL]` markup."""
    plain, spans, last = [], [], 0
    length = 0
    for match in _MARK.finditer(marked):
        before = marked[last : match.start()]
        plain.append(before)
        length += len(before)
        spans.append((length, length + len(match.group(1)), match.group(2)))
        plain.append(match.group(1))
        length += len(match.group(1))
        last = match.end()
    plain.append(marked[last:])
    return "".join(plain), spans


def _result(title: str, spans: list[tuple[int, int, str]], annotation_id: int) -> list[dict]:
    return [
        {
            "id": f"a{annotation_id}s{n}",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "origin": "manual",
            "value": {"start": start, "end": end, "text": title[start:end], "labels": [label]},
        }
        for n, (start, end, label) in enumerate(spans, start=1)
    ]


def _lead_time(key: str) -> float:
    return 8 + int(hashlib.sha256(key.encode()).hexdigest(), 16) % 3200 / 100


def demo_span_annotations() -> list[dict]:
    """One task per annotated title, ana's annotation then ben's, in shop and product order."""
    names = {(shop, spec.product_id): spec.name for shop in SHOPS for spec in CATALOG[shop]}
    tasks, next_id = [], 1
    for task_id, (shop, product_id) in enumerate(sorted(TITLES), start=1):
        annotations = []
        for annotator in ANNOTATORS:
            marked = BEN_READS.get((shop, product_id), TITLES[(shop, product_id)])
            title, spans = parse_marked(marked if annotator["id"] == 2 else TITLES[(shop, product_id)])
            if title != names[(shop, product_id)]:
                raise ValueError(f"markup of {shop}/{product_id} does not spell its title: {title!r}")
            annotations.append(
                {
                    "id": next_id,
                    "completed_by": annotator,
                    "result": _result(title, spans, next_id),
                    "was_cancelled": False,
                    "lead_time": _lead_time(f"{annotator['email']}/{shop}/{product_id}"),
                    "created_at": "2026-11-21T10:00:00Z",
                    "updated_at": "2026-11-21T10:00:00Z",
                }
            )
            next_id += 1
        record_id = stable_record_id(shop, product_id)
        tasks.append(
            {
                "id": task_id,
                "data": {"text": names[(shop, product_id)], "record_id": record_id},
                "annotations": annotations,
            }
        )
    return tasks
