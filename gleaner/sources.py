"""Source configuration: what a data engineer edits to add a site, validated before anything runs.

Sources live in a YAML file (``config/sources.yaml`` by default, ``GLEANER_SOURCES`` to override) so adding
a site never means touching Python. ``${VAR:-default}`` is expanded from the environment, which is how the
bundled demo site's address can move in tests without a second config file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

import yaml
from cssselect import ExpressionError, SelectorError
from parsel.csstranslator import HTMLTranslator
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gleaner.selector_config import ReviewSelectors

SLUG = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_ENV_REF = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::-(?P<default>[^}]*))?\}")

DEFAULT_SOURCES_FILE = Path(__file__).resolve().parent.parent / "config" / "sources.yaml"


class SourceConfigError(ValueError):
    """A sources file that cannot be used; the message names the file and the offending field."""


class SourceConfig(BaseModel):
    """One configured site: where to start, what to stay inside, how to render, how to extract."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Plain slug; also the `source` partition key.")
    extractor: Literal["schema_org_reviews", "selectors"] = Field(
        default="schema_org_reviews",
        description="schema_org_reviews: JSON-LD/microdata/RDFa on any site; selectors: the `selectors` block "
        "first, schema.org markup when it finds no review.",
    )
    selectors: ReviewSelectors | None = None
    body_text: bool = Field(
        default=False, description="Keep each page's main text (trafilatura) as `page_text` on its records."
    )
    start_urls: list[str] = Field(min_length=1)
    allowed_domains: list[str] = Field(min_length=1)
    include: list[str] = Field(default_factory=list, description="Regexes a URL must match (any) to be followed.")
    exclude: list[str] = Field(default_factory=list, description="Regexes that stop a URL from being followed.")
    render: Literal["browser", "http", "adaptive"] = Field(
        default="browser",
        description="browser: Chromium renders every page; http: the served HTML as is; adaptive: the served "
        "HTML where it already holds the `wait_for` content, Chromium where it does not, decided per page type "
        "and remembered for the rest of the crawl.",
    )
    page_types: dict[str, str] = Field(
        default_factory=dict,
        description="Adaptive mode: name -> regex grouping URLs into page types (first match wins); URLs that "
        "match none are grouped by their shape (path segments holding digits and query values wildcarded).",
    )
    allow_resources: list[Literal["image", "font", "media"]] = Field(
        default_factory=list,
        description="Sub-resource types the browser may download; images, fonts and media are blocked otherwise.",
    )
    concurrency: int = Field(default=2, ge=1, le=32, description="Requests in flight per host at once.")
    max_body_bytes: int = Field(default=8_000_000, gt=0, description="Larger bodies fail the fetch unread.")
    wait_for: str | None = Field(default=None, description="CSS selector that marks the page's content as ready.")
    max_pages: int = Field(default=200, gt=0)
    rate_limit_per_sec: float = Field(default=5.0, gt=0)
    max_retries: int = Field(default=2, ge=0)
    timeout_sec: float = Field(default=15.0, gt=0)
    respect_robots: bool = True

    @model_validator(mode="after")
    def _selectors_present(self) -> SourceConfig:
        if self.extractor == "selectors" and self.selectors is None:
            raise ValueError("extractor 'selectors' needs a `selectors` block")
        if self.extractor != "selectors" and self.selectors is not None:
            raise ValueError(f"a `selectors` block is ignored by extractor {self.extractor!r}; use 'selectors'")
        return self

    @model_validator(mode="after")
    def _adaptive_can_tell(self) -> SourceConfig:
        if self.render != "adaptive":
            return self
        if not self.wait_for:
            raise ValueError("render 'adaptive' needs `wait_for`: it is how a served page is found to lack content")
        try:
            HTMLTranslator().css_to_xpath(self.wait_for)
        except (SelectorError, ExpressionError) as exc:
            raise ValueError(f"wait_for {self.wait_for!r} is not plain CSS, which adaptive mode needs: {exc}") from exc
        return self

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("must be a plain slug (lowercase letters, digits, underscores)")
        return value

    @field_validator("include", "exclude", "page_types")
    @classmethod
    def _regexes(cls, patterns: list[str] | dict[str, str]) -> list[str] | dict[str, str]:
        for pattern in patterns.values() if isinstance(patterns, dict) else patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regex {pattern!r}: {exc}") from exc
        return patterns


def expand_env(text: str) -> str:
    return _ENV_REF.sub(lambda m: os.environ.get(m["name"], m["default"] or ""), text)


def sources_file() -> Path:
    return Path(os.environ.get("GLEANER_SOURCES", DEFAULT_SOURCES_FILE))


def load_sources(path: Path | None = None) -> dict[str, SourceConfig]:
    """Load and validate every source; fail loudly, naming the file, the source and the field."""
    path = path or sources_file()
    try:
        raw = yaml.safe_load(expand_env(path.read_text(encoding="utf-8"))) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SourceConfigError(f"{path}: cannot read sources: {exc}") from exc
    entries = raw.get("sources") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise SourceConfigError(f"{path}: expected a non-empty list under 'sources'")
    sources: dict[str, SourceConfig] = {}
    for index, entry in enumerate(entries):
        label = entry.get("name", f"#{index}") if isinstance(entry, dict) else f"#{index}"
        try:
            source = SourceConfig.model_validate(entry)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
            raise SourceConfigError(f"{path}: source {label}: {problems}") from exc
        if source.name in sources:
            raise SourceConfigError(f"{path}: source {source.name} is declared twice")
        sources[source.name] = source
    return sources
