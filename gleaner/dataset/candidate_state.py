"""What a candidate keeps between builds, so that a publish reads what changed plus this state.

Four parts, each stored in the warehouse under the dataset's prefix (`<dataset>/candidate_state/`), through
the same `Store` as everything else, so a local folder and S3 behave alike:

* `dedup.state`: the global dedup pass as state (`gleaner.dedup.global_state`: every first sighting with
  its band hashes, kept flag and cluster), built from the `canonical_records` partitions the
  manifest names with their data versions; the texts in append-only segments `texts-<n>.state` (0 from
  scratch, one more per addition), read back only for the records an addition re-runs. A build whose
  partitions are the recorded ones plus new ones reads only the new partitions and updates the state; if
  any recorded partition changed or disappeared, or the threshold or the library code differs, the pass
  runs from scratch over every partition (records can only leave in a from-scratch pass, which is
  therefore the only way they do).
* `agreement.state`: each `labels` partition's vote table (`gleaner.labeling.agreement_table`, with a
  `partition` column), plus its unconditional LLM annotators in the manifest; and `agreement-patterns.state`,
  how many records gave each vote pattern over all of them (`vote_patterns`), which is all the agreement
  report reads. Tables are per partition, so any change is exact without a fallback: a changed partition's
  table is rebuilt, a removed one dropped, and the patterns of the records those partitions touch are
  taken out as they were and put back as they are now (integer counts: the same as counting every record
  again, which a build without usable patterns does).
* `schema.state`: the fingerprints of the last candidate's rows that passed the gate's schema check
  (`gleaner.dataset.gate.KnownValid`), with what they hold under in the manifest, so the next build
  validates only rows that are new or changed since.
* `leak.state`: the leak check's own MinHash sketches of the last candidate's texts, by a fingerprint of
  the text (`gleaner.dedup.sketch_cache.KnownSketches`), with what they hold under in the manifest, so the
  next build's leak check sketches only texts that are new since; and `leak-pairs.state`, the Jaccard of
  every candidate pair its dedup checked, by the two texts' fingerprints, so that the next check verifies
  (and shingles the texts of) only pairs it has not seen. The check computed both itself: it still trusts
  nothing the dedup step computed.

`state.json`, the manifest, is written last and names the sha256 of every file with what they were built
from. A state is used only when the manifest parses, its code version and threshold match and each file
hashes to what the manifest says (a text segment is checked when it is read); anything else (missing,
garbled, half-written by a crash between the files and the manifest) is ignored and that part is built
from scratch. So a bad state costs time, never a wrong answer. `.state` rather than `.parquet`: the files
are the candidate's bookkeeping, not a table for the catalog's views.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from gleaner.code_version import source_fingerprint
from gleaner.dataset.gate import FINGERPRINT_SCHEMA, KnownValid
from gleaner.dedup import Settle, local_settle
from gleaner.dedup.global_state import TextsOf, add_records, build_state, read_state, read_texts, state_bytes
from gleaner.dedup.sketch_cache import PAIR_SCHEMA, SKETCH_SCHEMA, KnownSketches
from gleaner.labeling.agreement_table import (
    PATTERN_SCHEMA,
    TABLE_SCHEMA,
    add_patterns,
    combine,
    vote_patterns,
    vote_table,
)
from gleaner.storage.backends import Store

FORMAT = 1
MANIFEST = "state.json"
DEDUP_FILE = "dedup.state"
AGREEMENT_FILE = "agreement.state"
PATTERNS_FILE = "agreement-patterns.state"
SCHEMA_FILE = "schema.state"
LEAK_FILE = "leak.state"
LEAK_PAIRS_FILE = "leak-pairs.state"


def texts_file(segment: int | str) -> str:
    return f"texts-{segment}.state"


class StateUnusable(Exception):
    """A part of the state turned out unusable while it was being read (the build goes from scratch)."""


@dataclass(frozen=True)
class Partitions:
    """An asset's partitions: `source=x/date=y` -> data version, and a reader of some of them (their rows
    concatenated in key order)."""

    versions: dict[str, str]
    read: Callable[[list[str]], pl.DataFrame]


@dataclass
class StoredState:
    manifest: dict[str, Any] = field(default_factory=dict)
    dedup: pl.DataFrame | None = None
    agreement: pl.DataFrame | None = None
    patterns: pl.DataFrame | None = None  # of the records `agreement`'s tables hold
    schema: KnownValid | None = None
    sketches: KnownSketches | None = None
    problems: list[str] = field(default_factory=list)  # why a part was not usable


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _part(store: Store, folder: str, name: str, expected: str | None, parse) -> tuple[Any, str | None]:
    try:
        data = store.read_bytes(f"{folder}/{name}")
    except FileNotFoundError:
        return None, f"{name} missing"
    if _sha256(data) != expected:
        return None, f"{name} does not match the manifest"
    try:
        return parse(data), None
    except Exception as exc:  # a file whose hash matches but does not parse: still only a cache miss
        return None, f"{name} unreadable: {exc}"


def _agreement_frame(data: bytes) -> pl.DataFrame:
    frame = pl.read_parquet(io.BytesIO(data))
    if frame.columns != ["partition", *TABLE_SCHEMA]:
        raise ValueError(f"columns {frame.columns}")
    return frame


def _frame_of(schema: dict[str, pl.DataType]) -> Callable[[bytes], pl.DataFrame]:
    """A parser of a state file that must hold exactly `schema`'s columns."""

    def parse(data: bytes) -> pl.DataFrame:
        frame = pl.read_parquet(io.BytesIO(data))
        if frame.schema != pl.Schema(schema):
            raise ValueError(f"columns {frame.schema}")
        return frame

    return parse


def load_state(store: Store, folder: str, threshold: float) -> StoredState:
    """The usable parts of the state under `folder`; unusable ones are None, with the reason."""
    try:
        manifest = json.loads(store.read_bytes(f"{folder}/{MANIFEST}").decode("utf-8"))
    except FileNotFoundError:
        return StoredState(problems=["no state yet"])
    except (ValueError, UnicodeDecodeError) as exc:
        return StoredState(problems=[f"{MANIFEST} unreadable: {exc}"])
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return StoredState(problems=[f"{MANIFEST} has another format"])
    if manifest.get("code") != source_fingerprint():
        return StoredState(problems=["built by other code"])
    state = StoredState(manifest)
    dedup_meta, agreement_meta = manifest.get("dedup") or {}, manifest.get("agreement") or {}
    schema_meta = manifest.get("schema")  # absent: the last build could not fingerprint
    leak_meta = manifest.get("leak")  # absent: fewer than two records were checked
    same_threshold = dedup_meta.get("threshold") == threshold
    parts = {  # part -> (the part it is used only with, (file, sha256 the manifest names, parser) or None: none kept)
        "dedup": (None, (DEDUP_FILE, dedup_meta.get("sha256"), read_state) if same_threshold else None),
        "agreement": (None, (AGREEMENT_FILE, agreement_meta.get("sha256"), _agreement_frame)),
        "patterns": ("agreement", (PATTERNS_FILE, agreement_meta["patterns_sha256"], _frame_of(PATTERN_SCHEMA))
                     if "patterns_sha256" in agreement_meta else None),
        "schema": (None, (SCHEMA_FILE, schema_meta.get("sha256"), _frame_of(FINGERPRINT_SCHEMA))
                   if schema_meta is not None else None),
        "sketches": (None, (LEAK_FILE, leak_meta.get("sha256"), _frame_of(SKETCH_SCHEMA))
                     if leak_meta is not None else None),
        "pairs": ("sketches", (LEAK_PAIRS_FILE, leak_meta["pairs_sha256"], _frame_of(PAIR_SCHEMA))
                  if leak_meta is not None and "pairs_sha256" in leak_meta else None),
    }  # fmt: skip
    # Hashing and decoding release the GIL: the parts are read on both cores (0.57 s -> 0.28-0.40 s on day 12),
    # the largest (dedup) first; their problems are listed in this order whichever thread finishes first
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {part: pool.submit(_part, store, folder, *how) for part, (_, how) in parts.items() if how}
        read = {part: future.result() for part, future in futures.items()}
    if not same_threshold:
        state.problems.append("dedup threshold changed")
    found: dict[str, Any] = {}
    for part, (base, _) in parts.items():
        if part in read and (base is None or found.get(base) is not None):
            found[part], problem = read[part]
            state.problems += [problem] if problem else []
    state.dedup, state.agreement, state.patterns = found.get("dedup"), found.get("agreement"), found.get("patterns")
    if found.get("schema") is not None:
        state.schema = KnownValid(str(schema_meta.get("key")), found["schema"])
    if found.get("sketches") is not None:
        state.sketches = KnownSketches(str(leak_meta.get("key")), found["sketches"], found.get("pairs"))
    return state


@dataclass(frozen=True)
class DedupUpdate:
    state: pl.DataFrame
    manifest: dict[str, Any]  # its part of state.json, but for the hash of the state file
    texts: tuple[int, pl.DataFrame] | None  # a text segment to write: its number and rows
    how: str


@dataclass(frozen=True)
class AgreementUpdate:
    tables: pl.DataFrame  # every partition's vote table, with its `partition`
    patterns: pl.DataFrame  # `vote_patterns` of them combined
    manifest: dict[str, Any]  # its part of state.json, but for the files' hashes


def save_inputs_part(store: Store, folder: str, dedup: DedupUpdate, agreement: AgreementUpdate) -> dict[str, Any]:
    """The new text segment, `dedup.state`, `agreement.state` and its patterns; their part of the manifest, for
    `save_state`. Apart from the gate's parts because they are known before the gate runs: a build can
    write them while the gate checks the candidate."""
    segments = dict(dedup.manifest["segments"])
    if dedup.texts is not None:
        number, texts = dedup.texts
        data = state_bytes(texts)
        store.write_bytes(f"{folder}/{texts_file(number)}", data)
        segments[str(number)] = _sha256(data)
    dedup_data = state_bytes(dedup.state)
    agreement_data, patterns_data = state_bytes(agreement.tables), state_bytes(agreement.patterns)
    store.write_bytes(f"{folder}/{DEDUP_FILE}", dedup_data)
    store.write_bytes(f"{folder}/{AGREEMENT_FILE}", agreement_data)
    store.write_bytes(f"{folder}/{PATTERNS_FILE}", patterns_data)
    return {
        "dedup": {**dedup.manifest, "segments": dict(sorted(segments.items())), "sha256": _sha256(dedup_data)},
        "agreement": {
            **agreement.manifest,
            "sha256": _sha256(agreement_data),
            "patterns_sha256": _sha256(patterns_data),
        },
    }


def save_state(
    store: Store,
    folder: str,
    inputs_part: dict[str, Any],
    schema: KnownValid | None,
    sketches: KnownSketches | None,
) -> None:
    """The gate's parts, then the manifest naming the hashes of every file (module docstring), with
    `inputs_part` (`save_inputs_part`, written before)."""
    manifest = {"format": FORMAT, "code": source_fingerprint(), **inputs_part}
    if schema is not None:
        schema_data = state_bytes(schema.fingerprints)
        store.write_bytes(f"{folder}/{SCHEMA_FILE}", schema_data)
        manifest["schema"] = {"key": schema.key, "sha256": _sha256(schema_data)}
    if sketches is not None:
        leak_data = state_bytes(sketches.sketches)
        store.write_bytes(f"{folder}/{LEAK_FILE}", leak_data)
        manifest["leak"] = {"key": sketches.key, "sha256": _sha256(leak_data)}
        if sketches.pairs is not None:
            pairs_data = state_bytes(sketches.pairs)
            store.write_bytes(f"{folder}/{LEAK_PAIRS_FILE}", pairs_data)
            manifest["leak"]["pairs_sha256"] = _sha256(pairs_data)
    store.write_bytes(f"{folder}/{MANIFEST}", json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"))


def _texts_reader(store: Store, folder: str, segments: dict[str, str]) -> TextsOf:
    """Reads stored texts by segment, each segment once and only when asked for; a segment that is missing
    or does not hash to what the manifest says raises `StateUnusable`."""
    loaded: dict[int, pl.DataFrame] = {}

    def segment(number: int) -> pl.DataFrame:
        if number not in loaded:
            data, problem = _part(store, folder, texts_file(number), segments.get(str(number)), read_texts)
            if problem:
                raise StateUnusable(problem)
            loaded[number] = data
        return loaded[number]

    def texts_of(rows: pl.DataFrame) -> pl.DataFrame:
        parts = [pl.DataFrame(schema={"record_id": pl.String, "text": pl.String})]
        for (number,), ids in (
            rows.select("record_id", "text_segment").partition_by("text_segment", as_dict=True).items()
        ):
            parts.append(segment(number).filter(pl.col("record_id").is_in(ids["record_id"].implode())))
        return pl.concat(parts)

    return texts_of


def _read_each(partitions: Partitions, keys: list[str]) -> tuple[pl.DataFrame, dict[str, int]]:
    """The rows of `keys` (in key order) and how many each holds, counted per file, not per column value."""
    frames = {key: partitions.read([key]) for key in sorted(keys)}
    return pl.concat(list(frames.values()), how="diagonal_relaxed"), dict(
        sorted((k, f.height) for k, f in frames.items())
    )


def settle_dedup(
    store: Store,
    folder: str,
    state: StoredState,
    canonical: Partitions,
    threshold: float,
    settle: Settle = local_settle,
) -> DedupUpdate:
    """The dedup state over every canonical partition: the stored one plus the partitions added since, or
    one built from scratch when that cannot be (module docstring)."""
    recorded = (state.manifest.get("dedup") or {}) if state.dedup is not None else {}
    before: dict[str, str] = recorded.get("partitions") or {}
    rows: dict[str, int] = dict(recorded.get("rows") or {})
    segments: dict[str, str] = dict(recorded.get("segments") or {})
    added = sorted(set(canonical.versions) - set(before))
    unchanged = all(canonical.versions.get(p) == v for p, v in before.items())
    why = "; ".join(state.problems) or "a partition changed or was removed"
    if state.dedup is not None and before and unchanged and set(rows) == set(before) and segments:
        manifest = {"partitions": dict(sorted(canonical.versions.items())), "threshold": threshold}
        if not added:
            return DedupUpdate(state.dedup, {**manifest, "rows": rows, "segments": segments}, None, "unchanged")
        try:
            new, counts = _read_each(canonical, added)
            number = max(int(k) for k in segments) + 1
            texts_of = _texts_reader(store, folder, segments)
            frame, texts = add_records(state.dedup, new, threshold, texts_of, number)
            rows = dict(sorted((rows | counts).items()))
            return DedupUpdate(
                frame, {**manifest, "rows": rows, "segments": segments}, (number, texts) if texts.height else None,
                f"incremental: {len(added)} new partition(s)",
            )  # fmt: skip
        except StateUnusable as exc:
            why = str(exc)
    everything, rows = _read_each(canonical, list(canonical.versions))
    frame, texts = build_state(everything, threshold, settle)
    manifest = {"partitions": dict(sorted(canonical.versions.items())), "threshold": threshold, "rows": rows}
    return DedupUpdate(frame, {**manifest, "segments": {}}, (0, texts), f"from scratch ({why})")


def agreement_tables(state: StoredState, labels: Partitions) -> tuple[AgreementUpdate, list[str], str]:
    """Every labels partition's vote table and the vote patterns of them combined, the unconditional LLM
    annotators, and how they were reached. Reads from `labels` (one at a time) only the partitions that are
    new or changed; the patterns change only for the records those and any removed partition hold."""
    recorded = (state.manifest.get("agreement") or {}) if state.agreement is not None else {}
    before: dict[str, str] = recorded.get("partitions") or {}
    llm_of: dict[str, list[str]] = dict(recorded.get("llm") or {})
    current = sorted(labels.versions)
    reused = [p for p in current if before.get(p) == labels.versions[p] and p in llm_of]
    empty = pl.DataFrame(schema={"partition": pl.String, **TABLE_SCHEMA})
    stored = state.agreement if state.agreement is not None else empty
    by_partition = stored.partition_by("partition", as_dict=True)
    stored_tables = {p: frame.drop("partition") for (p,), frame in by_partition.items()}
    tables = {p: stored_tables.get(p, pl.DataFrame(schema=TABLE_SCHEMA)) for p in reused}  # none: no source vote
    fresh = [p for p in current if p not in reused]
    for partition in fresh:
        tables[partition], llm_of[partition] = vote_table(labels.read([partition]))
    llm_of = {p: llm_of[p] for p in current}
    llm = sorted({a for p in current for a in llm_of[p]})
    left = [p for p in before if p not in reused]  # changed or removed: their stored tables no longer hold
    patterns, recounted = _patterns(state.patterns, stored_tables, sorted(before), left, tables, current, fresh)
    stored_frame = pl.concat(
        [tables[p].select(pl.lit(p).alias("partition"), *TABLE_SCHEMA) for p in current] or [empty]
    )
    how = f"{len(fresh)} of {len(current)} partition(s) counted afresh, {recounted}"
    manifest = {"partitions": dict(sorted(labels.versions.items())), "llm": llm_of}
    return AgreementUpdate(stored_frame, patterns, manifest), llm, how


def _patterns(
    stored: pl.DataFrame | None,
    stored_tables: dict[str, pl.DataFrame],
    before: list[str],
    left: list[str],
    tables: dict[str, pl.DataFrame],
    current: list[str],
    fresh: list[str],
) -> tuple[pl.DataFrame, str]:
    """The vote patterns over `current`'s tables: the stored ones (over `before`'s) with the records that
    `left` and `fresh` partitions hold counted out as they were and in as they are, or, without stored
    patterns, every record counted. And how."""
    if stored is not None:
        if not left and not fresh:
            return stored, "patterns unchanged"
        touched = pl.concat(
            [stored_tables.get(p, pl.DataFrame(schema=TABLE_SCHEMA)) for p in left] + [tables[p] for p in fresh]
        )["record_id"].unique()
        was = combine([_of(stored_tables.get(p), touched) for p in before])
        now = combine([_of(tables[p], touched) for p in current])
        try:
            patterns = add_patterns([stored, vote_patterns(was), vote_patterns(now)], [1, -1, 1])
            return patterns, f"patterns of {touched.len()} record(s) recounted"
        except ValueError:  # counted out more than the stored counts hold: they were not these tables'
            pass
    return vote_patterns(combine([tables[p] for p in current])), "patterns counted over every record"


def _of(table: pl.DataFrame | None, records: pl.Series) -> pl.DataFrame:
    """`table`'s rows of `records` (a missing id is one record, as `combine` and `vote_patterns` count it)."""
    if table is None:
        return pl.DataFrame(schema=TABLE_SCHEMA)
    return table.filter(pl.col("record_id").is_in(records.implode(), nulls_equal=True))
