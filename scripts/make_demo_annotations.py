"""Regenerate gleaner/data/demo_human_annotations.json from the demo site's seed."""

import json
from pathlib import Path

from gleaner.demo_site.annotations import demo_annotations

TARGET = Path(__file__).resolve().parent.parent / "gleaner" / "data" / "demo_human_annotations.json"

if __name__ == "__main__":
    TARGET.write_text(json.dumps(demo_annotations(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {TARGET}")
