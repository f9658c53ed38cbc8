"""The README's walkthrough, step 3 ("add a source"), run as written: the YAML it shows is appended to the
sources file, the source is named in the review dataset's `sources` as it says, the graph runs with it, and a
wrong field fails at load time naming the field."""

import re
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT, isolated_environment, run_cli

from gleaner.sources import SourceConfigError, load_sources

pytestmark = pytest.mark.e2e


def readme_step() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    step = readme[readme.index("**Add a source.**") :]
    return step[: step.index("**Backfill a week.**")]


def readme_source_snippet() -> str:
    (block,) = re.findall(r"```yaml\n(.*?)```", readme_step(), flags=re.S)
    return "\n".join(line[3:] if line.startswith("   ") else line for line in block.splitlines()) + "\n"


def datasets_reading_the_new_source(tmp_path: Path) -> Path:
    """config/datasets/ with the `sources:` line the README shows put into the dataset file it names."""
    ((file, line),) = re.findall(r"`(config/datasets/[a-z_]+\.yaml)`,\s+`(sources: \[[^]]+\])`", readme_step())
    folder = tmp_path / "datasets"
    folder.mkdir()
    for path in (ROOT / "config" / "datasets").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if path == ROOT / file:
            text, replaced = re.subn(r"^sources: \[.*\]$", line, text, flags=re.M)
            assert replaced == 1, path
        (folder / path.name).write_text(text, encoding="utf-8")
    return folder


def sources_with(tmp_path: Path, snippet: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text((ROOT / "config" / "sources.yaml").read_text(encoding="utf-8") + snippet, encoding="utf-8")
    return path


def test_the_readme_source_loads_and_a_wrong_field_is_named(tmp_path: Path):
    snippet = readme_source_snippet()
    assert load_sources(sources_with(tmp_path, snippet))["acme_jsonld"].render == "http"
    with pytest.raises(SourceConfigError, match="render"):
        load_sources(sources_with(tmp_path, snippet.replace("render: http", "render: fast")))


def test_the_added_source_runs_and_its_reviews_are_duplicates_of_the_first_crawl(tmp_path: Path):
    env = isolated_environment(tmp_path)
    env["GLEANER_SOURCES"] = str(sources_with(tmp_path, readme_source_snippet()))
    env["GLEANER_DATASETS"] = str(datasets_reading_the_new_source(tmp_path))
    run_cli(["demo"], env)
    partition = Path("source=acme_jsonld") / "date=2026-11-20" / "part-0.parquet"
    root = tmp_path / "warehouse" / "review_sentiment" / "{}" / partition
    con = duckdb.connect()
    canonical = con.execute(f"SELECT count(*) FROM '{str(root).format('canonical_records')}'").fetchone()[0]
    kept = con.execute(f"SELECT count(*) FROM '{str(root).format('deduped_records')}'").fetchone()[0]
    extraction = con.execute(f"SELECT DISTINCT extraction FROM '{str(root).format('canonical_records')}'").fetchall()
    assert canonical > 0 and kept == 0  # every JSON-LD review is one acme already had
    assert extraction == [("json-ld",)]  # read from the schema.org JSON-LD, not the CSS selectors
    # a dataset that does not list the source reads nothing from it
    products = tmp_path / "warehouse" / "product_entities" / "canonical_records" / partition
    assert con.execute(f"SELECT count(*) FROM '{products}'").fetchone()[0] == 0
