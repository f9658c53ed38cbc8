"""Everything that decides what the LLM labeler sends, how often, and what it is allowed to conclude.

All of it lives here so that a label in the dataset can be traced to one config (and one `prompt_version`),
and so that no model id, threshold or price hides as a literal in the code paths.

There is deliberately no `temperature`: API version 2026-10-21, which this SDK generation sends, rejects
`temperature`, `top_p` and `top_k` with a 400, even at their defaults. Votes stay independent because each
call is sampled afresh at the API's default settings.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

DEFAULT_SYSTEM_PROMPT = (
    "You label product reviews for a sentiment dataset. Read the review in the user message and call the "
    "labelling tool exactly once. Choose the label that best describes the reviewer's overall sentiment "
    "towards the product. Set confidence to your probability (0 to 1) that the label is correct. Give a "
    "short reason that cites the review's wording. Placeholders such as [EMAIL] or [ADDRESS] replace "
    "personal data and carry no sentiment."
)


class ModelPrice(BaseModel):
    """USD per million tokens, as published on the provider's pricing page."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)
    cache_read_factor: float = Field(default=0.1, ge=0, description="Prompt-cache reads, as a fraction of input.")
    cache_write_factor: float = Field(default=1.25, ge=0, description="Prompt-cache writes (5-minute TTL).")


class LLMLabelerConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    api_key: SecretStr = Field(repr=False)
    base_url: str | None = Field(default=None, description="None means the SDK default (the public API).")
    model: str = Field(min_length=1)
    prompt_version: str = Field(
        min_length=1,
        description="Part of every cache key. Bump it whenever the system prompt, tool or label set changes.",
    )
    task: Literal["classification", "spans"] = Field(
        default="classification", description="spans: the tool returns entities, judged against the text sent."
    )
    labels: tuple[str, ...] = ("positive", "negative")
    allow_overlaps: bool = Field(default=False, description="spans: whether two entities may share a character.")
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    tool_name: str = Field(default="record_label", pattern=r"^[a-zA-Z0-9_-]{1,64}$")
    max_tokens: int = Field(default=512, ge=1)

    votes: int = Field(default=3, ge=1, description="Upper bound; calls stop once a majority is settled.")
    confidence_threshold: float = Field(default=0.92, ge=0, le=1)

    max_concurrency: int = Field(default=8, ge=1)
    max_retries: int = Field(default=2, ge=0, description="Passed to the SDK, which owns all retrying.")
    timeout_seconds: float = Field(default=60.0, gt=0)

    prices: dict[str, ModelPrice] = Field(default_factory=dict)

    prompt_caching: bool = Field(
        default=True,
        description="Mark the system prompt (and with it the tool schema before it) `cache_control: ephemeral`.",
    )
    use_batches: bool = Field(default=False, description="Send votes through the Message Batches API.")
    batch_min_requests: int | None = Field(
        default=None,
        ge=1,
        description="Use Message Batches whenever a run's first wave has at least this many uncached requests.",
    )
    batch_discount: float = Field(default=0.5, ge=0, le=1, description="Fraction of the list price batches cost.")
    batch_poll_interval_seconds: float = Field(default=30.0, gt=0)
    batch_max_wait_seconds: float = Field(default=24 * 3600.0, gt=0)
    batch_max_requests: int = Field(default=100_000, ge=1, description="API limit on requests per batch.")

    @field_validator("api_key")
    @classmethod
    def _non_empty_key(cls, key: SecretStr) -> SecretStr:
        if not key.get_secret_value().strip():
            raise ValueError("api_key is empty")
        return key

    @field_validator("labels")
    @classmethod
    def _distinct_labels(cls, labels: tuple[str, ...]) -> tuple[str, ...]:
        if not labels or len(set(labels)) != len(labels) or not all(label.strip() for label in labels):
            raise ValueError("labels must be distinct, non-empty strings")
        return labels

    @model_validator(mode="after")
    def _batch_waits(self) -> LLMLabelerConfig:
        if self.task == "classification" and len(self.labels) < 2:
            raise ValueError("a classification needs at least two distinct labels")
        if self.use_batches and self.batch_poll_interval_seconds > self.batch_max_wait_seconds:
            raise ValueError("batch_poll_interval_seconds exceeds batch_max_wait_seconds")
        return self

    @property
    def majority(self) -> int:
        """Votes one label needs out of `votes` to be the answer."""
        return self.votes // 2 + 1

    @property
    def price(self) -> ModelPrice | None:
        return self.prices.get(self.model)
