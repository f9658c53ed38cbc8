"""The bundled human annotations: in sync with the demo site, readable by the export readers, and agreeing
between the two annotators as people do (mostly, not always)."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

import gleaner
from gleaner.datasets import DEFAULT_DATASETS_DIR, load_dataset
from gleaner.demo_site import build_site
from gleaner.demo_site.annotations import demo_annotations
from gleaner.demo_site.span_annotations import demo_span_annotations
from gleaner.extract import extract_product_page
from gleaner.labeling.label_studio.spans import parse_span_export
from gleaner.labeling.spans import Span, pairwise_span_agreement
from gleaner.pages import FetchedPage

DATA = Path(gleaner.__file__).parent / "data"


@pytest.mark.parametrize(
    ("name", "make"),
    [("demo_human_annotations.json", demo_annotations), ("demo_span_annotations.json", demo_span_annotations)],
)
def test_bundled_files_are_what_the_generator_makes(name, make):
    bundled = json.loads((DATA / name).read_text(encoding="utf-8"))
    assert bundled == json.loads(json.dumps(make())), f"run scripts/make_demo_annotations.py to refresh {name}"


def span_votes():
    spec = load_dataset(DEFAULT_DATASETS_DIR / "product_entities.yaml")
    tasks = json.loads((DATA / "demo_span_annotations.json").read_text(encoding="utf-8"))
    votes, problems = parse_span_export(tasks, spec.label_names)
    return tasks, votes, problems


def test_span_export_reads_without_a_problem_and_covers_most_live_titles():
    tasks, votes, problems = span_votes()
    assert problems == []
    live = [p for p in build_site().products if p.status == 200]
    assert len(live) * 0.75 <= len(tasks) < len(live)
    assert {v["annotator"] for v in votes} == {"human:ana@demo.gleaner", "human:ben@demo.gleaner"}
    assert all(len(task["annotations"]) == 2 and task["annotations"][0]["lead_time"] > 0 for task in tasks)


def test_annotators_agree_mostly_but_not_always():
    tasks, votes, _ = span_votes()
    texts = {t["data"]["record_id"]: t["data"]["text"] for t in tasks}
    by_annotator: dict[str, dict[str, list[Span]]] = {}
    for vote in votes:
        spans = [Span(s["start"], s["end"], s["label"], s["text"]) for s in vote["spans"]]
        by_annotator.setdefault(vote["annotator"], {})[vote["record_id"]] = spans
    (row,) = pairwise_span_agreement(texts, by_annotator, min_shared=10)
    assert row["n_shared"] == len(tasks)
    assert 0.8 <= row["span_f1"] < 1 and 0.8 <= row["kappa"] < 1


def test_task_record_ids_are_the_ids_the_product_page_extractor_gives():
    site = build_site()
    extracted = {}
    for product in (p for p in site.products if p.status == 200):
        served = site.pages[product.path]
        html = served.body.decode("cp1252" if "windows-1252" in served.content_type else "utf-8")
        url = f"http://127.0.0.1:9{product.path}"  # the address does not matter: the sku does
        page = FetchedPage.of(product.shop, url, 200, html, None, datetime(2026, 11, 20, tzinfo=UTC))
        extracted.update({r.record_id: r.title for r in extract_product_page(page).records})
    tasks, _, _ = span_votes()
    assert {t["data"]["record_id"]: t["data"]["text"] for t in tasks}.items() <= extracted.items()
