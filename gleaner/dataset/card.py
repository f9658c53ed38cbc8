"""The dataset card published with every version: what a consumer needs before training on it.

The class distribution is a Mermaid pie: GitHub, GitLab and most Markdown previews draw it, and where
Mermaid is not rendered (the Dagster UI) the block still reads as `"label" : count` lines. Being text, it
keeps the card one file, hashed in the manifest like the data, with nothing else to publish or serve.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from gleaner.labeling.task import TaskDefinition
from gleaner.labeling.velocity import velocity_rows

_TASKS = {
    "classification": "classification: one label per record",
    "spans": "spans: named entities, labels on character ranges",
}


def _pie(title: str, counts: dict[str, int]) -> list[str]:
    return [
        "```mermaid",
        f"pie showData title {title}",
        *[f'    "{k}" : {v}' for k, v in sorted(counts.items())],
        "```",
    ]


def _rate(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "n/a"


def _sources(partitions: Any) -> list[str]:
    """`input_partitions`: partition -> {asset: data version}, or (older manifests) a list of partitions."""
    if isinstance(partitions, dict):
        return [
            f"- `{p}`: " + ", ".join(f"{asset} `{(v or 'missing')[:12]}`" for asset, v in sorted(versions.items()))
            for p, versions in partitions.items()
        ]
    return [f"- `{p}`" for p in partitions]


def _balancing(manifest: dict[str, Any]) -> str:
    copies = manifest.get("oversampled_rows", 0)
    if copies:
        return (f"- Balanced by deterministic oversampling of train ({copies} repeated rows, marked `oversampled`) "
                "and undersampling of validation and test.")  # fmt: skip
    return "- Balanced by deterministic undersampling; the rows left out are the same on every run."


def _agreement(manifest: dict[str, Any]) -> list[str]:
    """One line per source pair; the pairs the gate checks say so, with their threshold."""
    policy = manifest.get("label_policy") or {}
    gated = {" ~ ".join(sorted(pair)) for pair in policy.get("kappa_pairs", [])}
    lines = []
    for row in manifest["agreement"]:
        kappa = "undefined (one label only on the shared records)" if row["kappa"] is None else row["kappa"]
        pair = " ~ ".join(sorted(row["pair"].split(" ~ ")))
        gate = f", gated: >= {policy.get('kappa_threshold')}" if pair in gated else ""
        lines.append(f"- {row['pair']}: {kappa} (n={row['n_shared']}{gate})")
    return lines


def _dedup(manifest: dict[str, Any]) -> list[str]:
    dedup = manifest["dedup"]
    before = dedup["canonical_records"]
    return [
        "",
        "## Deduplication",
        "",
        f"- records before dedup: {dedup['canonical_records']}",
        f"- exact duplicates removed: {dedup['exact_removed']} ({_rate(dedup['exact_removed'], before)})",
        f"- near duplicates removed: {dedup['near_removed']} ({_rate(dedup['near_removed'], before)})",
        f"- re-scrapes of records already kept (same review on another day): {dedup.get('rescrapes_removed', 0)}",
        f"- removed by the global pass across partitions: {dedup['global_pass_removed']}"
        f" ({_rate(dedup['global_pass_removed'], before)})",
    ]


def _velocity(manifest: dict[str, Any]) -> list[str]:
    """Records per annotator-hour from Label Studio's lead times, per annotator and for everyone, against the
    reference rate; nothing for manifests published before velocity was measured."""
    velocity = manifest.get("annotation_velocity")
    if velocity is None:
        return []
    reference = velocity["reference_records_per_hour"]
    lines = ["", "## Annotation velocity", ""]
    if not velocity["per_annotator"]:
        return [*lines, "- No human annotations yet."]
    lines += [
        f"Records per annotator-hour from the seconds Label Studio measured on each annotation (`lead_time`), "
        f"against a reference of {reference} records/hour. Everyone's rate counts each record once over all "
        "the annotators' time, so records labeled by two people count their time twice.",
        "",
        f"| annotator | records | hours | records/hour | vs {reference}/hour |",
        "|---|---|---|---|---|",
    ]
    for row in velocity_rows(velocity):
        name = str(row["annotator"]).replace("|", "/")  # a pipe in a name would break the table
        lines.append(
            f"| {name} | {row['records']} | {row['hours']} | {row['records_per_hour']} "
            f"| {row[f'vs_{reference}_per_hour']} |"
        )
    untimed = velocity["without_lead_time"]
    if velocity["records_per_hour"] is None:
        lines += ["", f"- No annotation carries a lead time ({untimed} without one): velocity unknown."]
    elif untimed:
        lines += ["", f"- Annotations without a lead time, left out of both records and hours: {untimed}."]
    return lines


def _closing(manifest: dict[str, Any], limits: list[str]) -> list[str]:
    """Deduplication, known limits (pending review first, then `limits`) and the code version."""
    pending = manifest["pending_review"]
    return [
        *_dedup(manifest),
        "",
        "## Known limits",
        "",
        f"- {pending} records still waiting for human review are left out, never guessed.",
        *limits,
        "",
        f"Code version `{manifest['code_version']}`.",
        "",
    ]


def _opening(manifest: dict[str, Any], what: str) -> list[str]:
    """`what` says the task's kind when the version carries no declaration (`definition`) to describe it."""
    described = (manifest.get("definition") or {}).get("description")
    return [
        f"# {manifest['name']}",
        "",
        *([described, ""] if described else []),
        f"{what} built by Gleaner from web scrapes. Immutable: this folder never",
        "changes; a change of content is published as a new version.",
        "",
        "## Sources",
        "",
        "Input partitions with the data version (sha256 of the Parquet file) of each input:",
        "",
        *_sources(manifest["input_partitions"]),
    ]


def _labels(manifest: dict[str, Any]) -> list[str]:
    """The declaration's label section, when the manifest carries it (`definition_manifest`)."""
    definition = manifest.get("definition")
    if not definition:
        return []
    labels = [SimpleNamespace(**label) for label in definition["labels"]]
    return ["", label_section(SimpleNamespace(**{**definition, "labels": labels})).rstrip()]


def _label_quality(manifest: dict[str, Any]) -> list[str]:
    """ECE per machine source before and after the dataset-level calibration, the label issues cleanlab
    found, and the reliability diagram (a file of the version, beside this card)."""
    quality = manifest.get("label_quality")
    if not quality:
        return []
    lines = [
        "",
        "## Label quality",
        "",
        f"Confidence calibrated on {quality['fitted_on']}. Expected calibration error (ECE, ten bins; after",
        "calibration out of fold) per machine source:",
        "",
        "| source | human-labelled records | method | ECE raw | ECE calibrated |",
        "|---|---|---|---|---|",
    ]
    for name, c in quality["sources"].items():
        lines.append(f"| {name} | {c['samples']} | {c['method']} | {c['ece_raw']:.4f} | {c['ece_calibrated']:.4f} |")
    if not quality["sources"]:
        lines.append("| none | 0 | identity | n/a | n/a |")
    lines += [
        "",
        f"- label issues (cleanlab: automatic labels the model in the loop found unlikely, sent back to review): "
        f"{quality['label_issues']}",
        "",
        f"![Reliability diagram: accuracy per raw-confidence bin and the calibrated map, per source]"
        f"({quality['reliability_diagram']})",
    ]
    return lines


def render_card(manifest: dict[str, Any]) -> str:
    if manifest.get("task") == "spans":
        return _span_card(manifest)
    name = manifest["name"]
    counts = manifest["rows_per_split_and_class"]
    classes = manifest["class_distribution"]
    total = sum(classes.values())
    lines = [
        *_opening(manifest, "Classification data"),
        *_labels(manifest),
        "",
        "## Rows per split and class",
        "",
        "| split | " + " | ".join(sorted(classes)) + " | total |",
        "|---|" + "---|" * (len(classes) + 1),
    ]
    for split, per_class in counts.items():
        row = [str(per_class.get(c, 0)) for c in sorted(classes)]
        lines.append(f"| {split} | " + " | ".join(row) + f" | {sum(per_class.values())} |")
    lines += ["", "## Class distribution", "", *_pie(f"{name} ({total} rows)", classes)]
    lines += ["", "## Agreement (Cohen's kappa on shared records)", ""]
    lines += _agreement(manifest) or ["- none"]
    lines += _velocity(manifest)
    lines += _label_quality(manifest)
    limits = [
        _balancing(manifest),
        "- Labels come from rules, LLM votes where enabled, and human review; see the label policy in",
        "  `manifest.json`.",
    ]
    return "\n".join(lines + _closing(manifest, limits))


def _span_agreement(manifest: dict[str, Any]) -> list[str]:
    policy = manifest.get("label_policy") or {}
    gated = {" ~ ".join(sorted(pair)) for pair in policy.get("kappa_pairs", [])}
    lines = []
    for row in manifest["agreement"]:
        gate = ", gated" if " ~ ".join(sorted(row["pair"].split(" ~ "))) in gated else ""
        lines.append(
            f"- {row['pair']}: span F1 {row['span_f1']}, token kappa {row['kappa']} "
            f"(n={row['n_shared']} records, {row['n_tokens']} tokens{gate})"
        )
    return lines


def _span_card(manifest: dict[str, Any]) -> str:
    """A span dataset's card: records and spans per split and label, and span agreement per source pair."""
    per_split = manifest["span_counts_per_split_and_label"]
    labels = sorted(manifest["span_distribution"])
    rows = manifest["rows_per_split"]
    lines = [
        *_opening(manifest, "Named-entity (span) data"),
        *_labels(manifest),
        "",
        "## Spans per split and label",
        "",
        "| split | records | " + " | ".join(labels) + " | spans |",
        "|---|---|" + "---|" * (len(labels) + 1),
    ]
    for split, counts in per_split.items():
        cells = [str(counts.get(label, 0)) for label in labels]
        lines.append(f"| {split} | {rows[split]} | " + " | ".join(cells) + f" | {sum(counts.values())} |")
    total = sum(manifest["span_distribution"].values())
    lines += [
        "",
        "## Span distribution",
        "",
        *_pie(f"{manifest['name']} ({total} spans)", manifest["span_distribution"]),
    ]
    lines += ["", "## Agreement (span F1 exact match, token-level Cohen's kappa)", ""]
    lines += _span_agreement(manifest) or ["- none"]
    lines += _velocity(manifest)
    limits = [
        "- Not class-balanced: a record holds many entities or none; splits follow dedup clusters.",
        "- Columns `spans` (character offsets into the labeled field), `tokens` and BIO `ner_tags`.",
    ]
    return "\n".join(lines + _closing(manifest, limits))


def definition_manifest(definition: TaskDefinition) -> dict[str, Any]:
    """The declaration as the manifest keeps it (and `_labels` reads it back for the card)."""
    return {
        "name": definition.name,
        "description": definition.description,
        "task": definition.task,
        "input": definition.input,
        "labels": [
            {
                "name": label.name,
                "guideline": label.guideline,
                "positive_examples": list(label.positive_examples),
                "negative_examples": list(label.negative_examples),
            }
            for label in definition.labels
        ],
    }


def label_section(definition: TaskDefinition) -> str:
    """The card's `## Labels` section from the dataset's declaration: the task, the labeled field, and each
    label with its guideline and examples, as annotators and the LLM were given them."""
    lines = [
        "## Labels",
        "",
        f"Task: {_TASKS.get(definition.task, definition.task)}, over the `{definition.input}` field.",
        "",
    ]
    for label in definition.labels:
        lines += [f"### `{label.name}`", "", " ".join(label.guideline.split()), ""]
        lines += [f"- example: {e}" for e in label.positive_examples]
        lines += [f"- not this label: {e}" for e in label.negative_examples]
        lines.append("")
    return "\n".join(lines)
