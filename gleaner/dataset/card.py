"""The dataset card published with every version: what a consumer needs before training on it.

The class distribution is a Mermaid pie: GitHub, GitLab and most Markdown previews draw it, and where
Mermaid is not rendered (the Dagster UI) the block still reads as `"label" : count` lines. Being text, it
keeps the card one file, hashed in the manifest like the data, with nothing else to publish or serve.
"""

from __future__ import annotations

from typing import Any

from gleaner.labeling.task import TaskDefinition

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


def render_card(manifest: dict[str, Any]) -> str:
    name = manifest["name"]
    counts = manifest["rows_per_split_and_class"]
    classes = manifest["class_distribution"]
    total = sum(classes.values())
    lines = [
        f"# {name}",
        "",
        "Product-review sentiment data built by Gleaner from web scrapes. Immutable: this folder never",
        "changes; a change of content is published as a new version.",
        "",
        "## Sources",
        "",
        "Input partitions with the data version (sha256 of the Parquet file) of each input:",
        "",
        *_sources(manifest["input_partitions"]),
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
    dedup = manifest["dedup"]
    before = dedup["canonical_records"]
    lines += [
        "",
        "## Deduplication",
        "",
        f"- records before dedup: {dedup['canonical_records']}",
        f"- exact duplicates removed: {dedup['exact_removed']} ({_rate(dedup['exact_removed'], before)})",
        f"- near duplicates removed: {dedup['near_removed']} ({_rate(dedup['near_removed'], before)})",
        f"- re-scrapes of records already kept (same review on another day): {dedup.get('rescrapes_removed', 0)}",
        f"- removed by the global pass across partitions: {dedup['global_pass_removed']}"
        f" ({_rate(dedup['global_pass_removed'], before)})",
        "",
        "## Known limits",
        "",
        f"- {manifest['pending_review']} records still waiting for human review are left out, never guessed.",
        _balancing(manifest),
        "- Labels come from rules, LLM votes where enabled, and human review; see the label policy in",
        "  `manifest.json`.",
        "",
        f"Code version `{manifest['code_version']}`.",
        "",
    ]
    return "\n".join(lines)


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
