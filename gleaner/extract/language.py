"""Which language a review is in: what the markup says, else what the text says.

Detection uses py3langid, whose model ships inside the wheel (nothing is downloaded at run time) and which is
deterministic. Its probabilities are length-calibrated, so a short review ("Too good") rarely clears the bar;
those inherit the language of the page's reviews taken together, and otherwise stay ``und`` rather than
guess. Tags are reduced to their primary subtag ("en-GB" -> "en") so one language is one value downstream.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from gleaner.extract.html_tree import declared_values
from gleaner.extract.langid_batch import classify_many, could_reach

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser

UNDETERMINED = "und"
CONFIDENT = 0.8  # probability above which a text's own detection is trusted
OVERRIDE = 0.95  # ... and above which (with OVERRIDE_WORDS) it beats a page-wide declaration
OVERRIDE_WORDS = 5
_TAG = re.compile(r"^(?P<primary>[A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$")


@dataclass(frozen=True)
class Detection:
    language: str
    probability: float


def language_tag(value: object) -> str | None:
    """Primary subtag of a BCP 47 / POSIX tag, lowercased; None for anything that is not one."""
    if not isinstance(value, str):
        return None
    first = value.split(",")[0].strip()
    match = _TAG.match(first)
    if not match or first.lower() in ("und", "mul", "zxx", "xx"):
        return None
    return match["primary"].lower()


def declared_language(tree: LexborHTMLParser) -> str | None:
    """The page's own statement: <html lang>, Content-Language, og:locale, in that order."""
    for value in declared_values(tree):
        if tag := language_tag(value):
            return tag
    return None


@cache
def _identifier():
    from gleaner.extract.langid_model import load_identifier  # the model unpacked once, not in every process

    return load_identifier()


def _too_few_letters(text: str) -> bool:
    letters = 0
    for c in text:
        if c.isalpha():
            letters += 1
            if letters == 2:
                return False
    return True


def detect_language(text: str) -> Detection:
    """Best guess with its probability; ``und`` with 0 when there is nothing to go on."""
    return detect_languages([text])[0]


def detect_languages(texts: list[str]) -> list[Detection]:
    """`detect_language` of each text, the texts walked together (much cheaper than one by one)."""
    found = [Detection(UNDETERMINED, 0.0)] * len(texts)
    readable = [i for i, text in enumerate(texts) if not _too_few_letters(text)]
    guesses = classify_many(_identifier(), [texts[i] for i in readable])
    for i, (language, probability) in zip(readable, guesses, strict=True):
        found[i] = Detection(str(language), round(float(probability), 3))
    return found


def could_override(texts: list[str], declared: str) -> list[bool]:
    """For each text, whether its detection might override the page's `declared` language in
    `choose_language` (another language at p >= OVERRIDE once rounded); where not, detecting it changes
    nothing, and the proof (`could_reach`) costs a fraction of the detection."""
    return could_reach(_identifier(), texts, declared, OVERRIDE - 0.001)


def choose_language(
    own: str | None, declared: str | None, detected: Detection, page_detected: Detection | None, words: int
) -> tuple[str, str | None]:
    """(language, note). The review's own tag wins, then the page's (unless the text clearly disagrees),
    then the text's own detection when confident, then the page's reviews taken together."""
    if own:
        return own, None
    if declared:
        disagrees = detected.language not in (declared, UNDETERMINED)
        if disagrees and detected.probability >= OVERRIDE and words >= OVERRIDE_WORDS:
            return detected.language, (
                f"page declares {declared}, text detected as {detected.language} (p={detected.probability})"
            )
        return declared, None
    if detected.probability >= CONFIDENT:
        return detected.language, f"language detected from text (p={detected.probability})"
    if page_detected and page_detected.probability >= CONFIDENT:
        return page_detected.language, f"language detected from the page's reviews (p={page_detected.probability})"
    return UNDETERMINED, None
