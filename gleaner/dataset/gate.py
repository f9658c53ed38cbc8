"""The checks a candidate dataset must pass before it may become a version.

Pure functions so the same verdict is given where the candidate is built (as blocking asset checks)
and again at publish time, whoever triggers the publish.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from functools import lru_cache

import polars as pl
from pydantic import BaseModel, TypeAdapter, ValidationError

from gleaner.code_version import source_fingerprint
from gleaner.dataset.balancing import count_ratio
from gleaner.dataset.splitting import SPLITS
from gleaner.dedup.kernel import dedup
from gleaner.dedup.sketch_cache import KnownSketches, checked_pairs, known_jaccard, sketch_knowing
from gleaner.schemas import ProductReview

Rows = list[dict] | pl.DataFrame  # a candidate's rows, as dicts or as the frame `labeled_dataset` writes


def _column(rows: Rows, name: str) -> list:
    """One field of every row, in row order (None where a row lacks it): from a frame without a dict per row."""
    if isinstance(rows, pl.DataFrame):
        return rows[name].to_list() if name in rows.columns else [None] * rows.height
    return [row.get(name) for row in rows]


def _dicts(rows: Rows, names: Collection[str]) -> list[dict]:
    """The rows as dicts of the `names` they hold (a frame's other columns are never turned into Python)."""
    if isinstance(rows, pl.DataFrame):
        return rows.select([c for c in rows.columns if c in names]).to_dicts()
    return rows


@dataclass(frozen=True)
class GatePolicy:
    kappa_pairs: tuple[tuple[str, str], ...] = (("lf_rating", "lf_lexicon"),)
    kappa_threshold: float = 0.8
    kappa_min_shared: int = 10
    max_class_ratio: float = 1.5
    near_duplicate_threshold: float = 0.8
    record_model: type[BaseModel] = ProductReview  # the dataset's record: rows must validate against it
    labels: tuple[str, ...] = ()  # the declared label set; empty: not checked (a policy without a dataset)


@dataclass(frozen=True)
class SpanGatePolicy:
    """A span dataset's gate: its record model and label set, and which source pairs must agree how well
    (token-level kappa, and span F1 when a threshold is set)."""

    record_model: type[BaseModel]
    labels: tuple[str, ...]
    input_field: str = "text"
    kappa_pairs: tuple[tuple[str, str], ...] = ()
    kappa_threshold: float = 0.8
    kappa_min_shared: int = 10
    span_f1_threshold: float | None = None
    near_duplicate_threshold: float = 0.8

    def pairs_policy(self) -> GatePolicy:
        return GatePolicy(
            kappa_pairs=self.kappa_pairs,
            kappa_threshold=self.kappa_threshold,
            kappa_min_shared=self.kappa_min_shared,
            near_duplicate_threshold=self.near_duplicate_threshold,
        )


@dataclass(frozen=True)
class CheckVerdict:
    name: str
    passed: bool
    description: str
    details: dict[str, object] = field(default_factory=dict)


@lru_cache(maxsize=16)
def _rows_adapter(model: type[BaseModel]) -> TypeAdapter[list[BaseModel]]:
    return TypeAdapter(list[model])


def _invalid_rows(model: type[BaseModel], rows: list[dict], fields_only: bool = False) -> dict[int, str]:
    """Row index -> what is wrong with it, every error of the row as "field: message" (or "record: ..."
    for the model's own validators). One validation call over all rows: pydantic's core validates the list
    in one pass, where a call per row paid Python's overhead 100,000 times; the errors are the same, each
    located by the row's index first. `fields_only`: the rows hold nothing but the model's fields (rows
    taken from a frame's columns), so no copy without the others is needed."""
    fields = model.model_fields
    if not fields_only:
        rows = [{k: v for k, v in row.items() if k in fields} for row in rows]
    try:
        _rows_adapter(model).validate_python(rows)
    except ValidationError as exc:
        reasons: dict[int, list[str]] = defaultdict(list)
        for e in exc.errors():
            index, *loc = e["loc"]
            reasons[int(index)].append(f"{'.'.join(str(p) for p in loc) or 'record'}: {e['msg']}")
        return {index: "; ".join(found) for index, found in sorted(reasons.items())}
    return {}


@dataclass(frozen=True)
class KnownValid:
    """Rows found valid against a record model by an earlier build: a 128-bit fingerprint of each row's
    model fields, good only under `key` (`schema_key`). Validation is a function of the model and the row,
    so a row whose fingerprint is here needs no second validation; the candidate state keeps these
    between builds, and a publish validates only the rows it has not seen."""

    key: str
    fingerprints: pl.DataFrame  # FINGERPRINT_SCHEMA, sorted, one row per distinct valid row


FINGERPRINT_SCHEMA = {"h0": pl.UInt64, "h1": pl.UInt64}


def schema_key(model: type[BaseModel], frame: pl.DataFrame) -> str | None:
    """What fingerprints of `frame`'s rows for `model` are valid under: the model, the library's code, the
    columns validated with their types, and the polars version (whose row hash it is). None, never cached,
    when a class of the model lives outside this package: its code could change without the key seeing it."""
    classes = [c for c in model.__mro__ if issubclass(c, BaseModel) and c is not BaseModel]
    columns = [c for c in frame.columns if c in model.model_fields]
    if not columns or not all(c.__module__.split(".")[0] == "gleaner" for c in classes):
        return None
    if not all(_hashed_by_value(frame.schema[c]) for c in columns):
        return None
    basis = {
        "model": f"{model.__module__}:{model.__qualname__}",
        "code": source_fingerprint(),
        "columns": [[c, str(frame.schema[c])] for c in columns],
        "polars": pl.__version__,
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()


def _hashed_by_value(dtype: pl.DataType) -> bool:
    """Whether polars hashes a value of `dtype` by what it is: a categorical is hashed by its code in this
    process's string cache, an object by its address, so those rows are never fingerprinted."""
    return dtype.is_numeric() or dtype.is_temporal() or dtype in (pl.String, pl.Boolean, pl.Binary, pl.Null)


def row_fingerprints(frame: pl.DataFrame, model: type[BaseModel]) -> pl.DataFrame:
    """Each row's `model` fields hashed twice with different seeds (128 bits: no two rows of a dataset's
    lifetime are expected to share one), in row order."""
    fields = frame.select([c for c in frame.columns if c in model.model_fields])
    return pl.DataFrame({"h0": fields.hash_rows(seed=0), "h1": fields.hash_rows(seed=1)})


def check_schema(rows: Rows, model: type[BaseModel] = ProductReview) -> CheckVerdict:
    """Every row's fields of `model` (the dataset's declared record) validate against it."""
    return check_schema_knowing(rows, model, None)[0]


def check_schema_knowing(
    rows: Rows, model: type[BaseModel], known: KnownValid | None
) -> tuple[CheckVerdict, KnownValid | None, int]:
    """`check_schema`, validating only the rows `known` does not already vouch for; also the fingerprints
    of every valid row (None when the rows cannot be fingerprinted) and how many rows were validated now.
    The verdict is the one a validation of every row gives: a known row is a valid one."""
    key = schema_key(model, rows) if isinstance(rows, pl.DataFrame) else None
    prints = row_fingerprints(rows, model).with_row_index("_at") if key is not None else None
    positions = None  # every row
    if prints is not None and known is not None and known.key == key:
        positions = prints.join(known.fingerprints, on=["h0", "h1"], how="anti").sort("_at")["_at"]
    checked = rows if positions is None else rows[positions]
    if isinstance(checked, pl.DataFrame):  # the fields as dicts, the ids for the messages from their column
        invalid = _invalid_rows(model, _dicts(checked, model.model_fields), fields_only=True)
        ids, validated = _column(checked, "record_id"), checked.height
    else:
        invalid = _invalid_rows(model, checked)
        ids, validated = [row.get("record_id") for row in checked], len(checked)
    bad = [f"{ids[index]}: {reason}" for index, reason in invalid.items()]
    verdict = CheckVerdict(
        "schema",
        not bad,
        f"every row validates against the {model.__name__} model",
        {"invalid_rows": len(bad), "examples": bad[:5]},
    )
    if prints is None:
        return verdict, None, validated
    at = list(invalid) if positions is None else positions.gather(list(invalid)).to_list()
    valid = prints.filter(~pl.col("_at").is_in(at)).select("h0", "h1").unique().sort("h0", "h1")
    return verdict, KnownValid(key, valid), validated


def check_label_set(rows: Rows, labels: Collection[str], task: str = "classification") -> CheckVerdict:
    """Every row's `label` (classification) or every label in its `spans` (spans) is a declared label."""
    declared = set(labels)
    if task != "spans" and isinstance(rows, pl.DataFrame) and rows.schema.get("label") == pl.String:
        outside = ~pl.col("label").is_in(sorted(declared)) | pl.col("label").is_null()
        rows = rows.filter(outside)  # only rows outside the set reach the loop below (none, in a good version)
    bad = []
    answers = _column(rows, "spans" if task == "spans" else "label")
    for record_id, answer in zip(_column(rows, "record_id"), answers, strict=True):
        found = [s["label"] for s in answer or []] if task == "spans" else [answer]
        outside = sorted({str(label) for label in found if label not in declared})
        if outside:
            bad.append(f"{record_id}: {', '.join(outside)}")
    return CheckVerdict(
        "label_set",
        not bad,
        f"every {'span label' if task == 'spans' else 'label'} is one of {sorted(declared)}",
        {"rows_outside": len(bad), "examples": bad[:5]},
    )


def _gated_pairs(
    agreement: list[dict],
    pairs: tuple[tuple[str, str], ...],
    min_shared: int,
    key: str,
    threshold: float,
    undefined: str,
) -> tuple[dict[str, object], dict[str, object]]:
    """Each gated pair's `key` value, and the pairs that fail: too few shared records, undefined, or below."""
    wanted = {tuple(sorted(p)) for p in pairs}
    found = {tuple(sorted((a["left"], a["right"]))): a for a in agreement if a["n_shared"] >= min_shared}
    failing: dict[str, object] = {}
    for pair in sorted(wanted):
        row = found.get(pair)
        if row is None:
            failing[" ~ ".join(pair)] = f"fewer than {min_shared} shared records"
        elif row[key] is None:
            failing[" ~ ".join(pair)] = undefined
        elif row[key] < threshold:
            failing[" ~ ".join(pair)] = row[key]
    return {" ~ ".join(p): found[p][key] for p in sorted(wanted) if p in found}, failing


def check_kappa(agreement: list[dict], policy: GatePolicy) -> CheckVerdict:
    kappas, failing = _gated_pairs(
        agreement,
        policy.kappa_pairs,
        policy.kappa_min_shared,
        "kappa",
        policy.kappa_threshold,
        "kappa undefined: one label only on the shared records",
    )
    return CheckVerdict(
        "kappa",
        not failing,
        f"Cohen's kappa >= {policy.kappa_threshold} for each gated source pair",
        {"kappa": kappas, "failing": failing},
    )


def check_span_f1(agreement: list[dict], policy: GatePolicy, threshold: float) -> CheckVerdict:
    """Span datasets: span-level F1 (`pairwise_span_agreement` rows) >= threshold for each gated pair."""
    scores, failing = _gated_pairs(
        agreement,
        policy.kappa_pairs,
        policy.kappa_min_shared,
        "span_f1",
        threshold,
        "span F1 undefined: no spans on the shared records",
    )
    return CheckVerdict(
        "span_f1",
        not failing,
        f"span-level F1 >= {threshold} for each gated source pair",
        {"span_f1": scores, "failing": failing},
    )


def check_span_agreement(agreement: list[dict], policy: SpanGatePolicy) -> CheckVerdict:
    """Token kappa >= the kappa threshold and, when set, span F1 >= its threshold, for each gated pair; a
    dataset that gates no pair passes and says so."""
    if not policy.kappa_pairs:
        return CheckVerdict("span_agreement", True, "no source pairs are gated", {"note": "no gated pairs"})
    verdicts = [check_kappa(agreement, policy.pairs_policy())]
    if policy.span_f1_threshold is not None:
        verdicts.append(check_span_f1(agreement, policy.pairs_policy(), policy.span_f1_threshold))
    return CheckVerdict(
        "span_agreement",
        all(v.passed for v in verdicts),
        "; ".join(v.description for v in verdicts),
        {v.name: v.details for v in verdicts},
    )


def _label_counts(rows: Rows) -> dict[str, list[int]]:
    """split -> how many rows each label holds in it (a missing label counts as one), splits without rows
    left out: on a frame one group-by, where a list per split cost 0.1 s at 450,000 rows."""
    if isinstance(rows, pl.DataFrame) and {"split", "label"} <= set(rows.columns):
        counts = rows.group_by("split", "label").len()
        return {s: counts.filter(pl.col("split") == s)["len"].to_list() for s in SPLITS if s in counts["split"]}
    pairs = list(zip(_column(rows, "split"), _column(rows, "label"), strict=True))
    by_split = {s: Counter(label for in_split, label in pairs if in_split == s) for s in SPLITS}
    return {s: list(found.values()) for s, found in by_split.items() if found}


def check_class_balance(rows: Rows, policy: GatePolicy) -> CheckVerdict:
    ratios = {}
    for split, counts in _label_counts(rows).items():
        ratios[split] = round(count_ratio(counts), 4)
    passed = bool(ratios) and all(r <= policy.max_class_ratio for r in ratios.values())
    return CheckVerdict(
        "class_balance",
        passed,
        f"largest class at most {policy.max_class_ratio}x the smallest in every split, with two classes or more",
        {"ratios": ratios},
    )


def check_no_split_leak(rows: Rows, policy: GatePolicy | None = None, text: str = "text") -> CheckVerdict:
    """A duplicate cluster, an identical text or a near-duplicate text in two splits would leak test data
    into training. Near duplicates are looked for afresh over the candidate's own texts (`text`: the field
    labelled; the same MinHash + verified Jaccard as dedup), not taken from ``cluster_id``: the check must not
    trust the step it checks."""
    return check_no_split_leak_knowing(rows, policy, None, text)[0]


def check_no_split_leak_knowing(
    rows: Rows, policy: GatePolicy | None, known: KnownSketches | None, text: str = "text"
) -> tuple[CheckVerdict, KnownSketches | None, int]:
    """`check_no_split_leak`, sketching only the texts `known` (this check's own sketches from the last
    build) has no sketch of; also the sketches of every distinct text checked (None when the rows are not
    a frame with the columns) and how many texts were sketched now. A sketch depends on the text alone,
    so the verdict is the one sketching every text gives."""
    leaks = []
    for key in ("cluster_id", "content_hash"):
        leaks.extend(f"{key} {k}" for k in _in_two_splits(rows, key))
    threshold = (policy or GatePolicy()).near_duplicate_threshold
    if isinstance(rows, pl.DataFrame) and {"record_id", text, "split"} <= set(rows.columns):
        near, remembered, sketched = _frame_near_duplicate_leaks(rows, text, threshold, known)
    else:
        ids, texts, splits = _column(rows, "record_id"), _column(rows, text), _column(rows, "split")
        near, remembered = _near_duplicate_leaks(ids, texts, splits, threshold), None
        distinct = len(set(ids))  # each record's text sketched once, when there are two records or more
        sketched = distinct if distinct > 1 else 0
    leaks.extend(near)
    verdict = CheckVerdict(
        "no_split_leak",
        not leaks,
        f"no duplicate cluster, identical text or near-duplicate text (Jaccard >= {threshold}) in two splits",
        {"leaks": len(leaks), "examples": leaks[:5]},
    )
    return verdict, remembered, sketched


def _in_two_splits(rows: Rows, key: str) -> list:
    """The values of `key` that rows in more than one split hold, in the order they first appear: on a
    frame, one group-by over its columns (about 0.8 s of Python dicts and sets at 200,000 rows before)."""
    if isinstance(rows, pl.DataFrame) and key in rows.columns and "split" in rows.columns:
        spread = rows.group_by(key, maintain_order=True).agg(pl.col("split").n_unique().alias("_splits"))
        return spread.filter(pl.col("_splits") > 1)[key].to_list()
    splits_of: dict[object, set[str]] = {}
    for value, split in zip(_column(rows, key), _column(rows, "split"), strict=True):
        splits_of.setdefault(value, set()).add(split)
    return [value for value, found in splits_of.items() if len(found) > 1]


def _leak_message(removed: object, removed_split: object, kept: object, kept_split: object, jaccard: float) -> str:
    return f"near duplicates {removed} ({removed_split}) ~ {kept} ({kept_split}), Jaccard {jaccard:.3f}"


def _near_duplicate_leaks(record_ids: list, texts: list, splits: list, threshold: float) -> list[str]:
    unique = {r: (t, s) for r, t, s in zip(record_ids, texts, splits, strict=True)}  # an oversampled row
    if len(unique) < 2:  # repeats its record; it is no leak
        return []
    ids = sorted(unique)
    result = dedup(ids, [unique[i][0] or "" for i in ids], threshold=threshold)
    split_of = {i: unique[i][1] for i in ids}
    return [
        _leak_message(
            row["removed_id"], split_of[row["removed_id"]], row["kept_id"], split_of[row["kept_id"]], row["jaccard"]
        )
        for row in result.removals.iter_rows(named=True)
        if split_of[row["removed_id"]] != split_of[row["kept_id"]]
    ]


def _frame_near_duplicate_leaks(
    rows: pl.DataFrame, text: str, threshold: float, known: KnownSketches | None
) -> tuple[list[str], KnownSketches | None, int]:
    """`_near_duplicate_leaks` on a frame's columns: each record once (its last row; an oversampled row
    repeats its record and is no leak), in id order, the texts sketched through `sketch_knowing`."""
    distinct = (
        rows.select("record_id", pl.col(text).cast(pl.String).fill_null("").alias("_text"), "split")
        .unique("record_id", keep="last", maintain_order=True)
        .sort("record_id")
    )
    if distinct.height < 2:
        return [], None, 0
    prints, known_pairs = known_jaccard(distinct["_text"], known)
    sketches, remembered, sketched = sketch_knowing(distinct["_text"], known, prints)
    result = dedup(
        distinct["record_id"], distinct["_text"], threshold=threshold, sketches=sketches, known_pairs=known_pairs
    )
    removals = result.removals
    known_now = replace(remembered, pairs=checked_pairs(prints, result.checked_pairs))
    splits = distinct.select("record_id", "split")
    found = (
        removals.select("removed_id", "kept_id", "jaccard")
        .join(
            splits.rename({"record_id": "removed_id", "split": "_removed"}),
            on="removed_id",
            how="left",
            maintain_order="left",
        )
        .join(
            splits.rename({"record_id": "kept_id", "split": "_kept"}), on="kept_id", how="left", maintain_order="left"
        )
        .filter(pl.col("_removed").ne_missing(pl.col("_kept")))
    )
    leaks = [
        _leak_message(row["removed_id"], row["_removed"], row["kept_id"], row["_kept"], row["jaccard"])
        for row in found.iter_rows(named=True)
    ]
    return leaks, known_now, sketched


def check_no_empty_split(rows: Rows) -> CheckVerdict:
    if isinstance(rows, pl.DataFrame) and "split" in rows.columns:
        counts = Counter(dict(rows["split"].value_counts().iter_rows()))
    else:
        counts = Counter(_column(rows, "split"))
    empty = [s for s in SPLITS if counts[s] == 0]
    return CheckVerdict(
        "no_empty_split",
        not empty,
        "train, validation and test each hold rows",
        {"rows_per_split": {s: counts[s] for s in SPLITS}, "empty": empty},
    )


def run_gate(
    rows: Rows,
    agreement: list[dict],
    policy: GatePolicy,
    schema: CheckVerdict | None = None,
    leak: CheckVerdict | None = None,
) -> list[CheckVerdict]:
    """Every check; `schema` and `leak`: those verdicts when the caller has them (`check_schema_knowing`,
    `check_no_split_leak_knowing`)."""
    label_set = [check_label_set(rows, policy.labels)] if policy.labels else []
    return [
        schema or check_schema(rows, policy.record_model),
        *label_set,
        check_kappa(agreement, policy),
        check_class_balance(rows, policy),
        leak or check_no_split_leak(rows, policy),
        check_no_empty_split(rows),
    ]


def run_span_gate(rows: Rows, agreement: list[dict], policy: SpanGatePolicy) -> list[CheckVerdict]:
    """A span candidate's checks: no class balance (a record has many labels or none); the leak check
    compares the labeled field."""
    return [
        check_schema(rows, policy.record_model),
        check_label_set(rows, policy.labels, task="spans"),
        check_span_agreement(agreement, policy),
        check_no_split_leak(rows, policy.pairs_policy(), text=policy.input_field),
        check_no_empty_split(rows),
    ]
