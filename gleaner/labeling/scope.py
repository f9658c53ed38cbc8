"""Which records the LLM is asked about: a dataset's `llm.scope`, the same for every task.

`unsettled` (the default) asks only where the model adds information: records people have not labelled and
the dataset's rules do not settle. What "settled by the rules" means is the task's own resolution test,
given here as the set of record ids the rules settle: `rules_settled` for classification (a rule consensus,
`gleaner.labeling.resolution.rule_consensus`), `gleaner.labeling.span_partition.span_rules_settled` for spans
(the span rules alone would resolve the record `auto`). `all` asks about every record, as the labeler did
before scopes existed: rule and LLM agreement can then be measured on every record, at about three times the
cost per labelled record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import Literal

from gleaner.labeling.functions import RecordView
from gleaner.labeling.resolution import LabelPolicy, rule_consensus

LLMScope = Literal["unsettled", "all"]


def records_for_llm(
    views: Sequence[RecordView],
    rules_settle: Collection[str],
    scope: LLMScope,
    human_labelled: Collection[str] = (),
) -> list[RecordView]:
    """What the LLM is asked about under `scope`, in input order: under `unsettled`, the records neither
    people (`human_labelled`: record ids) nor the rules (`rules_settle`: record ids) settle."""
    if scope == "all":
        return list(views)
    closed = set(human_labelled) | set(rules_settle)
    return [view for view in views if view.record_id not in closed]


def rules_settled(rule_rows: Iterable[dict], policy: LabelPolicy) -> set[str]:
    """The record ids whose labeling-function votes (`apply_functions` rows) reach a rule consensus under
    `policy`: the same test resolution applies, from the votes already cast, so no rule runs twice."""
    votes: dict[str, list[str | None]] = defaultdict(list)
    for row in rule_rows:
        votes[row["record_id"]].append(row["label"])
    return {record for record, labels in votes.items() if rule_consensus(labels, policy) is not None}
