"""robots.txt, fetched once per origin and consulted before every request.

Failure handling follows RFC 9309: a robots.txt that does not exist (4xx) allows everything, one that
cannot be reached (5xx, network error) disallows everything, because "we could not ask" is not consent.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from protego import Protego

USER_AGENT = "GleanerBot/0.1 (+https://github.com/gleaner/gleaner)"
ROBOTS_AGENT = "GleanerBot"  # the token robots.txt groups are matched against
_MAX_ROBOTS_BYTES = 500_000  # RFC 9309 lets crawlers stop parsing after 500 KiB


@dataclass(frozen=True)
class RobotsRules:
    origin: str
    parser: Protego
    status: int | None  # None when the fetch failed before an HTTP status
    note: str  # "parsed", "absent (404): allow all", "unreachable (...): disallow all"

    def allows(self, url: str) -> bool:
        return bool(self.parser.can_fetch(url, ROBOTS_AGENT))

    def crawl_delay(self) -> float | None:
        delay = self.parser.crawl_delay(ROBOTS_AGENT)
        return float(delay) if delay is not None else None


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def fetch_robots(origin: str, timeout: float) -> RobotsRules:
    """Download and parse ``origin/robots.txt`` with plain urllib (no browser, no JS)."""
    request = urllib.request.Request(f"{origin}/robots.txt", headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(_MAX_ROBOTS_BYTES)
            return RobotsRules(origin, Protego.parse(body.decode("utf-8", "replace")), response.status, "parsed")
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500:
            return RobotsRules(origin, Protego.parse(""), exc.code, f"absent ({exc.code}): allow all")
        return RobotsRules(
            origin,
            Protego.parse("User-agent: *\nDisallow: /"),
            exc.code,
            f"unreachable (http {exc.code}): disallow all",
        )
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return RobotsRules(
            origin, Protego.parse("User-agent: *\nDisallow: /"), None, f"unreachable ({reason}): disallow all"
        )


class RobotsCache:
    """Per-origin rules for one crawl; ``before_fetch`` lets the crawler rate-limit the robots request too."""

    def __init__(
        self,
        timeout: float,
        *,
        before_fetch: Callable[[str], None] | None = None,
        log: Any = None,  # a logging.Logger or anything with info/warning (Dagster's context.log)
    ) -> None:
        self.timeout = timeout
        self._before_fetch = before_fetch
        self._log = log or logging.getLogger(__name__)
        self._rules: dict[str, RobotsRules] = {}

    def rules_for(self, url: str) -> RobotsRules:
        origin = origin_of(url)
        if origin not in self._rules:
            if self._before_fetch is not None:
                self._before_fetch(f"{origin}/robots.txt")
            rules = fetch_robots(origin, self.timeout)
            self._log.info("robots.txt for %s: %s", origin, rules.note)
            self._rules[origin] = rules
        return self._rules[origin]

    def known(self, url: str) -> RobotsRules | None:
        """The origin's rules if already fetched; lets an async caller skip the blocking path."""
        return self._rules.get(origin_of(url))

    def allows(self, url: str) -> bool:
        return self.rules_for(url).allows(url)
