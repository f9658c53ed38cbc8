"""Snorkel-style LF analysis: coverage, overlaps, conflicts and, where gold exists, empirical accuracy."""

from __future__ import annotations


def lf_summary(
    lf_votes: dict[str, dict[str, str | None]], gold: dict[str, str] | None = None
) -> list[dict[str, object]]:
    """`lf_votes` maps function -> {record -> label or None}; all functions saw the same records."""
    gold = gold or {}
    rows = []
    for name, votes in sorted(lf_votes.items()):
        items = list(votes)
        labelled = [i for i in items if votes[i] is not None]
        others = {o: v for o, v in lf_votes.items() if o != name}
        overlaps = [i for i in labelled if any(v.get(i) is not None for v in others.values())]
        conflicts = [i for i in labelled if any(v.get(i) not in (None, votes[i]) for v in others.values())]
        judged = [i for i in labelled if i in gold]
        correct = sum(votes[i] == gold[i] for i in judged)
        n = len(items) or 1
        rows.append(
            {
                "function": name,
                "coverage": round(len(labelled) / n, 4),
                "overlaps": round(len(overlaps) / n, 4),
                "conflicts": round(len(conflicts) / n, 4),
                "n_gold": len(judged),
                "empirical_accuracy": round(correct / len(judged), 4) if judged else None,
            }
        )
    return rows
