"""`make setup`'s warm-up reaches every dedup kernel: an exact duplicate, a near duplicate joined by the
union-find walk, and the missing and empty texts, which read alike."""

from gleaner.dedup.precompile import precompile


def test_the_warm_up_takes_the_exact_and_the_near_duplicate_paths():
    result = precompile()
    ids = [f"precompile-{i}" for i in range(6)]
    assert result.kept_ids == [ids[0], ids[3], ids[4]]
    assert result.cluster_of == {ids[0]: ids[0], ids[1]: ids[0], ids[2]: ids[0], ids[3]: ids[3],
                                 ids[4]: ids[4], ids[5]: ids[4]}  # fmt: skip


def test_the_background_warm_up_compiles_the_kernels_a_publish_needs_first():
    """In a fresh interpreter, where no kernel has been called: after the thread, the dedup's and the digests'
    kernels are compiled (numba's), not waiting for their first call."""
    import json
    import subprocess
    import sys

    code = (
        "import json, gleaner.jit as jit\n"
        "from gleaner.dedup.precompile import precompile_in_background\n"
        "before = sorted(jit._pending)\n"
        "thread = precompile_in_background()\n"
        "thread.join()\n"
        "print(json.dumps([before, sorted(jit._pending), thread.daemon]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after, daemon = json.loads(done.stdout.splitlines()[-1])
    wanted = {"gleaner.digests", "gleaner.dedup.shingles", "gleaner.dedup.minhash"}
    assert wanted <= set(before) and not wanted & set(after) and daemon
