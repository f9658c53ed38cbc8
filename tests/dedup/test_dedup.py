"""Dedup: normalization, hashing contracts, clustering rules, cross-partition flow, Parquet entry point."""

from __future__ import annotations

import random
import sys
import unicodedata

import duckdb
import numpy as np
import polars as pl
import pytest
from datasketch import MinHash
from support.dedup_texts import chain, python_jaccard, words

from gleaner.dedup import edges as edges_module
from gleaner.dedup import lsh
from gleaner.dedup import sketch as sketch_module
from gleaner.dedup.global_pass import global_dedup
from gleaner.dedup.jaccard import ShingleSets
from gleaner.dedup.kernel import PriorCandidates, band_table, content_hash, dedup, normalize_text, sketch
from gleaner.dedup.lsh import candidate_pairs, find_prior_candidates, write_band_index
from gleaner.dedup.minhash import EMPTY, band_hashes, signatures
from gleaner.dedup.parquet_file import dedup_parquet
from gleaner.dedup.shingles import seq_hash_reference, shingle_batch, shingles_reference
from gleaner.dedup.unionfind import components


def pair_with_jaccard(shared_shingles: int, shingles_each: int, tag: str) -> tuple[str, str]:
    """Two texts of distinct words whose 5-gram sets have exactly ``shared / (2 * each - shared)`` Jaccard."""
    common = words(f"{tag}c", shared_shingles + 4)
    tail = shingles_each - shared_shingles
    return " ".join(common + words(f"{tag}a", tail)), " ".join(common + words(f"{tag}b", tail))


def corpus(n: int, seed: int, copies: float = 0.3) -> tuple[list[str], list[str], list[int]]:
    """Random documents, a ``copies`` share of them near or exact copies of earlier ones; ids, texts, times.

    Without copies every document has 60-150 words, so none is a near duplicate of another by chance.
    """
    rng = random.Random(seed)
    vocab = [f"v{i}" for i in range(3000)]
    texts: list[str] = []
    for _ in range(n):
        if texts and rng.random() < copies:
            doc = rng.choice(texts).split()
            for _ in range(rng.choice((0, 1, 1, 2))):
                doc[rng.randrange(len(doc))] = rng.choice(vocab)
            text = " ".join(doc)
            texts.append(text.upper() if rng.random() < 0.2 else text)
        else:
            length = rng.randint(1, 3) if copies and rng.random() < 0.05 else rng.randint(60, 150)
            texts.append(" ".join(rng.choice(vocab) for _ in range(length)))
    ids = [f"id{rng.randrange(10**9):09d}-{i}" for i in range(n)]
    return ids, texts, [rng.randrange(1000) for _ in range(n)]


def assert_same_result(a, b) -> None:
    assert a.kept_ids == b.kept_ids
    assert a.removals.equals(b.removals)
    assert a.cluster_of == b.cluster_of
    assert a.bands.equals(b.bands)
    assert (a.exact_removed, a.near_removed, a.stale_prior_ids) == (
        b.exact_removed,
        b.near_removed,
        b.stale_prior_ids,
    )


# --- normalization and hashing contracts -------------------------------------------------------------------


def test_normalize_text_folds_case_width_and_whitespace():
    assert normalize_text("  Hello\t\tWORLD \n") == "hello world"
    # Full-width letters and an ideographic space (NFKC), then a ligature.
    assert normalize_text("Ｈｅｌｌｏ\u3000Ｗｏｒｌｄ") == "hello world"
    assert normalize_text("Straße") == normalize_text("STRASSE") == "strasse"  # case folding, not lower()
    assert normalize_text("ﬁne") == "fine"
    assert normalize_text(None) == normalize_text("") == normalize_text(" \n ") == ""
    assert content_hash("Hello  World") == content_hash("hello world") != content_hash("hello world!")


def test_batch_whitespace_table_matches_str_split():
    """Every code point str.split() breaks on must break the batch tokenizer too, and no other."""
    splitting = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    texts = [f"a{ch}b" for ch in sorted(splitting)] + ["a\u200bb", "a\x00b", "a\x07b", "a\u00a8b"]
    batch = shingle_batch(texts)
    for i, text in enumerate(texts):
        assert int(batch.text_keys[i]) == seq_hash_reference(normalize_text(text)), repr(text)


def test_batch_shingles_equal_reference_on_random_unicode():
    rng = random.Random(3)
    alphabet = list("aBc ÉéSsß\t\n\r\x0b\x1cﬁＡ１\u00a0\u2028\u3000\u0301Σς.,") + ["Ǆ", "  ", "İ"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(2000)]
    texts += [None, "", "one", "one two three four", "one two three four five", "x " * 300]
    texts += ["a" * 1000, "b" * 17 + " short " + "c" * 9, "12345678 123456789 1234567890123456 " * 3]
    batch = shingle_batch(texts)
    for i, text in enumerate(texts):
        expected = [seq_hash_reference(s) for s in shingles_reference(text)]
        assert batch.shingles[batch.offsets[i] : batch.offsets[i + 1]].tolist() == expected, repr(text)
        assert int(batch.text_keys[i]) == seq_hash_reference(normalize_text(text)), repr(text)


def test_stored_hashes_do_not_drift():
    """The band hashes live in the warehouse index: any change here silently breaks cross-partition dedup
    until every index file is rebuilt, so these values may only change together with such a rebuild."""
    batch = shingle_batch(["The quick brown fox jumps over the lazy dog"])
    assert int(batch.text_keys[0]) == 0xB19E7BBB703716F8
    assert [int(h) for h in batch.shingles[:2]] == [0x8342D941214D4D7F, 0x7C060A5BF679831B]
    sigs = signatures(batch.shingles, batch.offsets)
    assert sigs[0, :4].tolist() == [2690964764, 137232333, 693496829, 1686507605]
    assert [int(h) for h in band_hashes(sigs)[0, :3]] == [
        0xEB348C11CDEE6EE2,
        0xFF841E58797F9CD1,
        0x90AAF6CEA52FED97,
    ]


def test_short_texts_are_one_shingle_and_empty_text_none():
    assert shingles_reference("Buy NOW") == ["buy now"]
    assert shingles_reference("a b c d e f") == ["a b c d e", "b c d e f"]
    assert shingles_reference("   ") == []


def test_signatures_equal_datasketch_minhash_with_the_same_input_hash():
    texts = [" ".join(words("t", k)) for k in (1, 3, 5, 40, 700)] + ["The quick brown fox jumps over it", ""]
    batch = shingle_batch(texts)
    sigs = signatures(batch.shingles, batch.offsets)
    for i, text in enumerate(texts):
        reference = MinHash(num_perm=128, seed=1, hashfunc=lambda s: seq_hash_reference(s.decode()) >> 32)
        for shingle in shingles_reference(text):
            reference.update(shingle.encode())
        assert np.array_equal(sigs[i], reference.hashvalues), text
    assert (sigs[-1] == EMPTY).all()


def test_band_hashes_agree_exactly_when_the_band_rows_agree():
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 2**32, (3, 128), dtype=np.uint64).astype(np.uint32)
    sigs[1] = sigs[0]
    sigs[1, 8:16] += 1  # band 1 differs
    sigs[2, 0:8] = sigs[0, 0:8]  # only band 0 shared
    bands = band_hashes(sigs)
    assert bands.shape == (3, 16) and bands.dtype == np.uint64
    assert (bands[0] == bands[1]).tolist() == [b != 1 for b in range(16)]
    assert (bands[0] == bands[2]).tolist() == [b == 0 for b in range(16)]


def test_candidate_pairs_equal_brute_force():
    rng = np.random.default_rng(1)
    bands = rng.integers(0, 6, (300, 16)).astype(np.uint64)  # many collisions, some buckets over the cap
    bands[:, :4] = rng.integers(0, 10**6, (300, 4)).astype(np.uint64)
    bands[:40, 4] = 7
    left, right, big = candidate_pairs(bands)
    small = set(zip(left.tolist(), right.tolist(), strict=True))
    expected = set()
    for b in range(16):
        for value in np.unique(bands[:, b]):
            members = np.flatnonzero(bands[:, b] == value)
            if len(members) > lsh.MAX_BUCKET:
                assert any(np.array_equal(members, m) for m in big)
            else:
                expected |= {(int(x), int(y)) for x in members for y in members if x < y}
    assert small == expected
    assert list(zip(left, right, strict=True)) == sorted(small)


def test_shingle_sets_jaccard_equals_python_sets():
    rng = np.random.default_rng(2)
    lists = [rng.integers(0, 40, rng.integers(0, 300)).astype(np.uint64) for _ in range(60)]
    lists.append(np.array([2**64 - 1, 5], dtype=np.uint64))  # the largest 64-bit value is a hash like any other
    parts = []
    for chunk in (lists[:20], lists[20:21], lists[21:]):  # sets arrive in parts, as from the batches
        offsets = np.concatenate([[0], np.cumsum([len(x) for x in chunk])]).astype(np.int64)
        parts.append((np.concatenate(chunk), offsets))
    sets = ShingleSets(parts)
    assert parts == []
    left, right = rng.integers(0, len(lists), 500), rng.integers(0, len(lists), 500)
    got = sets.jaccard(left, right)
    for k, (a, b) in enumerate(zip(left, right, strict=True)):
        sa, sb = set(lists[a].tolist()), set(lists[b].tolist())
        assert got[k] == pytest.approx(len(sa & sb) / len(sa | sb) if sa | sb else 1.0), (a, b)


def test_shingle_sets_hold_each_set_sorted_without_repeats_and_count_pairs_over_threads(monkeypatch):
    """The sets' lists (what MinHash estimates and the pivot walk read) are the distinct hashes, ascending;
    pairs and documents split over two threads give what one thread gives."""
    import gleaner.dedup.jaccard as jaccard
    import gleaner.parallel as parallel

    rng = np.random.default_rng(5)
    lists = [rng.integers(0, 30, rng.integers(0, 60)).astype(np.uint64) for _ in range(40)]
    offsets = np.concatenate([[0], np.cumsum([len(x) for x in lists])]).astype(np.int64)
    left, right = rng.integers(0, len(lists), 300), rng.integers(0, len(lists), 300)
    alone = ShingleSets([(np.concatenate(lists), offsets)])
    monkeypatch.setattr(jaccard, "_PARALLEL_FROM", 7)
    monkeypatch.setattr(parallel, "default_workers", lambda: 2)
    shared = ShingleSets([(np.concatenate(lists), offsets)])
    values, starts = shared.lists(np.arange(len(lists)))
    assert [values[starts[k] : starts[k + 1]].tolist() for k in range(len(lists))] == [
        sorted(set(x.tolist())) for x in lists
    ]
    assert np.array_equal(shared.jaccard(left, right), alone.jaccard(left, right))


def test_pairs_reaching_a_threshold_are_those_whose_jaccard_does_the_size_bound_included():
    """A pair whose size bound equals the threshold exactly (a 4-set inside a 5-set: 0.8) still reaches it."""
    rng = np.random.default_rng(9)
    lists = [rng.integers(0, 12, rng.integers(0, 15)).astype(np.uint64) for _ in range(80)]
    lists += [np.arange(4, dtype=np.uint64), np.arange(5, dtype=np.uint64)]
    offsets = np.concatenate([[0], np.cumsum([len(x) for x in lists])]).astype(np.int64)
    sets = ShingleSets([(np.concatenate(lists), offsets)])
    left = np.concatenate([rng.integers(0, 80, 2000), [80]])
    right = np.concatenate([rng.integers(0, 80, 2000), [81]])
    for threshold in (0.5, 0.8, 1.0):
        expected = np.flatnonzero(sets.jaccard(left, right) >= threshold)
        assert np.array_equal(sets.reaching(left, right, threshold), expected)
    assert len(lists) - 1 in right[sets.reaching(left, right, 0.8)]


def test_components_label_by_smallest_member():
    rng = np.random.default_rng(4)
    n = 500
    left, right = rng.integers(0, n, 300), rng.integers(0, n, 300)
    labels = components(n, left, right)
    adjacency: dict[int, set[int]] = {i: set() for i in range(n)}
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        adjacency[a].add(b)
        adjacency[b].add(a)
    for start in range(n):
        seen, stack = {start}, [start]
        while stack:
            for nxt in adjacency[stack.pop()] - seen:
                seen.add(nxt)
                stack.append(nxt)
        assert labels[start] == min(seen)


# --- clustering rules ----------------------------------------------------------------------------------


def test_threshold_is_applied_to_exact_jaccard():
    above = pair_with_jaccard(162, 181, "p")  # 162 / 200 = 0.81
    below = pair_with_jaccard(78, 89, "q")  # 78 / 100 = 0.78
    assert python_jaccard(*above) == pytest.approx(0.81)
    assert python_jaccard(*below) == pytest.approx(0.78)
    ids = ["a1", "a2", "b1", "b2"]
    result = dedup(ids, [*above, *below], threshold=0.8)
    assert result.kept_ids == ["a1", "b1", "b2"]
    row = result.removals.row(0, named=True)
    assert (row["removed_id"], row["kept_id"], row["kind"]) == ("a2", "a1", "near")
    assert row["jaccard"] == pytest.approx(0.81, abs=1e-12)
    assert 0.6 < row["est_jaccard"] < 1.0
    assert dedup(ids, [*above, *below], threshold=0.78).kept_ids == ["a1", "b1"]
    assert dedup(ids, [*above, *below], threshold=0.811).kept_ids == ids


def test_exact_duplicates_across_case_whitespace_and_nfkc():
    body = " ".join(words("e", 30))
    texts = [
        body,
        body.upper(),
        "  " + body.replace(" ", "\n\t "),
        unicodedata.normalize("NFKD", body).replace("e", "ｅ"),
    ]
    result = dedup(["x1", "x2", "x3", "x4"], texts)
    assert result.kept_ids == ["x1"]
    assert result.removals["kind"].to_list() == ["exact"] * 3
    assert result.removals["jaccard"].to_list() == [1.0] * 3
    assert result.exact_removed == 3 and result.near_removed == 0


def test_survivor_is_earliest_time_then_id_and_missing_times_last():
    text = " ".join(words("s", 20))
    result = dedup(["c", "b", "a", "d"], [text] * 4, times=[5, 3, 4, None])
    assert result.kept_ids == ["b"]
    assert set(result.cluster_of.values()) == {"b"}
    assert dedup(["c", "b", "a"], [text] * 3, times=[1, 1, 2]).kept_ids == ["b"]  # a tie goes to the id
    assert dedup(["c", "b", "a"], [text] * 3).kept_ids == ["a"]
    assert dedup(["c", "b"], [text] * 2, times=[None, None]).kept_ids == ["b"]


def test_chain_removes_only_what_is_verified_against_a_kept_record():
    a, b, c = chain()
    result = dedup(["a", "b", "c"], [a, b, c], times=[1, 2, 3])
    assert result.kept_ids == ["a", "c"]  # c is below the threshold to a, the only record left for it
    assert result.cluster_of == {"a": "a", "b": "a", "c": "a"}  # one cluster: one split
    assert result.removals.select("removed_id", "kept_id").rows() == [("b", "a")]
    assert result.removals["jaccard"][0] == pytest.approx(python_jaccard(a, b))

    # With b first, b stays and both neighbours go in its favour.
    result = dedup(["a", "b", "c"], [a, b, c], times=[2, 1, 3])
    assert result.kept_ids == ["b"]
    removed = {r["removed_id"]: (r["kept_id"], r["jaccard"]) for r in result.removals.iter_rows(named=True)}
    assert removed == {
        "a": ("b", pytest.approx(python_jaccard(a, b))),
        "c": ("b", pytest.approx(python_jaccard(b, c))),
    }

    # An exact copy of a removed record goes in favour of the same kept record, as a near duplicate.
    result = dedup(["a", "b", "b2", "c"], [a, b, b.upper(), c], times=[1, 2, 3, 4])
    assert result.kept_ids == ["a", "c"]
    assert result.removals.select("removed_id", "kept_id", "kind").rows() == [
        ("b", "a", "near"),
        ("b2", "a", "near"),
    ]
    assert result.removals["jaccard"][1] == pytest.approx(python_jaccard(a, b))


def test_short_and_empty_texts():
    texts = ["Buy now", "BUY  NOW", "buy later", "", None, "   "]
    result = dedup(["s1", "s2", "s3", "e1", "e2", "e3"], texts)
    assert result.kept_ids == ["e1", "s1", "s3"]
    assert result.cluster_of == {"s1": "s1", "s2": "s1", "s3": "s3", "e1": "e1", "e2": "e1", "e3": "e1"}
    assert set(result.removals["kind"]) == {"exact"}


def test_empty_and_single_record_inputs():
    empty = dedup([], [])
    assert empty.kept_ids == [] and empty.removals.height == 0 and empty.bands.height == 0
    assert empty.cluster_of == {}
    one = dedup(["only"], ["just one record here"])
    assert one.kept_ids == ["only"] and one.removals.height == 0
    assert one.bands.shape == (1, 17) and one.bands["record_id"].to_list() == ["only"]


def test_duplicate_ids_are_rejected():
    with pytest.raises(ValueError, match="unique"):
        dedup(["a", "a"], ["x", "y"])


def test_big_buckets_cluster_like_all_pairs(monkeypatch):
    """A family larger than MAX_BUCKET goes through pivot rounds; the clusters must not change."""
    rng = random.Random(5)
    base = words("big", 120)
    texts = []
    for _ in range(150):
        doc = list(base)
        doc[rng.randrange(100, 120)] = f"edit{rng.randrange(10**6)}"
        texts.append(" ".join(doc))
    ids, others, times = corpus(200, 6)
    ids = [f"f{i:03d}" for i in range(150)] + ids
    texts, times = texts + others, [rng.randrange(1000) for _ in range(150)] + times
    assert any(len(bucket) > lsh.MAX_BUCKET for bucket in candidate_pairs(sketch(texts).bands)[2])
    pivots = dedup(ids, texts, times)
    assert len(set(pivots.cluster_of[i] for i in ids[:150])) == 1
    monkeypatch.setattr(lsh, "MAX_BUCKET", 10**6)
    assert_same_result(pivots, dedup(ids, texts, times))


# --- determinism --------------------------------------------------------------------------------------


def test_row_order_does_not_matter_and_runs_repeat():
    ids, texts, times = corpus(600, 7)
    first = dedup(ids, texts, times)
    assert first.near_removed > 20 and first.exact_removed > 5
    assert first.kept_ids == sorted(first.kept_ids)
    assert first.removals["removed_id"].to_list() == sorted(first.removals["removed_id"].to_list())
    order = list(range(len(ids)))
    random.Random(8).shuffle(order)
    shuffled = dedup([ids[i] for i in order], [texts[i] for i in order], [times[i] for i in order])
    assert_same_result(first, shuffled)
    assert_same_result(first, dedup(ids, texts, times))


def test_every_removal_is_verified_against_a_kept_record_and_kept_records_are_apart():
    ids, texts, times = corpus(300, 21)
    result = dedup(ids, texts, times)
    text_of = dict(zip(ids, texts, strict=True))
    kept = set(result.kept_ids)
    assert result.near_removed > 10
    for row in result.removals.iter_rows(named=True):
        assert row["kept_id"] in kept
        assert python_jaccard(text_of[row["removed_id"]], text_of[row["kept_id"]]) == pytest.approx(row["jaccard"])
        assert row["jaccard"] >= 0.8
    # No two kept records are duplicates (brute force over all pairs), so dedup of the output removes nothing.
    sets = {i: set(shingles_reference(text_of[i])) for i in kept}
    ordered = sorted(kept)
    for k, a in enumerate(ordered):
        for b in ordered[k + 1 :]:
            assert len(sets[a] & sets[b]) < 0.8 * len(sets[a] | sets[b]), (a, b)
    assert dedup(ordered, [text_of[i] for i in ordered]).removals.height == 0


def test_verifying_in_chunks_changes_nothing(monkeypatch):
    ids, texts, times = corpus(500, 22)
    whole = dedup(ids, texts, times)
    monkeypatch.setattr(edges_module, "VERIFY_CHUNK", 7)
    assert_same_result(whole, dedup(ids, texts, times))


def test_large_input_path_recomputing_candidates_gives_the_same_result(monkeypatch):
    """Above RETAIN_SHINGLES_CHARS the candidates are re-hashed instead of kept; the answer must not move."""
    ids, texts, times = corpus(500, 9)
    kept = dedup(ids, texts, times)
    monkeypatch.setattr(sketch_module, "RETAIN_SHINGLES_CHARS", 0)
    assert_same_result(kept, dedup(ids, texts, times))
    assert_same_result(kept, dedup(ids, texts, times, sketches=sketch(texts)))
    with pytest.raises(ValueError, match="sketches"):
        dedup(ids[:-1], texts[:-1], times[:-1], sketches=sketch(texts))


# --- across partitions ----------------------------------------------------------------------------------


def _append_index(result, path) -> None:
    write_band_index(result.bands, path)


def _prior(con, index_glob, ids, sketches, table: dict[str, tuple[str, int]]) -> PriorCandidates:
    """What the pipeline does before dedup: join the new bands against the index, load the matches."""
    found = find_prior_candidates(con, index_glob, band_table(ids, sketches.bands))
    return PriorCandidates(found, [table[i][0] for i in found], [table[i][1] for i in found])


def two_partitions(copies: float):
    """Partition A and a later partition B, which holds edited and exact copies of 60 A records."""
    ids_a, texts_a, _ = corpus(300, 11, copies)
    times_a = list(range(300))
    rng = random.Random(12)
    ids_b, texts_b, times_b = [], [], []
    for k, i in enumerate(rng.sample(range(300), 60)):
        doc = texts_a[i].split()
        if len(doc) > 30 and k % 2:
            doc[-1] = "changed"
        ids_b.append(f"b{k:03d}")
        texts_b.append(" ".join(doc).title())
        times_b.append(1000 + k)
    extra_ids, extra_texts, _ = corpus(100, 13, copies)
    ids_b += ["new" + i for i in extra_ids]
    texts_b += extra_texts
    times_b += [2000 + k for k in range(100)]
    return (ids_a, texts_a, times_a), (ids_b, texts_b, times_b)


def test_cross_partition_join_equals_dedup_against_every_kept_record(tmp_path):
    (ids_a, texts_a, times_a), (ids_b, texts_b, times_b) = two_partitions(copies=0.3)
    result_a = dedup(ids_a, texts_a, times_a)
    index_dir = tmp_path / "dedup_index"
    index_dir.mkdir()
    _append_index(result_a, index_dir / "part-a.parquet")
    kept_a = {i: (texts_a[k], times_a[k]) for k, i in enumerate(ids_a) if i in set(result_a.kept_ids)}

    con = duckdb.connect()
    sketches_b = sketch(texts_b)
    prior = _prior(con, str(index_dir / "*.parquet"), ids_b, sketches_b, kept_a)
    assert 0 < len(prior.ids) < len(kept_a)  # a join, not a load of every earlier record
    result_b = dedup(ids_b, texts_b, times_b, prior=prior, sketches=sketches_b)
    as_columns = dedup(pl.Series(ids_b), pl.Series(texts_b), pl.Series(times_b), prior=prior)
    assert_same_result(result_b, as_columns)  # e.g. straight from Parquet

    everything = dedup(
        list(kept_a) + ids_b,
        [t for t, _ in kept_a.values()] + texts_b,
        [t for _, t in kept_a.values()] + times_b,
    )
    assert result_b.kept_ids == [i for i in everything.kept_ids if i in set(ids_b)]
    assert result_b.cluster_of == {i: everything.cluster_of[i] for i in ids_b}
    assert result_b.stale_prior_ids == []
    copies_removed = [r for r in result_b.removals.iter_rows(named=True) if r["removed_id"].startswith("b")]
    assert len(copies_removed) > 40
    assert all(r["kept_id"] in set(prior.ids) for r in copies_removed)
    assert set(result_b.bands["record_id"]) == set(result_b.kept_ids)


def test_out_of_order_partitions_settle_to_the_union_after_a_global_pass(tmp_path):
    (ids_a, texts_a, times_a), (ids_b, texts_b, times_b) = two_partitions(copies=0.0)
    table = {i: (t, tm) for i, t, tm in zip(ids_a + ids_b, texts_a + texts_b, times_a + times_b, strict=True)}
    index_dir = tmp_path / "dedup_index"
    index_dir.mkdir()
    con = duckdb.connect()

    # B (the later partition) arrives first, then A, whose records are earlier than B's copies of them.
    result_b = dedup(ids_b, texts_b, times_b)
    _append_index(result_b, index_dir / "part-b.parquet")
    kept_b = {i: table[i] for i in result_b.kept_ids}
    prior = _prior(con, str(index_dir / "*.parquet"), ids_a, sketch(texts_a), kept_b)
    result_a = dedup(ids_a, texts_a, times_a, prior=prior)
    assert len(result_a.stale_prior_ids) > 40  # B's copies, which A's originals now supersede
    assert all(i.startswith("b") for i in result_a.stale_prior_ids)
    assert result_a.kept_ids == sorted(ids_a)

    kept = sorted(set(result_a.kept_ids) | set(result_b.kept_ids))
    global_pass = dedup(kept, [table[i][0] for i in kept], [table[i][1] for i in kept])
    union = dedup(ids_a + ids_b, texts_a + texts_b, times_a + times_b)
    assert global_pass.kept_ids == union.kept_ids
    assert sorted(result_a.stale_prior_ids) == sorted(set(kept) - set(global_pass.kept_ids))


def test_rerunning_a_partition_ignores_its_own_index_rows(tmp_path):
    ids, texts, times = corpus(200, 14)
    first = dedup(ids, texts, times)
    path = tmp_path / "index.parquet"
    _append_index(first, path)
    table = {i: (t, tm) for i, t, tm in zip(ids, texts, times, strict=True)}
    prior = _prior(duckdb.connect(), str(path), ids, sketch(texts), {i: table[i] for i in first.kept_ids})
    assert len(prior.ids) == len(first.kept_ids)
    assert_same_result(first, dedup(ids, texts, times, prior=prior))


def test_prior_candidates_from_a_warehouse_table():
    ids, texts, times = corpus(100, 17, copies=0.0)
    con = duckdb.connect()
    first = dedup(ids[:50], texts[:50], times[:50])
    index_rows = first.bands.to_dict(as_series=False)
    columns = ", ".join(f"band_{b} BIGINT" for b in range(16))
    con.execute(f"CREATE TABLE dedup_index (record_id VARCHAR, {columns})")
    con.executemany(f"INSERT INTO dedup_index VALUES (?{', ?' * 16})", list(zip(*index_rows.values(), strict=True)))
    copy = texts[3].upper()
    found = find_prior_candidates(con, "dedup_index", band_table(["z"], sketch([copy]).bands))
    assert found == [ids[3]]
    relation = con.sql("SELECT * FROM dedup_index")
    assert find_prior_candidates(con, relation, band_table(["z"], sketch([copy]).bands)) == [ids[3]]


def test_band_index_is_compact_and_typed(tmp_path):
    ids, texts, times = corpus(2000, 15)
    result = dedup(ids, texts, times)
    size = write_band_index(result.bands, tmp_path / "index.parquet")
    assert size / len(result.kept_ids) < 200
    schema = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{tmp_path / 'index.parquet'}')").fetchall()
    assert [(name, kind) for name, kind, *_ in schema] == [("record_id", "VARCHAR")] + [
        (f"band_{b}", "BIGINT") for b in range(16)
    ]
    assert np.array_equal(result.bands.select(pl.exclude("record_id")).to_numpy().view(np.uint64), result.kept_bands)


def test_global_pass_over_every_record_settles_stale_partitions():
    a, b, c = chain()
    frame = pl.DataFrame(
        {
            "record_id": ["a", "b", "c", "x"],
            "text": [a, b, c, "unrelated words here"],
            "scraped_at": [1, 2, 3, 4],
            "cluster_id": ["a", "b", "b", "x"],
        }
    )
    # As if b's partition ran before a's: it kept b and x and removed c for b; a's partition then kept a.
    deduped = frame.filter(pl.col("record_id").is_in(["a", "b", "x"]))
    settled = global_dedup(deduped, 0.8, frame)
    assert settled.kept_ids == ["a", "c", "x"]
    assert settled.survivors["record_id"].to_list() == ["a", "x"]
    assert settled.survivors["cluster_id"].to_list() == ["a", "x"]
    assert (settled.removed, settled.reinstated_ids) == (1, ["c"])
    # Over the per-partition survivors alone, c cannot come back: that result depends on the order.
    assert global_dedup(deduped, 0.8).kept_ids == ["a", "x"]
    # A record seen in two partitions (same id) counts once, with its first sighting.
    again = deduped.filter(pl.col("record_id") == "x").with_columns(scraped_at=pl.lit(9, pl.Int64))
    twice = pl.concat([deduped, again])
    once = global_dedup(twice, 0.8, pl.concat([frame, twice.tail(1)]))
    survivors, removed = once.survivors, once.removed
    assert survivors["record_id"].to_list() == ["a", "x"] and survivors["scraped_at"].to_list() == [1, 4]
    assert removed == 2


# --- Parquet entry point ------------------------------------------------------------------------------


def test_dedup_parquet_round_trip(tmp_path):
    ids, texts, times = corpus(400, 16)
    frame = pl.DataFrame({"url": ids, "body": texts, "fetched": times, "extra": list(range(400))})
    source = tmp_path / "in.parquet"
    frame.sample(fraction=1.0, shuffle=True, seed=1).write_parquet(source)
    summary = dedup_parquet(source, tmp_path / "out", id_col="url", text_col="body", time_col="fetched")

    expected = dedup(ids, texts, times)
    kept = pl.read_parquet(summary.kept_path)
    near = pl.read_parquet(summary.near_duplicates_path)
    assert kept.columns == ["url", "body", "fetched", "extra", "cluster_id"]
    assert kept["url"].to_list() == expected.kept_ids
    assert kept["cluster_id"].to_list() == [expected.cluster_of[i] for i in expected.kept_ids]
    assert kept.drop("cluster_id").equals(frame.filter(pl.col("url").is_in(expected.kept_ids)).sort("url"))
    assert near.columns == ["removed_id", "kept_id", "jaccard", "kind", "est_jaccard"]
    assert near.equals(expected.removals.select(near.columns))
    assert (summary.input_rows, summary.kept_rows) == (400, len(expected.kept_ids))
    assert summary.exact_removed + summary.near_removed == near.height

    again = dedup_parquet(summary.kept_path, tmp_path / "again", id_col="url", text_col="body", time_col="fetched")
    assert again.kept_rows == summary.kept_rows and again.exact_removed == again.near_removed == 0


def test_dedup_parquet_names_a_missing_column(tmp_path):
    source = tmp_path / "in.parquet"
    pl.DataFrame({"id": ["a"], "text": ["x"]}).write_parquet(source)
    with pytest.raises(ValueError, match="body"):
        dedup_parquet(source, tmp_path / "out", id_col="id", text_col="body")


def test_the_dedup_command_writes_both_files_and_refuses_repeated_ids_with_a_clear_message(tmp_path, capsys):
    from dagster_project.cli import main

    text = "the blender is loud but it crushes ice in seconds every single time"
    source = tmp_path / "in.parquet"
    pl.DataFrame(
        {"id": ["a", "b", "c"], "text": [text, text.upper(), "a different review entirely here"]}
    ).write_parquet(source)
    assert main(["dedup", str(source), str(tmp_path / "out"), "--id-col", "id", "--text-col", "text"]) == 0
    assert pl.read_parquet(tmp_path / "out" / "kept.parquet")["id"].to_list() == ["a", "c"]
    near = pl.read_parquet(tmp_path / "out" / "near_duplicates.parquet")
    assert near.select("removed_id", "kept_id", "jaccard").rows() == [("b", "a", 1.0)]
    assert '"kept_rows": 2' in capsys.readouterr().out

    pl.DataFrame({"id": ["a", "a", "b"], "text": ["x y z", "p q r", "s t u"]}).write_parquet(source)
    assert main(["dedup", str(source), str(tmp_path / "again"), "--id-col", "id", "--text-col", "text"]) == 2
    assert "id column 'id' repeats 1 value(s), e.g. ['a']" in capsys.readouterr().err
    assert not (tmp_path / "again" / "kept.parquet").exists()


def test_warehouse_kept_elsewhere_reads_other_partitions_rows_whole(tmp_path):
    """What other partitions kept, by id, as `KEPT_SCHEMA` rows: the partition's own files never count, an
    id kept twice elsewhere is two rows, null text and UTC times come through, and no match is an empty frame."""
    from datetime import UTC, datetime

    from gleaner.dedup.partition import KEPT_SCHEMA
    from gleaner.dedup.warehouse_index import WarehouseKeptRecords
    from gleaner.storage.warehouse import write_frame

    def kept(day: str, rows: list[tuple[str, str | None, int]]) -> dict[str, str]:
        partition = {"source": "shop", "date": day}
        frame = pl.DataFrame(
            [(r, t, datetime(2026, 11, h, 6, tzinfo=UTC)) for r, t, h in rows], schema=KEPT_SCHEMA, orient="row"
        )
        write_frame(tmp_path, "reviews/deduped_records", frame, partition)
        return partition

    here = kept("2026-11-03", [("a", "mine", 3), ("b", "mine too", 3)])
    kept("2026-11-01", [("a", "first sighting", 1), ("c", None, 1)])
    kept("2026-11-02", [("a", "second sighting", 2), ("d", "other", 2)])
    index = WarehouseKeptRecords(tmp_path, here, "reviews")
    found = index.kept_elsewhere(["a", "b", "c", "zz"])
    assert found.schema == pl.Schema(KEPT_SCHEMA)
    assert found.rows() == [
        ("a", "first sighting", datetime(2026, 11, 1, 6, tzinfo=UTC)),
        ("a", "second sighting", datetime(2026, 11, 2, 6, tzinfo=UTC)),
        ("c", None, datetime(2026, 11, 1, 6, tzinfo=UTC)),
    ]
    nothing = index.kept_elsewhere(["zz"])
    assert nothing.is_empty() and nothing.schema == pl.Schema(KEPT_SCHEMA)


def test_prior_candidates_are_every_indexed_id_sharing_a_band_hash_in_that_band(tmp_path):
    """`find_prior_candidates` against a Python reference on colliding hashes: an id sharing one band, many
    bands or a hash only in another band (no match), an id in two index files (a re-run partition), the
    same hash in two bands of the new rows; distinct ids, sorted."""
    import random

    from gleaner.dedup.lsh import BAND_COLUMNS, INDEX_SCHEMA

    rng = random.Random(23)

    def rows(prefix: str, n: int) -> pl.DataFrame:
        return pl.DataFrame(
            {"record_id": [f"{prefix}{i:03d}" for i in range(n)]}
            | {c: [rng.randint(-40, 40) * 7919 for _ in range(n)] for c in BAND_COLUMNS},
            schema=INDEX_SCHEMA,
        )

    first, second = rows("a", 150), rows("b", 150)
    second = pl.concat([second, first.slice(10, 5)])  # a partition re-run: the same ids in two files
    write_band_index(first, tmp_path / "one.parquet")
    write_band_index(second, tmp_path / "two.parquet")
    new = rows("n", 3)
    index = pl.concat([first, second])
    expected = sorted(
        {
            record_id
            for record_id, *hashes in index.iter_rows()
            if any(h == new[c][k] for c, h in zip(BAND_COLUMNS, hashes, strict=True) for k in range(3))
        }
    )
    found = find_prior_candidates(duckdb.connect(), str(tmp_path / "*.parquet"), new)
    assert found == expected
    assert 0 < len(found) < index["record_id"].n_unique()
