"""Texts with known shingle overlaps, shared by the dedup kernel's tests and the dedup assets' tests."""

from gleaner.dedup.shingles import shingles_reference


def words(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def python_jaccard(a: str, b: str) -> float:
    sa, sb = set(shingles_reference(a)), set(shingles_reference(b))
    return len(sa & sb) / len(sa | sb)


def chain() -> tuple[str, str, str]:
    """a ~ b ~ c at Jaccard >= 0.8, but a and c below it."""
    base = words("t", 200)
    edited = list(base)
    for k in (10, 20, 30, 40):
        edited[k] = f"x{k}"
    a, b = " ".join(base), " ".join(edited)
    for k in (100, 110, 120, 130):
        edited[k] = f"y{k}"
    c = " ".join(edited)
    assert python_jaccard(a, b) >= 0.8 and python_jaccard(b, c) >= 0.8 > python_jaccard(a, c)
    return a, b, c
