"""A dataset's records: the extractor its record type picks, `text` as the labeled field, and a custom record's
own validation turning what it refuses into failed rows."""

import sys
import types
from pathlib import Path

import pytest
from pydantic import field_validator

from gleaner.datasets import DatasetSpecError, extract_records, load_dataset
from gleaner.schemas import ProductPage, ProductReview
from gleaner.sources import load_sources

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "extract"))
from test_product_pages import demo_pages, frame  # noqa: E402  the demo shops' pages, as a crawl stores them

ROOT = Path(__file__).resolve().parents[2]


class ShortTitledPage(ProductPage):
    """A team's stricter record: titles of at most six words (its marketplace's limit)."""

    @field_validator("title")
    @classmethod
    def _six_words(cls, title: str) -> str:
        if len(title.split()) > 6:
            raise ValueError("a title has six words at most")
        return title


class NotARecord(ProductReview.__base__):  # a pydantic model that extends neither built-in record
    name: str


@pytest.fixture(autouse=True)
def custom_module(monkeypatch):
    module = types.ModuleType("team_records")
    module.ShortTitledPage, module.NotARecord = ShortTitledPage, NotARecord
    monkeypatch.setitem(sys.modules, "team_records", module)


def _spec(tmp_path, record: str, **replace: str):
    text = (ROOT / "config" / "datasets" / "product_entities.yaml").read_text()
    text = text.replace("record: product_pages", f"record: {record}")
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp_path / "product_entities.yaml"
    path.write_text(text)
    return load_dataset(path)


def test_product_pages_carry_their_title_as_the_labeled_text(tmp_path):
    spec = _spec(tmp_path, "product_pages")
    result = extract_records(spec, frame(demo_pages("acme")), load_sources()["acme"])
    assert result.records.height > 5 and result.records["text"].to_list() == result.records["title"].to_list()


def test_a_custom_record_refuses_records_as_failed_rows_and_counts_still_reconcile(tmp_path):
    spec = _spec(tmp_path, "team_records:ShortTitledPage")
    pages = frame(demo_pages("acme"))
    plain = extract_records(_spec(tmp_path, "product_pages"), pages, load_sources()["acme"])
    strict = extract_records(spec, pages, load_sources()["acme"])
    refused = strict.failures.filter(strict.failures["reason"].str.starts_with("ShortTitledPage: title"))
    too_long = [t for t in plain.records["title"].to_list() if len(t.split()) > 6]
    assert too_long and refused.height == len(too_long)
    assert strict.records.height + refused.height == plain.records.height
    assert set(refused["stage"]) == {"validate"} and strict.reconciles


def test_a_record_no_extractor_builds_fails_at_load_naming_the_field(tmp_path):
    with pytest.raises(DatasetSpecError, match=r"product_entities.yaml: record: .*must extend one"):
        _spec(tmp_path, "team_records:NotARecord")
