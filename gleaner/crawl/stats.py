"""What a crawl counts: every URL discovered was fetched, skipped for a reason, or left over."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class CrawlStats:
    """Counts that reconcile a crawl: every URL discovered was fetched, skipped for a reason, or left over."""

    source: str = ""
    pages_yielded: int = 0
    pages_ok: int = 0
    pages_failed: int = 0
    pages_resumed: int = 0  # replayed from the spool of an earlier, interrupted run: not requested again
    requests: int = 0
    retries: int = 0
    skipped_robots: int = 0
    skipped_already_fetched: int = 0
    skipped_budget: int = 0
    redirect_duplicates: int = 0
    links_out_of_scope: int = 0
    links_duplicate: int = 0
    wait_for_timeouts: int = 0
    waves: int = 0
    rendered_by: Counter[str] = field(default_factory=Counter)
    page_types: dict[str, str] = field(default_factory=dict)  # adaptive mode's verdict per page type
    render_flips: list[str] = field(default_factory=list)
    browser_launches: int = 0
    browser_crashes: int = 0
    contexts_recycled: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    robots_disallowed: list[str] = field(default_factory=list)
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def elapsed_sec(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = dict(self.errors)
        data["rendered_by"] = dict(self.rendered_by)
        data["started_at"] = self.started_at.isoformat() if self.started_at else None
        data["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        data["elapsed_sec"] = self.elapsed_sec
        return data
