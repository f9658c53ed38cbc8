"""Which records the LLM is asked about: a dataset's `llm.scope`.

`unsettled` (the default) asks only where the model adds information: records people have not labelled and
the labeling functions do not settle (no rule voted, the rules disagree, or fewer agree than the policy's
`min_agreeing_rules`; `gleaner.labeling.resolution.rule_consensus`, the same test resolution applies).
`all` asks about every record, as the labeler did before scopes existed: rule and LLM agreement can then
be measured on every record, at about three times the cost per labelled record.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Literal

from gleaner.labeling.functions import LabelingFunction, RecordView
from gleaner.labeling.resolution import LabelPolicy, rule_consensus

LLMScope = Literal["unsettled", "all"]


def unsettled_records(
    views: Sequence[RecordView],
    functions: Mapping[str, LabelingFunction],
    policy: LabelPolicy,
    human_labelled: Collection[str] = (),
) -> list[RecordView]:
    """The records neither people (`human_labelled`: record ids) nor the rules settle, in input order."""
    people = set(human_labelled)
    return [
        view
        for view in views
        if view.record_id not in people and rule_consensus([fn(view) for fn in functions.values()], policy) is None
    ]


def records_for_llm(
    views: Sequence[RecordView],
    functions: Mapping[str, LabelingFunction],
    policy: LabelPolicy,
    scope: LLMScope,
    human_labelled: Collection[str] = (),
) -> list[RecordView]:
    """What the LLM is asked about under `scope`."""
    if scope == "all":
        return list(views)
    return unsettled_records(views, functions, policy, human_labelled)
