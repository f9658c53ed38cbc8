"""The agreement part of the candidate state: vote patterns kept and recounted only for the records that new,
changed or removed `labels` partitions touch equal the patterns counted over every partition's votes, for any
sequence of such builds, with records re-scraped across partitions and a missing record id among them."""

from __future__ import annotations

import random

import polars as pl

from gleaner.dataset.candidate_state import Partitions, StoredState, agreement_tables
from gleaner.labeling.agreement_table import combine, vote_patterns, vote_table

SCHEMA = {"record_id": pl.String, "annotator": pl.String, "annotator_kind": pl.String, "label": pl.String}


def _votes(rng: random.Random) -> pl.DataFrame:
    rows = []
    for _ in range(rng.randint(0, 40)):
        record = rng.choice([None, *(f"r{i}" for i in range(30))])  # few ids: many re-scrapes across partitions
        for annotator in rng.sample(["lf_a", "lf_b", "llm_x", "llm_y"], rng.randint(1, 4)):
            kind = "llm" if annotator.startswith("llm") else "lf"
            rows.append((record, annotator, kind, rng.choice(["pos", "neg", "neutral", None])))
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def _saved(update) -> StoredState:
    """The state the next build loads after this one saved `update`."""
    return StoredState(manifest={"agreement": update.manifest}, agreement=update.tables, patterns=update.patterns)


def test_recounted_patterns_are_every_records_patterns_through_any_sequence_of_builds() -> None:
    rng = random.Random(5)
    for _ in range(30):
        data: dict[str, pl.DataFrame] = {}
        versions: dict[str, str] = {}
        state = StoredState()
        for step in range(6):
            change = rng.choice(["add", "add", "edit", "remove"])
            if change == "add" or not data:
                key = f"date=2026-11-{rng.randint(1, 28):02d}"  # a backfill may sort before what is held
                data[key], versions[key] = _votes(rng), f"v{step}"
            elif change == "edit":
                key = rng.choice(sorted(data))
                data[key], versions[key] = _votes(rng), f"v{step}"
            else:
                key = rng.choice(sorted(data))
                del data[key], versions[key]
            labels = Partitions(dict(versions), lambda keys, held=dict(data): pl.concat([held[k] for k in keys]))
            update, _, how = agreement_tables(state, labels)
            expected = vote_patterns(combine([vote_table(data[k])[0] for k in sorted(data)]))
            assert update.patterns.equals(expected), how
            assert step == 0 or "every record" not in how  # the stored patterns were used after the first
            state = _saved(update)
