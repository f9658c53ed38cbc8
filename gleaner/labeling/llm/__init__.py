"""The LLM labeler: majority votes through the Anthropic SDK, cached per question, live or in batches.

The public surface is the labeler, its config and prices, and the answer cache; the wire protocol, vote
counting, batching and usage accounting stay beneath.
"""

from gleaner.labeling.llm.cache import ParquetLabelCache
from gleaner.labeling.llm.config import LLMLabelerConfig, ModelPrice
from gleaner.labeling.llm.labeler import LLMLabeler

__all__ = ["LLMLabeler", "LLMLabelerConfig", "ModelPrice", "ParquetLabelCache"]
