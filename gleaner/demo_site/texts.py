"""Review prose for the demo shops: templated, sentiment-bearing, and noisy on purpose.

Texts are assembled from sentence templates whose wording correlates with the rating, so a lexicon
labeler is right most of the time; about one review in ten is written to fool it (negated complaints,
sarcasm, a rating that contradicts the words) so label agreement has real disagreements to find.
Near-duplicates are produced here too, and checked with the same word 5-gram Jaccard a dedup stage uses.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

MIN_WORDS, MAX_WORDS = 25, 90

POS_ADJ = ("excellent", "great", "sturdy", "reliable", "fantastic", "solid", "impressive", "superb", "lovely")
NEG_ADJ = (
    "flimsy",
    "disappointing",
    "cheap",
    "unreliable",
    "poor",
    "awful",
    "terrible",
    "fragile",
    "useless",
)
MILD_NEG = ("noisy", "bulky", "slow", "fiddly", "heavy", "loud")
DURATIONS = ("two weeks", "a month", "three months", "half a year", "a few days", "six weeks", "ten days")
PEOPLE = ("partner", "mother", "brother", "flatmate", "neighbour", "sister", "father", "colleague")
OCCASIONS = (
    "as a birthday gift for my {person}",
    "to replace an older model that finally gave up",
    "after reading a lot of reviews",
    "during the winter sale",
    "because my {person} recommended it",
    "for our new apartment",
)
FREQUENCIES = ("every morning", "a few times a week", "almost daily", "on weekends", "twice a day")

POSITIVE = (
    "I have been using this {noun} for {duration} and it has been {pos} so far.",
    "The {part} feels {pos} and everything is well made.",
    "It does exactly what I wanted and I love how easy it is to clean.",
    "Setup took {minutes} minutes and it worked perfectly from the start.",
    "For the price this {noun} is {pos}, much better than the one I had before.",
    "My {person} was impressed with the {part} as well.",
    "The quality is {pos} and it looks beautiful in the kitchen.",
    "I use it {freq} and it still works like new.",
    "The {part} is smooth, quiet and a pleasure to use.",
    "Honestly one of the best purchases I made this year.",
    "Customer service answered my question within an hour, which was a nice surprise.",
    "It heats up quickly and the results are consistently good.",
    "Everything about the {part} is thoughtful and sturdy.",
)
NEGATIVE = (
    "The {part} broke after {duration}, which is {neg} for a product at this price.",
    "I was disappointed by the {part}, it feels {neg} and cheap.",
    "It stopped working after {duration} and customer support never replied.",
    "The {part} is {neg} and the whole thing rattles when in use.",
    "Honestly a waste of money, I regret buying this {noun}.",
    "It leaks, the finish is {neg}, and the instructions are confusing.",
    "The {part} scratched on the first day and now looks terrible.",
    "It is much smaller than the photos suggest and feels {neg}.",
    "After {duration} the {part} started to wobble and make a grinding noise.",
    "Returning it was a hassle and the refund took weeks.",
    "The {part} gets dangerously hot and the smell is awful.",
    "I expected far better quality, this {noun} is a letdown.",
)
MIXED = (
    "The {part} is {pos}, but the {part2} feels {neg}.",
    "It works well enough, although it is a bit {mild} for my taste.",
    "Some things are good and some are annoying, so I am torn about it.",
    "The {part} is nice, yet the {part2} could be much better.",
    "It does the job, but it is {mild} and the {part2} is awkward to reach.",
    "Decent results, though I had to read the manual twice to understand the {part2}.",
)
NEUTRAL = (
    "I bought it {occasion}.",
    "Delivery took {days} days and the box arrived intact.",
    "I compared it with two other models before ordering.",
    "I use it {freq}.",
    "It came in {color}, which matches the rest of my things.",
    "The package included a short manual and a spare {part2}.",
)
# Neither satisfied nor dissatisfied: factual notes, delivery, verdicts that balance out. Written to carry
# no sentiment words a lexicon would score, and each conclusion says "neutral" in a phrase a rule can see.
NEUTRAL_BODY = (
    "The {noun} is exactly as described on the product page.",
    "It is the size and weight listed in the specifications.",
    "I have only used it a few times since it came {days} days ago.",
    "The {part} works as expected and the {part2} is average.",
    "The {part} is sturdy enough, although the {part2} is a bit {mild}.",
    "Delivery took {days} days and the box arrived in one piece.",
    "Average build quality for the price.",
    "The courier left it with a {person} who brought it over the next day.",
    "Too early to say how the {part} holds up.",
    "It is about the same as my old {noun}, just a different colour.",
    "Some things are good and some are annoying, so it evens out.",
    "The instructions are short and cover the basics.",
    "It replaced an older model and does the same job.",
    "The {part} is plastic and the {part2} is metal.",
    "It takes up about as much space on the counter as the old one.",
    "The order was confirmed by email and shipped {days} days later.",
    "I have not tried the {part2} yet, so this is mostly about the delivery.",
    "The {part} is the same colour as in the photos.",
    "My {person} uses it {freq} and has not made up their mind about it.",
)
CONCLUDE_NEUTRAL = (
    "It does the job.",
    "Average overall.",
    "It is as described.",
    "Middle of the road, it does the job.",
    "An average {noun}, as described.",
    "Time will tell, for now it does the job.",
)
COLORS = ("matte black", "brushed steel", "white", "sage green", "navy blue", "graphite")
CONCLUDE_POS = (
    "Highly recommended.",
    "I would buy it again without hesitation.",
    "Very happy with this purchase.",
    "Great value, recommended to anyone.",
    "Love it.",
)
CONCLUDE_NEG = (
    "I would not recommend it.",
    "I am sending it back.",
    "Avoid this one.",
    "Save your money and buy something else.",
    "Very disappointed overall.",
)
CONCLUDE_MIXED = {
    "positive": ("Overall it is decent and I will keep it.", "On balance I am fairly happy with it."),
    "negative": ("Overall I expected more and probably would not buy it again.", "On balance, not worth it."),
}

# Noise: sentences whose sentiment words point the wrong way for a lexicon.
NEGATED_COMPLAINTS = (  # truth positive, lexicon sees negative words
    "I was not disappointed at all.",
    "No complaints so far, it never broke or leaked.",
    "It is not cheap looking and not flimsy like my old {noun}.",
    "I can't say anything bad about the {part}.",
    "Zero problems, no rattling, no bad smell.",
    "Not a single issue since I unpacked it.",
)
NEGATED_PRAISE = (  # truth negative, lexicon sees positive words
    "It is not great and definitely not worth the money.",
    "I am not happy with the {part} and would not call it reliable.",
    "Not impressed, the quality is not what the photos promise.",
    "I hoped it would be excellent, it is not even good.",
    "Not recommended, not durable, not pleasant to use.",
)
SARCASM = (  # truth negative, lexicon sees praise
    "Great, the {part} fell off on day two.",
    "Just perfect, exactly what I needed: another broken {noun}.",
    "Fantastic customer service too, they never answered a single email.",
    "Wonderful design, if you enjoy burning your fingers on the {part}.",
    "Amazing value, assuming you like throwing money away.",
)
NOISE_CONCLUDE = {
    "negation": ("No regrets.", "Can't complain.", "Not bad at all."),
    "negated_praise": ("Not recommended.", "Not worth it."),
    "sarcasm": ("Love it. Not.", "Best purchase ever, obviously."),
}

BOILERPLATE = (
    "I received this product at a discounted price in exchange for my honest and unbiased review. "
    "I have now used it every day for about {duration} and I want to share my experience so that other "
    "buyers can make an informed decision. The packaging was nice, the product matches the description "
    "and it does exactly what it promises. I would recommend it to anyone looking for a good option at "
    "this price point. If you found this review helpful please click the helpful button below. {closing}"
)
BOILERPLATE_DURATIONS = ("two weeks", "three weeks", "a month", "ten days")
BOILERPLATE_CLOSINGS = ("Thank you!", "Thanks!", "Cheers!")

# Word swaps a syndication feed's copy editor might make; every swap keeps the sentence grammatical.
SWAPS = {
    "really": "truly",
    "very": "quite",
    "great": "good",
    "bought": "purchased",
    "ordering": "buying",
    "easy": "simple",
    "quickly": "fast",
    "nice": "pleasant",
    "happy": "pleased",
    "honestly": "frankly",
    "smooth": "silky",
    "quiet": "silent",
    "sturdy": "robust",
    "beautiful": "lovely",
    "works": "runs",
    "broke": "snapped",
    "leaks": "drips",
    "confusing": "unclear",
    "awful": "horrible",
    "terrible": "dreadful",
    "hassle": "pain",
    "letdown": "disappointment",
    "impressed": "amazed",
    "consistently": "reliably",
    "answered": "replied to",
    "surprise": "bonus",
    "intact": "undamaged",
    "model": "version",
    "results": "outcomes",
    "expected": "hoped for",
    "the": "this",
    "and": "and also",
}
_WORD = re.compile(r"[a-z0-9']+")


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def shingles(text: str, n: int = 5, *, split: str = "words") -> set[tuple[str, ...]]:
    """Word n-gram shingles; ``split="whitespace"`` keeps punctuation, as a naive deduper would."""
    words = tokens(text) if split == "words" else text.lower().split()
    if len(words) < n:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: str, b: str, n: int = 5) -> float:
    """Jaccard of word n-gram shingles, the lower of the two tokenizations (so dedup finds it either way)."""
    scores = []
    for split in ("words", "whitespace"):
        sa, sb = shingles(a, n, split=split), shingles(b, n, split=split)
        scores.append(len(sa & sb) / len(sa | sb) if sa | sb else 1.0)
    return min(scores)


@dataclass(frozen=True)
class ProductVoice:
    """What reviews of one product can talk about."""

    noun: str
    parts: tuple[str, ...]


def _fill(template: str, rng: random.Random, voice: ProductVoice) -> str:
    part, part2 = rng.sample(voice.parts, 2)
    values = {
        "noun": voice.noun,
        "part": part,
        "part2": part2,
        "pos": rng.choice(POS_ADJ),
        "neg": rng.choice(NEG_ADJ),
        "mild": rng.choice(MILD_NEG),
        "duration": rng.choice(DURATIONS),
        "person": rng.choice(PEOPLE),
        "freq": rng.choice(FREQUENCIES),
        "days": str(rng.randint(2, 9)),
        "minutes": str(rng.choice((5, 10, 15, 20))),
        "color": rng.choice(COLORS),
    }
    values["occasion"] = rng.choice(OCCASIONS).format(person=values["person"])
    return template.format(**values)


def _assemble(
    rng: random.Random, voice: ProductVoice, body: list[str], conclusions, low: int, high: int, context=NEUTRAL
) -> str:
    """Sentences in a natural order (context first, verdict last) trimmed into [low, high] words."""
    target = rng.randint(low, high)
    sentences: list[str] = []
    if rng.random() < 0.6:
        sentences.append(_fill(rng.choice(context), rng, voice))
    pool = list(body)
    rng.shuffle(pool)
    conclusion = _fill(rng.choice(conclusions), rng, voice)
    for template in pool:
        words = sum(len(s.split()) for s in sentences) + len(conclusion.split())
        if words >= target:
            break
        sentence = _fill(template, rng, voice)
        if words + len(sentence.split()) > high:
            continue
        sentences.append(sentence)
    neutral = list(context)
    rng.shuffle(neutral)
    while sum(len(s.split()) for s in sentences) + len(conclusion.split()) < low and neutral:
        sentences.insert(1, _fill(neutral.pop(), rng, voice))
    text = " ".join([*sentences, conclusion])
    count = len(text.split())
    if not low <= count <= high:
        raise ValueError(f"could not fit a review into {low}-{high} words (got {count})")
    return text


def review_text(
    rng: random.Random,
    voice: ProductVoice,
    rating: int,
    lean: str,
    noise: str | None,
    *,
    low=MIN_WORDS,
    high=MAX_WORDS,
) -> str:
    """Text for a review with this rating; ``lean`` decides which way a 3-star review lands, and a
    "neutral" lean reads neutral whatever the stars.

    ``noise`` picks a lexicon-fooling register: "negation" and "rating_mismatch" read positive,
    "negated_praise" and "sarcasm" read negative to a human but not to a word counter.
    """
    if lean == "neutral":
        # context without the occasion ("a birthday gift" is all the praise a lexicon needs) or "intact"
        return _assemble(rng, voice, list(NEUTRAL_BODY), CONCLUDE_NEUTRAL, low, high, NEUTRAL[2:])
    if noise == "negation":
        return _assemble(rng, voice, [*NEGATED_COMPLAINTS, *NEUTRAL[:2]], NOISE_CONCLUDE["negation"], low, high)
    if noise == "negated_praise":
        return _assemble(rng, voice, list(NEGATED_PRAISE), NOISE_CONCLUDE["negated_praise"], low, high)
    if noise == "sarcasm":
        return _assemble(rng, voice, list(SARCASM), NOISE_CONCLUDE["sarcasm"], low, high)
    if noise == "rating_mismatch" or rating >= 4:
        return _assemble(rng, voice, list(POSITIVE), CONCLUDE_POS, low, high)
    if rating <= 2:
        return _assemble(rng, voice, list(NEGATIVE), CONCLUDE_NEG, low, high)
    side = POSITIVE if lean == "positive" else NEGATIVE
    body = [*MIXED, *rng.sample(side, 3)]
    return _assemble(rng, voice, body, CONCLUDE_MIXED[lean], low, high)


def edit_words(rng: random.Random, text: str, *, min_jaccard: float = 0.8, attempts: int = 500) -> str:
    """The same review after a syndication feed touched it: 1-3 word swaps close together.

    Edits are kept within a few words of each other because each one breaks up to five shingles; spread
    out, three edits would push a 70-word review below the similarity a dedup stage is tuned for.
    """
    words = text.split()

    def bare(word: str) -> str:
        return word.rstrip(".,!?:;").lower()

    swappable = [i for i, w in enumerate(words) if bare(w) in SWAPS]
    for _ in range(attempts):
        if not swappable:
            break
        anchor = rng.choice(swappable)
        nearby = [i for i in swappable if anchor <= i <= anchor + 4]
        chosen = rng.sample(nearby, min(len(nearby), rng.randint(1, 3)))
        edited = list(words)
        for i in chosen:
            word = edited[i]
            core = bare(word)
            replacement = SWAPS[core]
            if word[:1].isupper():
                replacement = replacement[:1].upper() + replacement[1:]
            edited[i] = replacement + word[len(core) :]
        candidate = " ".join(edited)
        if jaccard(text, candidate) >= min_jaccard and len(candidate.split()) <= MAX_WORDS:
            return candidate
    raise ValueError("no edit kept the text similar enough; use a longer text")
