"""Regenerate the bundled demo annotations in gleaner/data/ from the demo site's seed: review sentiment
(`demo_human_annotations.json`) and product-title spans (`demo_span_annotations.json`)."""

import json
from pathlib import Path

from gleaner.demo_site.annotations import demo_annotations
from gleaner.demo_site.span_annotations import demo_span_annotations

DATA = Path(__file__).resolve().parent.parent / "gleaner" / "data"
FILES = {"demo_human_annotations.json": demo_annotations, "demo_span_annotations.json": demo_span_annotations}

if __name__ == "__main__":
    for name, make in FILES.items():
        target = DATA / name
        target.write_text(json.dumps(make(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {target}")
