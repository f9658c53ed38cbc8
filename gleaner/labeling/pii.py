"""Replace personal data in free text with typed placeholders before the text leaves the machine.

Reviews are sent to a third-party model for labelling; the label never depends on a reviewer's email or card
number, so those are removed rather than masked. The scrubbed text is also what the label cache is keyed on,
so the scrubber must be deterministic: the same input always yields the same output.

Precision matters as much as recall here: ratings ("4.5/5"), years, prices, dates, ISBNs and model numbers
are the vocabulary of product reviews, and scrubbing them would change what the model sees. Each pattern is
therefore anchored on structure that those tokens lack (an `@`, a `+` country code or NANP grouping, a Luhn
checksum in card-style grouping, a capitalised street name ending in a street suffix).

Known gaps, by design: obfuscated emails ("name at example dot com"), 7-digit local phone numbers without
an area code, national formats without `+` outside North America, and lower-case street names ("12 main st").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

EMAIL = "[EMAIL]"
PHONE = "[PHONE]"
CARD = "[CARD]"
ADDRESS = "[ADDRESS]"

_EMAIL_RE = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}(?![\w-])"
)

# Card numbers are printed either unbroken or in the issuers' groupings (4-4-4-4[-3], 4-6-5 for Amex,
# 4-4-4-1..4 for 13-19 digit PANs). Requiring one of those layouts keeps ISBNs and part numbers out.
_CARD_RE = re.compile(
    r"(?<![\w.,/-])(?:"
    r"\d{13,19}"
    r"|\d{4}(?P<s1>[ -])\d{4}(?P=s1)\d{4}(?P=s1)\d{1,4}(?:(?P=s1)\d{3})?"
    r"|\d{4}(?P<s2>[ -])\d{6}(?P=s2)\d{4,5}"
    r")(?![\w/-]|[.,]\d)"
)

# North American numbers: area code in parentheses or followed by a separator, then 3-4 digits with a
# separator. Unseparated 10-digit runs are left alone: they are far more often order or model numbers.
_NANP_RE = re.compile(r"(?<![\w+.-])(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-]|[.,]\d)")

# International numbers start with `+` and a country code; 8-15 digits in total (E.164 allows 15).
_INTL_RE = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,6})){1,6}(?![\w-]|[.,]\d)")

_DIGIT = re.compile(r"\d")  # what `\d` matches in the patterns below, Unicode digits included

_STREET_WORDS = "Street|Avenue|Road|Boulevard|Lane|Drive|Court|Terrace|Parkway|Highway"
_STREET_ABBREVIATIONS = "St|Ave|Rd|Blvd|Ln|Dr|Ct|Pkwy|Hwy"
_ADDRESS_RE = re.compile(
    r"(?<![\w.,$#-])\d{1,6}[A-Za-z]?"  # house number, optionally "221B"
    r"(?: (?:N|S|E|W|NE|NW|SE|SW)\.?)?"  # directional prefix
    r"(?: (?:[A-Z][A-Za-z'-]*[a-z]|\d{1,3}(?:st|nd|rd|th))){1,4}"  # capitalised street name or ordinal
    rf" (?:(?:{_STREET_WORDS})\b|(?:{_STREET_ABBREVIATIONS})\b\.?)"  # a period only ends an abbreviation
    r"(?: (?:NE|NW|SE|SW|N|S|E|W)\b)?"  # directional suffix ("Avenue NW")
    r"(?:,? (?:Apt|Apartment|Suite|Ste|Unit)\.? ?#?\w{1,5}|,? #\w{1,5})?"  # unit
)


@dataclass(frozen=True)
class ScrubResult:
    text: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def luhn_valid(digits: str) -> bool:
    """Card issuers' mod-10 check; about 9 in 10 random digit strings fail it, which is the point."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _replace_cards(text: str, counts: Counter[str]) -> str:
    def card(match: re.Match[str]) -> str:
        digits = _digits(match.group(0))
        if 13 <= len(digits) <= 19 and luhn_valid(digits) and len(set(digits)) > 1:
            counts[CARD] += 1
            return CARD
        return match.group(0)

    return _CARD_RE.sub(card, text)


def _replace_phones(text: str, counts: Counter[str]) -> str:
    def intl(match: re.Match[str]) -> str:
        if 8 <= len(_digits(match.group(0))) <= 15:
            counts[PHONE] += 1
            return PHONE
        return match.group(0)

    def nanp(match: re.Match[str]) -> str:
        counts[PHONE] += 1
        return PHONE

    return _NANP_RE.sub(nanp, _INTL_RE.sub(intl, text))


def _replace_simple(pattern: re.Pattern[str], placeholder: str, text: str, counts: Counter[str]) -> str:
    new_text, n = pattern.subn(placeholder, text)
    counts[placeholder] += n
    return new_text


def scrub_text(text: str) -> ScrubResult:
    """Scrub and report what was found, so callers can account for redactions without seeing them.

    Order matters: emails first (their local part may hold digits), cards before phones (a 16-digit card in
    4-4-4-4 layout must not be half-eaten as a phone number), addresses last.
    """
    counts: Counter[str] = Counter()
    if "@" in text:  # every email holds one
        text = _replace_simple(_EMAIL_RE, EMAIL, text, counts)
    if _DIGIT.search(text):  # cards, phones and addresses all hold a digit; most reviews hold none
        text = _replace_cards(text, counts)
        text = _replace_phones(text, counts)
        text = _replace_simple(_ADDRESS_RE, ADDRESS, text, counts)
    return ScrubResult(text, {k: v for k, v in counts.items() if v})


def scrub(text: str) -> str:
    return scrub_text(text).text
