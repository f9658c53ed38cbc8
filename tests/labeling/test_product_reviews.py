"""The lexicon function's VADER gives the stock analyzer's scores exactly, only faster."""

import random

from vaderSentiment.vaderSentiment import BOOSTER_DICT, NEGATE, SPECIAL_CASES, SentimentIntensityAnalyzer

from gleaner.demo_site.generator import build_site
from gleaner.labeling.product_reviews import _Vader

EDGE_CASES = [
    "",
    "   ",
    "good",
    "not good",
    "NOT good at all",
    "no good",
    "no, not bad",
    "it is no good or bad",
    "nor happy nor sad",
    "never so happy",
    "never this good",
    "I have never been so happy",
    "without doubt the best",
    "without any doubt great",
    "not the least bit good",
    "at least it works",
    "very least helpful",
    "least good",
    "kind of good",
    "sort of bad but kind of nice",
    "it was good but it broke, but then it was fine",
    "isn't great, wasn't terrible, ain't nice, can't complain",
    "it's the shit",
    "this kettle is the shit",
    "the bomb to die for, yeah right",
    "kiss of death for this bad ass kettle",
    "GREAT kettle, really GREAT",
    "EVERYTHING IS GREAT",
    "I love it!!!!! so good!!",
    "Is it good?? really???",
    "I 😀 love it 😀😀",
    "not 👍 great😡",
    "uh-uh, nope, not happy",
    "It barely works and is hardly worth it, despite the price.",
]

WORDS = [
    *NEGATE,
    *BOOSTER_DICT,
    *(w for case in SPECIAL_CASES for w in case.split()),
    "good", "bad", "great", "terrible", "love", "hate", "happy", "sad", "nice", "awful", "broke", "works",
    "no", "never", "so", "this", "without", "doubt", "least", "at", "very", "kind", "of", "but", "BUT",
    "GOOD", "BAD", "It", "the", "kettle", "lid", "!", "?", ":)", ":(", "😀", "👍", "and", "or", "nor",
    "mayn't", "shouldn't've", "NEVER", "Without",
]  # fmt: skip


def _random_texts(n: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(1, 40))]
        texts.append(" ".join(words) + rng.choice(("", ".", "!", "!!", "?", "??")))
    return texts


def test_scores_equal_the_stock_analyzer_on_demo_reviews_edge_cases_and_random_texts():
    demo = [review.text for review in build_site().reviews]
    texts = [*EDGE_CASES, *demo, *_random_texts(400)]
    assert len(demo) > 100
    stock, fast = SentimentIntensityAnalyzer(), _Vader()
    mismatches = [t for t in texts if fast.polarity_scores(t) != stock.polarity_scores(t)]
    assert mismatches == []
    # The cases reach the rewritten branches: negation flips, "never so" amplifies, idioms and emoji count.
    compound = {t: fast.polarity_scores(t)["compound"] for t in [*EDGE_CASES, "happy", "love it"]}
    assert compound["not good"] < 0 < compound["good"]
    assert compound["never so happy"] > compound["happy"] > 0
    assert compound["this kettle is the shit"] > 0 and compound["I 😀 love it 😀😀"] > compound["love it"]
