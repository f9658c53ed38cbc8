"""From one stored page to validated records plus a reason for everything that did not make it.

Every page ends in exactly one outcome (`yielded`, `no_records`, `failed`) so the stage reconciles:
pages in = pages that yielded records + pages with none (and why) + pages that failed.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from parsel import Selector

from gleaner.extract.html_tree import parse_html
from gleaner.extract.language import (
    OVERRIDE_WORDS,
    UNDETERMINED,
    Detection,
    choose_language,
    could_override,
    declared_language,
    detect_languages,
)
from gleaner.extract.main_text import main_text
from gleaner.extract.ratings import RatingError, normalize_rating, parse_number, split_rating_text
from gleaner.extract.selectors import ReviewSelectors, select_candidates
from gleaner.extract.structured_data import StructuredReviews, extract_structured_reviews
from gleaner.extract.text_clean import clean_text, word_count
from gleaner.pages import DROP_ERROR, FetchedPage
from gleaner.schemas import ProductReview, stable_record_id, validate_candidate
from gleaner.urls import canonicalize_url

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser

    from gleaner.sources import SourceConfig

Outcome = Literal["yielded", "no_records", "failed"]
BUILTIN_EXTRACTORS = ("schema_org_reviews",)
OFFENDING_LIMIT = 2000
_SURROGATE = re.compile("[\ud800-\udfff]")
_UNUSED = Detection(UNDETERMINED, 0.0)  # where `choose_language` cannot use a detection, none is made


@dataclass(frozen=True)
class ExtractionSpec:
    """How a source's pages are read; a configured source or a built-in extractor usable on any site."""

    extractor: str = "schema_org_reviews"
    selectors: ReviewSelectors | None = None
    body_text: bool = False

    @classmethod
    def of(cls, source: ExtractionSpec | SourceConfig | str) -> ExtractionSpec:
        if isinstance(source, ExtractionSpec):
            return source
        if isinstance(source, str):
            if source not in BUILTIN_EXTRACTORS:
                raise ValueError(f"unknown extractor {source!r}; built in: {', '.join(BUILTIN_EXTRACTORS)}")
            return cls(source)
        return cls(source.extractor, source.selectors, source.body_text)


@dataclass
class PageExtraction:
    outcome: Outcome
    reason: str
    records: list[ProductReview] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _offending(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False, sort_keys=True)
    return storable(text[:OFFENDING_LIMIT])


def storable(text: str) -> str:
    """Text Parquet can hold: an unpaired surrogate (from a JSON ``\\ud800`` escape) is written as its escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def has_surrogate(value: Any) -> bool:
    """ASCII text (asked in constant time) holds none."""
    return isinstance(value, str) and not value.isascii() and _SURROGATE.search(value) is not None


def failure_row(page: FetchedPage, stage: str, reason: str, offending: Any) -> dict[str, Any]:
    return {
        "source": page.source,
        "page_url": page.url,
        "stage": stage,
        "reason": reason,
        "offending": _offending(offending),
    }


def failed_page(page: FetchedPage, stage: str, reason: str, offending: Any) -> PageExtraction:
    return PageExtraction("failed", reason, failures=[failure_row(page, stage, reason, offending)])


def _weak_id(review_id: str) -> bool:
    """Ids only unique within one page ("#r1", "3"), which would collide across a source's products."""
    return review_id.startswith("#") or len(review_id) <= 3


def _canonical_id(review_id: str) -> str:
    """URL-shaped ids (``https://shop/p/1?utm_source=x#review-3``) lose tracking noise but keep the fragment."""
    if not review_id.lower().startswith(("http://", "https://")):
        return review_id
    address, _, fragment = review_id.partition("#")
    try:
        address = canonicalize_url(address)
    except ValueError:
        return review_id
    return f"{address}#{fragment}" if fragment else address


def _natural_key(raw_id: str | None, product_id: str, author: str | None, published: str | None, text: str) -> str:
    if raw_id:
        return f"{product_id}#{raw_id.lstrip('#')}" if _weak_id(raw_id) else _canonical_id(raw_id)
    basis = f"{product_id}|{author}|{published}|{text[:200]}"  # a lone surrogate is hashed, then reported by _shape
    return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _rating(raw: dict[str, Any]) -> tuple[Any, float, str | None]:
    """(rating on 1-5 or None, published scale, problem) from however the page wrote it."""
    value, best, worst = raw.get("rating_value"), raw.get("best_rating"), raw.get("worst_rating")
    value, text_best, text_worst = split_rating_text(value)
    best = best if best not in (None, "") else text_best
    worst = worst if worst not in (None, "") else text_worst
    try:
        rating, scale = normalize_rating(value, best, worst)
        return rating, scale, None
    except RatingError as exc:
        try:
            scale = parse_number(best) if best not in (None, "") else 5.0
        except RatingError:
            scale = 5.0
        return None, scale, str(exc)


def _shared_ids(candidates: list[dict[str, Any]], texts: list[str]) -> set[str]:
    """Ids a page gives to more than one different review (every review's @id = the page URL, say)."""
    contents: dict[str, set[tuple[str, str]]] = {}
    for raw, text in zip(candidates, texts, strict=True):
        if review_id := clean_text(raw.get("review_id")):
            contents.setdefault(review_id, set()).add((text, clean_text(raw.get("author"))))
    return {rid for rid, seen in contents.items() if len(seen) > 1}


@dataclass
class _PageRead:
    """What extraction read from one page before any language detection: its candidates and their cleaned
    texts, its declared language and main text, and the result so far (failure rows of unreadable markup)."""

    page: FetchedPage
    spec: ExtractionSpec
    structured: StructuredReviews
    candidates: list[dict[str, Any]]
    texts: list[str]
    words: list[int]  # `word_count` of each text, counted once: the language choice and the record both need it
    declared: str | None
    body: str | None
    result: PageExtraction

    def wanted(self) -> list[int]:
        """The candidates whose own detection `choose_language` could use: not one that carries its language,
        nor, on a page that declares one, one too short to override it."""
        declared = self.declared
        return [
            i
            for i, (raw, words) in enumerate(zip(self.candidates, self.words, strict=True))
            if not raw.get("language") and (declared is None or words >= OVERRIDE_WORDS)
        ]


class _PageContext:
    """What every candidate of one page shares: the page, its declared language, its main text, and the
    language detected in each candidate's text (and in all of them together when the page declares none)."""

    def __init__(self, read: _PageRead, detections: list[Detection], detected: Detection | None) -> None:
        self.page, self.declared, self.body = read.page, read.declared, read.body
        self.detections, self.detected = detections, detected


def _page_languages(reads: list[_PageRead]) -> list[tuple[list[Detection], Detection | None]]:
    """(each candidate's detection, the page's reviews' together or None) for each page, detected only where
    `choose_language` can use it: not for a review that carries its own language, nor, on a page that declares
    one, for a review too short to override it or one that provably no language but the declared one could
    win with p >= OVERRIDE (`could_override`).

    The pages are detected together: one `could_override` per declared language and one `detect_languages`
    over every text of the batch. Each text's answer depends on that text alone, so this is each page on its
    own, at about a third of the time (the model's tables stay in the cache for the whole batch).
    """
    wanted = [read.wanted() for read in reads]
    by_language: dict[str, list[tuple[int, int]]] = {}
    for page, (read, indexes) in enumerate(zip(reads, wanted, strict=True)):
        if read.declared is not None:
            by_language.setdefault(read.declared, []).extend((page, i) for i in indexes)
    for declared, asked in by_language.items():  # only where the detection could override the declaration
        could = could_override([reads[page].texts[i] for page, i in asked], declared)
        for page, i in (key for key, needed in zip(asked, could, strict=True) if not needed):
            wanted[page].remove(i)
    texts = [reads[page].texts[i] for page, indexes in enumerate(wanted) for i in indexes]
    joined = {
        page: " ".join(t for t in read.texts if t)
        for page, read in enumerate(reads)
        if read.declared is None and any(read.texts)
    }
    found = iter(detect_languages(texts + list(joined.values())))
    per_page = []
    for read, indexes in zip(reads, wanted, strict=True):
        detections = [_UNUSED] * len(read.texts)
        for i in indexes:
            detections[i] = next(found)
        per_page.append(detections)
    page_detected = {page: next(found) for page in joined}
    return [(detections, page_detected.get(page)) for page, detections in enumerate(per_page)]


def _shape(
    ctx: _PageContext, raw: dict[str, Any], text: str, words: int, detected: Detection, shared: set[str]
) -> tuple[dict, dict[str, str | None]]:
    """Shape a loose candidate into the model's fields; problems found on the way are returned by field."""
    page = ctx.page
    notes = list(raw.get("notes") or [])
    problems: dict[str, str | None] = {}
    product_id = clean_text(raw.get("product_id"))
    if not product_id:
        product_id = page.url
        notes.append("product_id taken from the page url")
    raw_id = clean_text(raw.get("review_id")) or None
    if raw_id in shared:
        notes.append(f"review id {raw_id!r} is shared by different reviews on the page, so it was ignored")
        raw_id = None
    author, published = clean_text(raw.get("author")) or None, clean_text(raw.get("published")) or None
    natural_key = _natural_key(raw_id, product_id, author, published, text)
    rating, scale, rating_problem = _rating(raw)
    if rating_problem:
        problems["rating"] = rating_problem
    for name, value in (("text", text), ("author", author), ("published", published), ("review_id", raw_id)):
        if has_surrogate(value):  # not valid Unicode: no Parquet file can hold it, so no record can
            problems[name] = f"{name} contains an unpaired surrogate (invalid Unicode): {storable(value)[:60]!r}"
    if not text:
        problems.update(text="review has no text", word_count=None)
    language, language_note = choose_language(raw.get("language"), ctx.declared, detected, ctx.detected, words)
    if language_note:
        notes.append(language_note)
    shaped = {
        "record_id": stable_record_id(page.source, natural_key),
        "review_id": natural_key,
        "product_id": product_id,
        "source": page.source,
        "page_url": page.url,
        "scraped_at": page.fetched_at,
        "text": text,
        "rating": rating,
        "rating_scale": scale,
        "author": author,
        "published": published,
        "language": language,
        "word_count": words,
        "extraction": raw.get("syntax"),
        "extraction_notes": "; ".join(dict.fromkeys(notes)) or None,
        "page_text": ctx.body,
    }
    return shaped, problems


def _candidates(
    page: FetchedPage, tree: LexborHTMLParser, spec: ExtractionSpec
) -> tuple[list[dict[str, Any]], StructuredReviews]:
    structured = extract_structured_reviews(page.html or "", page.url, tree)
    if spec.extractor == "selectors" and spec.selectors is not None:  # parsel's CSS and XPath need lxml's tree
        selected = select_candidates(Selector(text=page.html, type="html"), spec.selectors)
        if selected:
            return selected, structured
    return structured.reviews, structured


def _empty_reason(spec: ExtractionSpec, structured: StructuredReviews) -> tuple[Outcome, str]:
    if structured.unreadable_reviews:
        return "failed", f"review markup unreadable: {structured.errors[0][0]}"
    if structured.aggregate_ratings:
        return "no_records", "aggregate rating only, no individual reviews"
    if spec.extractor == "selectors":
        return "no_records", "selectors matched no review and no schema.org review markup"
    return "no_records", "no schema.org review markup"


def unusable_page(page: FetchedPage) -> PageExtraction | None:
    """The outcome of a page with nothing to extract from (failed fetch, HTTP error, no or empty HTML), else
    None: the first step of every extractor."""
    if page.error:
        if page.error.startswith(DROP_ERROR):
            return failed_page(page, "drop", page.error.removeprefix(DROP_ERROR), page.url)
        return failed_page(page, "fetch", page.error, page.status)
    if page.status is not None and page.status >= 400:
        return failed_page(page, "fetch", f"http {page.status}", page.status)
    if page.html is None:
        if page.status is None:
            return failed_page(page, "fetch", "no response and no error recorded", None)
        return PageExtraction("no_records", "no HTML body (non-HTML content)")
    if not page.html or page.html.isspace():  # (not a stripped copy of the page to learn it)
        return PageExtraction("no_records", "empty page")
    return None


def _read_page(page: FetchedPage, spec: ExtractionSpec) -> _PageRead | PageExtraction:
    """The page's candidates and what they share, or its final outcome when there is nothing to read."""
    if (unusable := unusable_page(page)) is not None:
        return unusable
    try:
        tree = parse_html(page.html)
        candidates, structured = _candidates(page, tree, spec)
        body = main_text(page.html, page.url) if spec.body_text else None
        declared = declared_language(tree)
    except Exception as exc:  # a parser crash on hostile markup is a failed page, not a failed run
        reason = f"unparseable page: {type(exc).__name__}: {exc}"
        return failed_page(page, "extract", reason, page.html[:500])

    result = PageExtraction("no_records", "")
    result.failures.extend(failure_row(page, "extract", reason, block) for reason, block in structured.errors)
    whole_page = body if spec.selectors is not None and spec.selectors.text is None else None
    texts = [
        clean_text(raw.get("text")) or (whole_page or "" if raw.get("syntax") == "selectors" else "")
        for raw in candidates
    ]
    words = [word_count(text) for text in texts]
    return _PageRead(page, spec, structured, candidates, texts, words, declared, body, result)


def _records(ctx: _PageContext, read: _PageRead) -> PageExtraction:
    """Shape and validate the page's candidates: records, a failure row for each that fails, the outcome."""
    page, candidates, texts, result = read.page, read.candidates, read.texts, read.result
    shared = _shared_ids(candidates, texts)
    seen_ids: set[str] = set()
    seen_content: dict[tuple[str, str, str], str] = {}
    for raw, text, words, detected in zip(candidates, texts, read.words, ctx.detections, strict=True):
        try:
            shaped, problems = _shape(ctx, raw, text, words, detected, shared)
        except Exception as exc:  # one hostile candidate must not cost the partition; it is a failure row
            reason = f"candidate could not be shaped: {type(exc).__name__}: {exc}"
            result.failures.append(failure_row(page, "extract", reason, raw))
            continue
        content = (text, str(shaped["author"]), str(shaped["rating"]))
        syntax = str(raw.get("syntax"))
        if shaped["record_id"] in seen_ids or (text and seen_content.get(content, syntax) != syntax):
            result.notes.append(f"same review marked up twice ({syntax} copy skipped)")
            continue  # one review in JSON-LD and microdata (or twice in one syntax) is one review
        seen_ids.add(shaped["record_id"])
        seen_content.setdefault(content, syntax)
        record, reason = validate_candidate(shaped, problems)
        if record is None:
            result.failures.append(failure_row(page, "validate", reason or "invalid", raw))
        else:
            result.records.append(record)
    if result.records:
        result.outcome, result.reason = "yielded", f"{len(result.records)} records"
    elif candidates:
        result.outcome, result.reason = "failed", "every candidate record failed validation"
    else:
        result.outcome, result.reason = _empty_reason(read.spec, read.structured)
    return result


def extract_pages(pages: list[FetchedPage], spec: ExtractionSpec | SourceConfig | str) -> list[PageExtraction]:
    """`extract_page` of each page, the pages' language detection done together (a third of its time);
    what a batch of pages is extracted with. Never raises for anything a page can contain."""
    spec = ExtractionSpec.of(spec)
    read_or_done = [_read_page(page, spec) for page in pages]
    reads = [r for r in read_or_done if isinstance(r, _PageRead)]
    languages = iter(_page_languages(reads))
    return [
        r if isinstance(r, PageExtraction) else _records(_PageContext(r, *next(languages)), r) for r in read_or_done
    ]


def extract_page(page: FetchedPage, spec: ExtractionSpec | SourceConfig | str) -> PageExtraction:
    """Extract with the source's extractor; never raises for anything a page can contain."""
    return extract_pages([page], spec)[0]
