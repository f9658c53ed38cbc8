"""py3langid's `classify` over all of a page's texts at once, with the same answers to the last bit.

py3langid walks each text's UTF-8 bytes through a byte n-gram automaton in a Python loop (about 0.25 ms for a
review), then scores the features it met. Here the same loop is compiled (`_walk`, numba) and run over every
text of a page at once. The scoring of each text is py3langid's own arithmetic, fed its features in the
order its loop meets them, so the result is bit for bit `classify`'s (tests/extract/test_langid_batch.py
compares them on many texts). `could_reach`, the proof that a text's detection cannot override a page's
declared language, needs every class's score but not that exact arithmetic, and sums them compiled too.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from gleaner.jit import njit


@cache
def _tables(identifier) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The automaton as arrays: transitions (viewed, not copied), each state's row offset, each state's feature."""
    nextmove = np.asarray(identifier.tk_nextmove)
    rowbase = np.asarray(identifier._rowbase, dtype=np.int64)
    return nextmove, rowbase, np.asarray(identifier.tk_output, dtype=np.int64)


@cache
def _wide_table(identifier) -> np.ndarray:
    """The model's float16 table in float32 (about 57 MB), converted once rather than the rows a text meets
    converted for each text: the product py3langid then computes is the same, cast for cast."""
    return identifier.nb_ptc.astype(np.float32)


def _walk_all(identifier, encoded: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(the feature index at each byte of the texts laid end to end, -1 where none; where each text ends)."""
    nextmove, rowbase, output = _tables(identifier)
    ends = np.cumsum(np.fromiter((len(data) for data in encoded), dtype=np.int64, count=len(encoded)))
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    return _walk(data, ends, nextmove, rowbase, output), ends


def _features(identifier, encoded: list[bytes]) -> list[np.ndarray]:
    """The feature index at each byte of each text (-1 where none), as py3langid's loop meets them."""
    features, ends = _walk_all(identifier, encoded)
    return [features[end - len(data) : end] for end, data in zip(ends.tolist(), encoded, strict=True)]


_LANES = 8  # texts walked side by side in `_walk`


@njit(cache=True, nogil=True)
def _walk(data, ends, nextmove, rowbase, output):
    """py3langid's `visit_counts` loop over each text (the bytes of `data` up to its `ends`), each from the
    start state, keeping the feature met at every byte rather than counting them.

    Each step of the loop waits for the last one's state (a load from a 39 MB table), so one walk keeps one
    load in flight. The texts are dealt into `_LANES` runs of whole texts, about as long as each other,
    walked side by side: their loads overlap, which takes the walk to about a third of the time."""
    size = len(data)
    features = np.empty(size, dtype=np.int64)
    first = np.zeros(size + 1, dtype=np.bool_)  # where a text begins (or ends), and its walk restarts
    first[ends] = True
    first[0] = True
    low = np.zeros(_LANES, dtype=np.int64)
    high = np.full(_LANES, size, dtype=np.int64)
    for lane in range(_LANES - 1):  # cut after the last text that ends by lane + 1 shares of the bytes
        texts = np.searchsorted(ends, (lane + 1) * (size // _LANES), side="right")
        high[lane] = low[lane + 1] = ends[texts - 1] if texts > 0 else 0
    states = np.zeros(_LANES, dtype=np.int64)
    for step in range((high - low).max()):
        for lane in range(_LANES):
            position = low[lane] + step
            if position < high[lane]:
                state = 0 if first[position] else states[lane]
                state = nextmove[rowbase[state] + data[position]]
                states[lane] = state
                features[position] = output[state]
    return features


def _scores(identifier, features: np.ndarray, length: int) -> np.ndarray:
    """`LanguageIdentifier._decide` from the features instead of the text."""
    met = features[features >= 0]
    if len(met):
        unique, first, counts = np.unique(met, return_index=True, return_counts=True)
        order = np.argsort(first, kind="stable")  # Counter order: first met first
        visits = dict(zip(unique[order].tolist(), counts[order].tolist(), strict=True))
        scores = identifier._sparse_score(visits, _wide_table(identifier))
    else:
        scores = np.full(len(identifier.nb_classes), 0.0, dtype=np.float32)
    scores *= 1.0 / math.sqrt(length or 1)
    np.exp(scores - scores.max(), out=scores)
    scores /= scores.sum()
    for i, j in identifier._alias_pairs:
        scores[i] += scores[j]
        scores[j] = 0.0
    return scores


def classify_many(identifier, texts: list[str]) -> list[tuple[str, float]]:
    """[(language, probability)] as ``identifier.classify(text)`` would give for each text (norm_probs)."""
    if not identifier._norm_probs or identifier.min_confidence is not None:
        return [identifier.classify(text) for text in texts]
    if not texts:  # the usual case on a page that declares its language (see `could_reach`)
        return []
    encoded = [identifier._encode(text) for text in texts]
    found = []
    for features, data in zip(_features(identifier, encoded), encoded, strict=True):
        scores = _scores(identifier, features, len(data))
        best = int(scores.argmax())
        found.append((identifier.nb_classes[best], float(scores[best])))
    return found


@cache
def _row_bounds(identifier) -> np.ndarray:
    """The largest magnitude in each feature's row: what one occurrence of the feature can add to any score."""
    return np.abs(identifier.nb_ptc).max(axis=1).astype(np.float64)


def could_reach(identifier, texts: list[str], language: str, bar: float) -> list[bool]:
    """For each text, whether a language other than `language` might get probability `bar` or more from
    ``identifier.classify(text)``; False is a proof that none can, so the exact classification can be skipped.

    A page that declares its language only needs a review's own detection where it could override the
    declaration, which for the reviews of most pages it cannot. Proving that takes every class's score, but
    not py3langid's exact float32 arithmetic: `_reach_sums` scores all texts of the page in one compiled
    pass, summing float32 terms in its own order, and each of the two sums (its own and `classify`'s) is
    within the standard summation bound of the exact one, (n + 1) * 2**-24 times the sum of the terms'
    magnitudes (computed alongside). Each probability then moves by at most a factor exp(2 * bound), so a
    text is only passed over when no class could reach `bar` in `classify`. (A model whose table holds a
    zero, a subnormal or a non-finite number, which `_reach_sums` does not widen, gets no proof: True.)
    """
    if not texts:
        return []
    if not identifier._norm_probs or identifier.min_confidence is not None or not _all_normal(identifier):
        return [True] * len(texts)
    encoded = [identifier._encode(text) for text in texts]
    features, ends = _walk_all(identifier, encoded)
    lengths = np.diff(ends, prepend=0)
    half = identifier.nb_ptc.view(np.uint16)
    sums, magnitude, terms = _reach_sums(features, ends, half, _row_bounds(identifier))
    prior = identifier.nb_pc.astype(np.float64)
    raw = sums.astype(np.float64) + prior
    magnitude += np.abs(prior).max()
    scale = 1.0 / np.sqrt(np.maximum(lengths, 1).astype(np.float64))
    scores = raw * scale[:, None]
    # both sums (classify's and this one) of at most `terms` + 1 float32 terms, their weights rounded once
    # more, then classify's scaling and softmax: generous next to the margins, which are usually far wider
    unit = 2.0**-24
    error = 2.0 * ((terms + 8) * unit * magnitude * scale + 4 * unit * np.abs(scores).max(axis=1))
    probabilities = np.exp(scores - scores.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    for i, j in identifier._alias_pairs:
        probabilities[:, i] += probabilities[:, j]
        probabilities[:, j] = 0.0
    others = np.array([name != language for name in identifier.nb_classes])
    highest = probabilities[:, others].max(axis=1) * np.exp(2.0 * error) * (1.0 + 1e-4)
    # a text with no feature gets classify's uniform scores (1/142 each), not the prior's: nothing reaches `bar`
    return [bool(reach and n) for reach, n in zip(highest >= bar, terms.tolist(), strict=True)]


@cache
def _all_normal(identifier) -> bool:
    """Whether every value of the model's float16 table is a normal number (py3langid's are: log
    probabilities between -15 and -3), which `_reach_sums` widens to float32 with one shift and one add."""
    table = identifier.nb_ptc
    return table.dtype == np.float16 and bool(np.isfinite(table).all() and (np.abs(table) >= 2.0**-14).all())


@njit(cache=True, nogil=True)
def _reach_sums(features, ends, half, bounds):
    """For each text (the `features` up to its `ends`, -1 for none): the sum over its distinct features of
    float32 log1p(count) * the feature's row of the model's float16 table (`half`, its bits as uint16), in
    float32, the same sum over `bounds` (each row's largest magnitude) in float64, and the number of
    distinct features. The counts live in one array indexed by feature and are cleared after each text, so
    no text sorts or hashes its features. Each row is widened to float32 as it is met: a float32 copy of the
    table would be 57 MB more in every extraction worker."""
    texts, classes = len(ends), half.shape[1]
    sums = np.zeros((texts, classes), dtype=np.float32)
    magnitude = np.zeros(texts)
    terms = np.zeros(texts, dtype=np.int64)
    counts = np.zeros(half.shape[0], dtype=np.int64)
    met = np.empty(len(features), dtype=np.int64)
    bits = np.empty(classes, dtype=np.uint32)
    row = bits.view(np.float32)
    start = 0
    for i in range(texts):
        distinct = 0
        for position in range(start, ends[i]):
            feature = features[position]
            if feature >= 0:
                if counts[feature] == 0:
                    met[distinct] = feature
                    distinct += 1
                counts[feature] += 1
        total = sums[i]
        for k in range(distinct):
            feature = met[k]
            weight = np.float32(math.log1p(counts[feature]))  # classify's float32 log1p of the count
            counts[feature] = 0
            packed = half[feature]
            for c in range(classes):  # a normal float16 as float32: sign in place, exponent rebased by 112
                value = np.uint32(packed[c])
                bits[c] = ((value & 0x8000) << 16) | (((value & 0x7FFF) << 13) + 0x38000000)
            for c in range(classes):
                total[c] += weight * row[c]
            magnitude[i] += np.float64(weight) * bounds[feature]
        terms[i] = distinct
        start = ends[i]
    return sums, magnitude, terms
