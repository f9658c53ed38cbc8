"""`make setup`'s warm-up reaches every dedup kernel: an exact duplicate, a near duplicate joined by the
union-find walk, and the missing and empty texts, which read alike."""

from gleaner.dedup.precompile import precompile


def test_the_warm_up_takes_the_exact_and_the_near_duplicate_paths():
    result = precompile()
    ids = [f"precompile-{i}" for i in range(6)]
    assert result.kept_ids == [ids[0], ids[3], ids[4]]
    assert result.cluster_of == {ids[0]: ids[0], ids[1]: ids[0], ids[2]: ids[0], ids[3]: ids[3],
                                 ids[4]: ids[4], ids[5]: ids[4]}  # fmt: skip
