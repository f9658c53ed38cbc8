"""The wire contract with the model: what one labelling request looks like and how its answer is judged.

Structured output comes from a single forced tool call, so a well-behaved answer is one `tool_use` block
whose input matches the schema. Anything else (a refusal, prose instead of the tool, a label outside the
set, a confidence outside [0, 1]) is a paid-for but unusable answer: it becomes a failed vote with a reason,
because one odd response must not stop a partition from being labelled.

The same request parameters are used live and inside a Message Batch, so both paths share this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gleaner.labeling.llm.confidence import confidence_problem
from gleaner.labeling.llm.config import LLMLabelerConfig
from gleaner.labeling.llm.prompts import spans_input_schema
from gleaner.labeling.llm.span_answers import judge_span_input
from gleaner.labeling.spans import spans_to_json


@dataclass(frozen=True)
class Answer:
    """What one completed model response said; this is the unit the label cache stores. For a spans task
    `label` is the entity list as canonical JSON (`gleaner.labeling.spans.spans_to_json`), so equal answers
    are equal strings: the cache and the majority count need nothing span-specific."""

    label: str | None
    confidence: float | None
    reason: str
    error: str | None
    input_tokens: int  # uncached input only, as the API counts it
    output_tokens: int
    cache_read_tokens: int = 0  # prompt-cache reads (priced at a tenth of input); not stored in the label cache
    cache_write_tokens: int = 0


def label_tool(config: LLMLabelerConfig) -> dict[str, Any]:
    if config.task == "spans":
        return {
            "name": config.tool_name,
            "description": "Record every entity in the text as character offsets, with a calibrated confidence.",
            "input_schema": spans_input_schema(list(config.labels)),
        }
    # Not `strict`: strict tool schemas cannot express minimum/maximum, and the range check below is needed
    # either way because it is what turns a bad answer into a failed vote.
    return {
        "name": config.tool_name,
        "description": "Record the label for the review, with a calibrated confidence and a short reason.",
        "input_schema": {
            "type": "object",
            "properties": {
                "label": {"type": "string", "enum": list(config.labels)},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                "reason": {"type": "string"},
            },
            "required": ["label", "confidence", "reason"],
            "additionalProperties": False,
        },
    }


def request_params(config: LLMLabelerConfig, scrubbed_text: str) -> dict[str, Any]:
    """Keyword arguments for `messages.create`, and the `params` of a batch request."""
    # The cache prefix runs tools -> system -> messages, so one breakpoint at the end of the system prompt
    # caches the tool schema, the prompt and its guidelines; only the record itself is new input each call.
    # (A prefix shorter than the model's minimum cacheable length is simply not cached; nothing fails.)
    system: str | list[dict[str, Any]] = config.system_prompt
    if config.prompt_caching:
        system = [{"type": "text", "text": config.system_prompt, "cache_control": {"type": "ephemeral"}}]
    return {
        "model": config.model,
        "max_tokens": config.max_tokens,
        "system": system,
        "messages": [{"role": "user", "content": scrubbed_text}],
        "tools": [label_tool(config)],
        "tool_choice": {"type": "tool", "name": config.tool_name, "disable_parallel_tool_use": True},
    }


def _tokens(message: Any) -> tuple[int, int, int, int]:
    """Input, output, cache-read and cache-write tokens; 0 for what the response does not say."""
    usage = getattr(message, "usage", None)
    names = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    counts = [getattr(usage, name, 0) for name in names]
    return tuple(n if isinstance(n, int) else 0 for n in counts)  # type: ignore[return-value]


def _judge_tool_input(config: LLMLabelerConfig, tool_input: Any) -> tuple[str | None, float | None, str, str | None]:
    if not isinstance(tool_input, dict):
        return None, None, "", f"invalid_tool_input: expected an object, got {type(tool_input).__name__}"
    label, confidence, reason = (
        tool_input.get("label"),
        tool_input.get("confidence"),
        tool_input.get("reason"),
    )
    reason_text = reason if isinstance(reason, str) else ""
    missing = [name for name in ("label", "confidence", "reason") if name not in tool_input]
    if missing:
        return None, None, reason_text, f"invalid_tool_input: missing {', '.join(missing)}"
    if label not in config.labels:
        return None, None, reason_text, f"invalid_label: {label!r:.40} is not one of {list(config.labels)}"
    problem = confidence_problem(confidence)
    if problem:
        return None, None, reason_text, problem
    if not isinstance(reason, str):
        return None, None, "", f"invalid_tool_input: reason is {type(reason).__name__}, not a string"
    return label, float(confidence), reason, None


def _judge_spans(
    config: LLMLabelerConfig, tool_input: Any, text: str
) -> tuple[str | None, float | None, str, str | None]:
    answer = judge_span_input(tool_input, text, config.labels, allow_overlaps=config.allow_overlaps)
    if answer.error:
        return None, None, "", answer.error
    return spans_to_json(answer.spans), answer.confidence, "", None


def judge_message(config: LLMLabelerConfig, message: Any, text: str = "") -> Answer:
    """Turn a Messages API response into an Answer; never raises on a malformed or unexpected response.
    `text` is what was sent: a spans task's offsets are checked against it.

    The response object is read defensively because the SDK builds it without validation: a body of the
    wrong shape arrives as a model with missing attributes rather than as an error.
    """
    tokens = _tokens(message)

    def failed(error: str, reason: str = "") -> Answer:
        return Answer(None, None, reason, error, *tokens)

    stop_reason = getattr(message, "stop_reason", None)
    if stop_reason == "refusal":
        details = getattr(message, "stop_details", None)
        explanation = getattr(details, "explanation", None) or getattr(details, "category", None) or "no detail"
        return failed(f"refusal: {explanation}")
    if stop_reason == "max_tokens":
        return failed("max_tokens: the answer was cut off before the tool call completed")

    content = getattr(message, "content", None)
    blocks = content if isinstance(content, list) else []
    calls = [
        b for b in blocks if getattr(b, "type", None) == "tool_use" and getattr(b, "name", None) == config.tool_name
    ]
    if not calls:
        kinds = sorted({str(getattr(b, "type", "?")) for b in blocks}) or ["nothing"]
        return failed(f"no_tool_use: the model answered with {', '.join(kinds)} (stop_reason={stop_reason})")
    if len(calls) > 1:
        return failed(f"ambiguous_tool_use: {len(calls)} {config.tool_name} calls in one answer")

    tool_input = getattr(calls[0], "input", None)
    if config.task == "spans":
        label, confidence, reason, error = _judge_spans(config, tool_input, text)
    else:
        label, confidence, reason, error = _judge_tool_input(config, tool_input)
    if error:
        return failed(error, reason)
    return Answer(label, confidence, reason, None, *tokens)


class LabelerConfigurationError(RuntimeError):
    """A failure that every further call would repeat (bad key, no access, unknown model): stop the run."""


def fatal_errors() -> tuple[type[BaseException], ...]:
    """Errors that say the request could never succeed from this configuration. Per-record problems (a 400
    for an over-long review, a 413) stay failed votes; retryable ones were already retried by the SDK.
    (Functions, not constants: the SDK takes seconds to import and most commands never call the model.)"""
    import anthropic

    return (
        anthropic.AuthenticationError,
        anthropic.PermissionDeniedError,
        anthropic.PaymentRequiredError,
        anthropic.NotFoundError,
    )


def call_errors() -> tuple[type[BaseException], ...]:
    """What a call can raise once the SDK has given up: its own error family, plus the JSON decoder's error
    for a response body that is not JSON (the SDK lets that one through unwrapped)."""
    import anthropic

    return (anthropic.AnthropicError, json.JSONDecodeError)


def describe_error(exc: BaseException, secret: str, limit: int = 300) -> str:
    """`Class: message`, with the API key scrubbed out in case a proxy or server echoed it back."""
    message = getattr(exc, "message", None) or str(exc) or "no message"
    text = redact(f"{type(exc).__name__}: {message}", secret)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def redact(text: str, secret: str) -> str:
    return text.replace(secret, "[REDACTED]") if secret else text
