"""py3langid's `classify` over all of a page's texts at once, with the same answers to the last bit.

py3langid walks each text's UTF-8 bytes through a byte n-gram automaton in a Python loop (about 0.25 ms for a
review), then scores the features it met. The automaton is an Aho-Corasick machine whose states stand for
strings of at most `max_depth` bytes, so the state after any byte only depends on the `max_depth` bytes that
end there: every text of a page is walked in `max_depth` numpy steps over all its bytes together. The scoring
of each text is py3langid's own arithmetic, fed its features in the order its loop meets them, so the result
is bit for bit `classify`'s (tests/extract/test_langid_batch.py compares them on many texts).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np


@cache
def _tables(identifier) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The automaton as arrays (the transition table viewed, not copied) and its deepest state's depth."""
    nextmove = np.asarray(identifier.tk_nextmove)
    rowbase = np.asarray(identifier._rowbase, dtype=np.int64)
    return nextmove, rowbase, np.asarray(identifier.tk_output), _max_depth(nextmove, rowbase)


@cache
def _wide_table(identifier) -> np.ndarray:
    """The model's float16 table in float32 (about 57 MB), converted once rather than the rows a text meets
    converted for each text: the product py3langid then computes is the same, cast for cast."""
    return identifier.nb_ptc.astype(np.float32)


def _max_depth(nextmove: np.ndarray, rowbase: np.ndarray) -> int:
    """Length of the longest string a state stands for: its distance from the start state, breadth first."""
    depth = np.full(len(rowbase), -1, dtype=np.int8)
    depth[0], frontier, level = 0, np.zeros(1, dtype=np.int64), 0
    while len(frontier):
        level += 1
        for start in range(0, len(frontier), 4096):
            targets = nextmove[(rowbase[frontier[start : start + 4096], None] + np.arange(256)).ravel()]
            depth[targets[depth[targets] < 0]] = level
        frontier = np.flatnonzero(depth == level)
    return int(depth.max())


def _features(identifier, encoded: list[bytes]) -> list[np.ndarray]:
    """The feature index at each byte of each text (-1 where none), as py3langid's loop meets them."""
    nextmove, rowbase, output, max_depth = _tables(identifier)
    if _resets(identifier):
        return _padded_features(nextmove, rowbase, output, max_depth, encoded)
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8).astype(np.int64)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)  # where each byte's text begins
    positions = np.arange(len(data), dtype=np.int64)
    states = np.zeros(len(data), dtype=np.int64)
    for back in range(max_depth - 1, -1, -1):
        source = positions - back
        inside = source >= starts
        if back == 0:
            states = nextmove[rowbase[states] + data]
        else:
            states[inside] = nextmove[rowbase[states[inside]] + data[source[inside]]]
    features = output[states]
    ends = np.cumsum(lengths)
    return [features[end - length : end] for end, length in zip(ends.tolist(), lengths.tolist(), strict=True)]


_RESET = 0xFF  # a byte no UTF-8 text holds; in py3langid's model it leads every state back to the start


@cache
def _resets(identifier) -> bool:
    """Whether `_RESET` takes every state to the start state, which has no feature (see `_padded_features`)."""
    nextmove, rowbase, output, _ = _tables(identifier)
    return bool((nextmove[rowbase + _RESET] == 0).all() and output[0] < 0)


def _padded_features(nextmove, rowbase, output, max_depth: int, encoded: list[bytes]) -> list[np.ndarray]:
    """`_features` with each text behind ``max_depth - 1`` reset bytes: a window reaching back past a text's
    start then walks through resets, which is walking from the start state, so no mask is needed and each
    of the `max_depth` steps is two gathers over contiguous slices."""
    pad = max_depth - 1
    separator = bytes([_RESET]) * pad
    data = np.frombuffer(separator + separator.join(encoded), dtype=np.uint8).astype(np.int64)
    states = np.zeros(len(data) - pad, dtype=np.int64)  # the state at each byte after the first pad
    for back in range(pad, -1, -1):
        states = nextmove[rowbase[states] + data[pad - back : len(data) - back]]
    features = output[states]
    found, start = [], 0
    for data_bytes in encoded:
        found.append(features[start : start + len(data_bytes)])
        start += len(data_bytes) + pad
    return found


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
    not py3langid's exact float32 arithmetic: all texts of the page are scored in one sparse product (no
    per-text Python, no BLAS threads), and its difference from `classify`'s own float32 sum of the same n
    terms in another order is at most twice the standard summation bound, (n + 1) * 2**-24 times the sum of
    the terms' magnitudes (computed alongside). Each probability then moves by at most a factor
    exp(2 * bound), so a text is only passed over when no class could reach `bar` in `classify`.
    """
    if not texts:
        return []
    if not identifier._norm_probs or identifier.min_confidence is not None:
        return [True] * len(texts)
    from scipy import sparse  # scikit-learn's dependency; imported where first needed

    table = _wide_table(identifier)
    encoded = [identifier._encode(text) for text in texts]
    features = _features(identifier, encoded)
    owner = np.repeat(np.arange(len(texts)), [len(f) for f in features])
    flat = np.concatenate(features) if features else np.zeros(0, dtype=np.int64)
    met = flat >= 0
    # one entry per (text, feature) holding its count, as classify's Counter; sorted by text, then feature
    keys, counts = np.unique(owner[met] * len(table) + flat[met], return_counts=True)
    terms = np.bincount(keys // len(table), minlength=len(texts))
    indptr = np.concatenate(([0], np.cumsum(terms)))
    logs = np.log1p(counts.astype(np.float32))  # float32, as classify's
    weights = sparse.csr_matrix((logs, keys % len(table), indptr), shape=(len(texts), len(table)))
    prior = identifier.nb_pc.astype(np.float64)
    raw = np.asarray(weights @ table, dtype=np.float64) + prior
    magnitude = np.asarray(weights @ _row_bounds(identifier)).ravel() + np.abs(prior).max()
    lengths = np.array([len(data) for data in encoded], dtype=np.float64)
    scale = 1.0 / np.sqrt(np.maximum(lengths, 1.0))
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
