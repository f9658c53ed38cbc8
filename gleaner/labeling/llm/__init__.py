"""The LLM labeler: majority votes through the Anthropic SDK, cached per question, live or in batches.

The public surface is the labeler, its config and prices, the answer cache and a read-only look-up in it
(`cached_results`), the prompt, tool and span answer check generated from a dataset declaration, the
labeler set up for a dataset (`dataset_config`) and its votes as label rows (`label_vote_rows`,
`span_vote_rows`), and a run's cost per labelled record (`per_labeled_record`); the wire protocol, vote
counting, batching and usage accounting stay beneath.
"""

from gleaner.labeling.llm.cache import ParquetLabelCache
from gleaner.labeling.llm.config import LLMLabelerConfig, ModelPrice
from gleaner.labeling.llm.labeler import LLMLabeler, cached_results
from gleaner.labeling.llm.prompts import system_prompt, tool_schema
from gleaner.labeling.llm.span_answers import SpanAnswer, judge_span_input
from gleaner.labeling.llm.tasks import dataset_config, label_vote_rows, span_vote_rows, vote_annotator
from gleaner.labeling.llm.usage import per_labeled_record

__all__ = [
    "LLMLabeler",
    "LLMLabelerConfig",
    "ModelPrice",
    "ParquetLabelCache",
    "SpanAnswer",
    "cached_results",
    "dataset_config",
    "judge_span_input",
    "label_vote_rows",
    "per_labeled_record",
    "span_vote_rows",
    "system_prompt",
    "tool_schema",
    "vote_annotator",
]
