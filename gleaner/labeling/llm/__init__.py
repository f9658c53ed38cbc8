"""The LLM labeler: majority votes through the Anthropic SDK, cached per question, live or in batches.

The public surface is the labeler, its config and prices, the answer cache and a read-only look-up in it
(`cached_results`), the prompt, tool and span answer check generated from a dataset declaration, the
labeler set up for a dataset (`dataset_config`) and its votes as label rows (`label_vote_rows`,
`span_vote_rows`), and a run's cost per labelled record (`per_labeled_record`); the wire protocol, vote
counting, batching and usage accounting stay beneath.
"""

from gleaner.surface import lazy_surface

__getattr__, __dir__, __all__ = lazy_surface(
    __name__,
    {
        "cache": ("ParquetLabelCache",),
        "config": ("LLMLabelerConfig", "ModelPrice"),
        "labeler": ("LLMLabeler", "cached_results"),
        "prompts": ("system_prompt", "tool_schema"),
        "span_answers": ("SpanAnswer", "judge_span_input"),
        "tasks": ("dataset_config", "label_vote_rows", "span_vote_rows", "vote_annotator"),
        "usage": ("per_labeled_record",),
    },
)
