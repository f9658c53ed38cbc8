"""Labeling functions over worker processes: the same vote rows, in the same order, as in one process."""

import io
import os
import pickle

import polars as pl

import gleaner.labeling.functions as functions_module
from gleaner.datasets import classification_functions, load_datasets, record_view
from gleaner.demo_site.generator import build_site
from gleaner.labeling import apply_functions


def worker_pid(record) -> str:  # module-level, so it pickles: says which process labelled the record
    return str(os.getpid())


def _views():
    spec = load_datasets()["review_sentiment"]
    reviews = build_site().reviews
    rows = [
        {"record_id": f"r{n:04d}", "text": r.text, "rating": float(r.rating) if r.rating is not None else None}
        for n, r in enumerate(reviews * 3)
    ]
    return spec, [record_view(spec, row) for row in rows]


def _bytes(rows: list[dict]) -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame(rows, orient="row").write_parquet(buffer)
    return buffer.getvalue()


def test_declared_rules_pickle_and_vote_the_same_after():
    spec, views = _views()
    functions = classification_functions(spec)
    copied = pickle.loads(pickle.dumps(functions))
    assert {type(f).__name__ for f in functions.values()} >= {"ThresholdVote", "PatternVote"}
    assert [[f(v) for f in copied.values()] for v in views] == [[f(v) for f in functions.values()] for v in views]


def test_worker_processes_give_the_same_rows_to_the_byte(monkeypatch):
    monkeypatch.setattr(functions_module, "PARALLEL_MIN_RECORDS", 50)
    monkeypatch.setattr(functions_module, "CHUNK_RECORDS", 37)
    spec, views = _views()
    functions = classification_functions(spec)
    serial = apply_functions(views, functions, workers=1)
    parallel = apply_functions(views, functions, workers=2)
    assert len(serial) == len(views) * len(functions) and {r["label"] for r in serial} > {None}
    assert parallel == serial and _bytes(parallel) == _bytes(serial)
    # The work did leave this process (a function that reports where it ran says so) ...
    pids = {r["label"] for r in apply_functions(views, {"pid": worker_pid}, workers=2)}
    assert str(os.getpid()) not in pids
    # ... and a function that cannot be pickled (a closure) runs here instead, with the same rows.
    lexicon = functions["lf_lexicon"]
    closures = {**functions, "lf_closure": lambda record: lexicon(record)}
    rows = apply_functions(views, closures, workers=2)
    assert [r["label"] for r in rows if r["annotator"] == "lf_closure"] == [
        r["label"] for r in serial if r["annotator"] == "lf_lexicon"
    ]
    assert [r for r in rows if r["annotator"] != "lf_closure"] == serial
