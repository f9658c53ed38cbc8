"""Snorkel-style LF analysis: polarity, coverage, overlaps, conflicts and, where gold exists, accuracy.

Definitions follow Snorkel's `LFAnalysis` (fractions of all records): coverage = the function voted;
overlaps = it voted and another function voted too; conflicts = it voted and another function voted
differently. Gold labels exist only for some records (those a person labelled), so correct, incorrect
and empirical accuracy are counted over the records that have gold and that the function voted on,
which is what Snorkel's `lf_empirical_accuracies` does when every record has gold.
"""

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
        others = [v for o, v in lf_votes.items() if o != name]
        overlaps = [i for i in labelled if any(v.get(i) is not None for v in others)]
        conflicts = [i for i in labelled if any(v.get(i) not in (None, votes[i]) for v in others)]
        judged = [i for i in labelled if i in gold]
        correct = sum(votes[i] == gold[i] for i in judged)
        n = len(items) or 1
        rows.append(
            {
                "function": name,
                "polarity": sorted({votes[i] for i in labelled}),
                "coverage": round(len(labelled) / n, 4),
                "overlaps": round(len(overlaps) / n, 4),
                "conflicts": round(len(conflicts) / n, 4),
                "correct": correct,
                "incorrect": len(judged) - correct,
                "empirical_accuracy": round(correct / len(judged), 4) if judged else None,
            }
        )
    return rows
