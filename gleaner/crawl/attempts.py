"""One requested URL's attempts: whether a failure is worth retrying, how long the server asked us to wait,
and the redirect hops taken so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from gleaner.crawl.fetchers import FetchResult

MAX_RETRY_DELAY_SEC = 60.0
MAX_REDIRECTS = 10
# 501 (not implemented) and 505 (version not supported) will not change on a retry.
PERMANENT_5XX = frozenset({501, 505})


def retry_after(headers: dict[str, str]) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def failure_of(result: FetchResult) -> tuple[str | None, bool]:
    """(reason the attempt failed, whether retrying may help)."""
    if result.error:
        return result.error, result.transient
    if result.status is None:
        return "no response", True
    if result.status == 429 or (result.status >= 500 and result.status not in PERMANENT_5XX):
        return f"http {result.status}", True
    if result.status >= 400:
        return f"http {result.status}", False
    return None, False


@dataclass
class Chain:
    """One requested URL and the redirect hops taken from it so far."""

    requested: str
    hops: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def current(self) -> str:
        return self.hops[-1]
