"""The dataset card published with every version: what a consumer needs before training on it."""

from __future__ import annotations

from typing import Any


def _bar(count: int, total: int, width: int = 30) -> str:
    filled = round(width * count / total) if total else 0
    return "█" * filled + "░" * (width - filled)


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
        *[f"- `{p}`" for p in manifest["input_partitions"]],
        "",
        "## Rows per split and class",
        "",
        "| split | " + " | ".join(sorted(classes)) + " | total |",
        "|---|" + "---|" * (len(classes) + 1),
    ]
    for split, per_class in counts.items():
        row = [str(per_class.get(c, 0)) for c in sorted(classes)]
        lines.append(f"| {split} | " + " | ".join(row) + f" | {sum(per_class.values())} |")
    lines += ["", "## Class distribution", "", "```"]
    lines += [f"{label:<10} {_bar(n, total)} {n}" for label, n in sorted(classes.items())]
    lines += ["```", "", "## Agreement (Cohen's kappa on shared records)", ""]
    lines += [f"- {a['pair']}: {a['kappa']} (n={a['n_shared']})" for a in manifest["agreement"]] or ["- none"]
    dedup = manifest["dedup"]
    lines += [
        "",
        "## Deduplication",
        "",
        f"- records before dedup: {dedup['canonical_records']}",
        f"- exact duplicates removed: {dedup['exact_removed']}; near duplicates removed: {dedup['near_removed']}",
        f"- removed by the global pass across partitions: {dedup['global_pass_removed']}",
        "",
        "## Known limits",
        "",
        f"- {manifest['pending_review']} records still waiting for human review are left out, never guessed.",
        "- Balanced by deterministic undersampling; the rows left out are the same on every run.",
        "- Labels come from rules, LLM votes where enabled, and human review; see the label policy in",
        "  `manifest.json`.",
        "",
        f"Code version `{manifest['code_version']}`.",
        "",
    ]
    return "\n".join(lines)
