"""The global dedup pass on Spark (pyspark local mode) against the local one, on the same partitions.

A warehouse-shaped folder of canonical_records Parquet (two sources x three days) holds exact copies, near
copies, a chain, re-scrapes of one review on several days, a templated family past LSH's bucket limit,
records without a time, empty and non-ASCII texts. Spark must give the local kernels' hashes bit for bit
and the local pass's kept set, clusters and survivors byte for byte; the last test goes through Dagster
Pipes as `labeled_dataset` does with `global_dedup_engine: spark`.
"""

import hashlib
import io
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from gleaner.dedup import global_dedup, local_settle
from gleaner.dedup.lsh import MAX_BUCKET
from gleaner.dedup.minhash import signatures
from gleaner.dedup.shingles import shingle_batch
from gleaner.dedup.sketch import sketch

pytestmark = pytest.mark.spark

WORDS = [f"w{n}" for n in range(400)] + ["Straße", "ｆｕｌｌ", "naïve", "café"]
START = datetime(2026, 11, 1, tzinfo=UTC)


def _text(rng: random.Random, words: int = 40) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _mutate(rng: random.Random, text: str, changes: int) -> str:
    words = text.split()
    for _ in range(changes):
        words[rng.randrange(len(words))] = rng.choice(WORDS)
    return " ".join(words)


def corpus() -> pl.DataFrame:
    rng = random.Random(18)
    rows: list[tuple[str, str | None, datetime | None]] = []

    def add(text, minutes):
        rows.append((f"r{len(rows):05d}", text, None if minutes is None else START + timedelta(minutes=minutes)))

    for _ in range(300):  # unrelated reviews
        add(_text(rng, 80), rng.randrange(9000))
    for base in range(40):  # exact copies (one in capitals: equal once normalized) and near copies
        original = rows[base][1]
        add(original, rng.randrange(9000))
        add(_mutate(rng, original, 1), rng.choice([None, rng.randrange(9000)]))
        add(original.upper(), rng.randrange(9000))
    chain = _text(rng, 200)
    for step in range(5):  # A~B~C...: neighbours near (Jaccard ~0.85), the ends apart
        chain = _mutate(rng, chain, 3)
        add(chain, 100 * step)
    template = _text(rng, 200)
    for _ in range(MAX_BUCKET + 20):  # one templated family: an over-full bucket, verified by pivots
        add(_mutate(rng, template, 1), rng.randrange(9000))
    for text in ["", "", None, "short one", "short one", "ｆｕｌｌ width Straße"]:
        add(text, rng.choice([None, 5]))
    schema = {"record_id": pl.String, "text": pl.String, "scraped_at": pl.Datetime("us", "UTC")}
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    sources = ["acme", "globex"]
    days = ["2026-11-18", "2026-11-19", "2026-11-20"]
    frame = frame.with_columns(
        source=pl.Series([sources[i % 2] for i in range(frame.height)]),
        partition_date=pl.Series([days[i % 3] for i in range(frame.height)]),
        rating=pl.Series([i % 5 + 1 for i in range(frame.height)]),
    )
    rescrapes = frame.head(25).with_columns(  # the same reviews sighted again two days later
        pl.col("scraped_at") + timedelta(days=2), partition_date=pl.lit("2026-11-20")
    )
    return pl.concat([frame, rescrapes])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """A dataset's canonical_records as the warehouse lays it out (`<dataset>/canonical_records/source=../
    date=..`), plus a deduped_records missing some rows."""
    root = tmp_path_factory.mktemp("warehouse")
    canonical = corpus()
    table = root / "review_sentiment" / "canonical_records"
    for (source, day), part in canonical.group_by(["source", "partition_date"]):
        folder = table / f"source={source}" / f"date={day}"
        folder.mkdir(parents=True)
        part.write_parquet(folder / "part-0.parquet")
    deduped = canonical.filter(pl.int_range(pl.len()) % 7 != 3)  # as if partitions had removed some
    glob = str(table / "*" / "*" / "*.parquet")
    return {"glob": glob, "canonical": canonical, "deduped": deduped}


@pytest.fixture(scope="module")
def spark():
    from gleaner.dedup.spark_job import spark_session

    session = spark_session("local[2]", "1g")
    yield session
    session.stop()


def test_signatures_and_band_hashes_computed_in_spark_equal_ours_bit_for_bit(spark, warehouse):
    from gleaner.dedup.spark_pass import first_sightings, sketches

    texts = warehouse["canonical"]["text"].to_list()

    def signature_rows(rows):
        batch = list(rows)
        shingled = shingle_batch(batch)
        yield from signatures(shingled.shingles, shingled.offsets).tolist()

    in_spark = np.array(spark.sparkContext.parallelize(texts, 4).mapPartitions(signature_rows).collect())
    local = shingle_batch(texts)
    assert np.array_equal(in_spark.astype(np.uint32), signatures(local.shingles, local.offsets))

    universe = first_sightings(spark, [warehouse["glob"]])
    rows = sorted(sketches(universe).collect(), key=lambda r: r["record_id"])
    texts_by_id = dict(zip(warehouse["canonical"]["record_id"], warehouse["canonical"]["text"], strict=False))
    expected = sketch([texts_by_id[r["record_id"]] for r in rows])
    assert np.array_equal(np.array([r["text_key"] for r in rows], dtype=np.int64).view(np.uint64), expected.text_keys)
    assert np.array_equal(np.array([r["bands"] for r in rows], dtype=np.int64).view(np.uint64), expected.bands)


def _parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd", statistics=False)
    return buffer.getvalue()


def test_spark_pass_keeps_the_same_records_clusters_and_survivors_byte_for_byte(spark, warehouse, tmp_path):
    from gleaner.dedup.spark_pass import spark_global_pass

    output = str(tmp_path / "kept")
    stats = spark_global_pass(spark, [warehouse["glob"]], 0.8, output)
    written = pl.read_parquet(f"{output}/*.parquet")

    local = global_dedup(warehouse["deduped"], 0.8, warehouse["canonical"])
    on_spark = global_dedup(
        warehouse["deduped"],
        0.8,
        warehouse["canonical"],
        lambda universe, threshold: (
            written.filter("kept")["record_id"].to_list(),
            dict(zip(written["record_id"], written["cluster_id"], strict=True)),
        ),
    )
    universe = warehouse["canonical"]["record_id"].n_unique()
    assert stats.records == universe == written.height
    assert stats.kept == written["kept"].sum() == len(local.kept_ids)
    assert universe - len(local.kept_ids) > 180  # exact, near, chain and template copies went
    assert stats.components >= 40 and stats.candidates < universe  # isolated records never reach a component
    assert on_spark.kept_ids == local.kept_ids
    kept_ids, cluster_of = local_settle(_universe(warehouse["canonical"]), 0.8)
    assert dict(zip(written["record_id"], written["cluster_id"], strict=True)) == cluster_of  # removed ones too
    assert len(set(cluster_of[k] for k in kept_ids)) < len(kept_ids)  # the chain keeps both ends, one cluster
    assert on_spark.reinstated_ids == local.reinstated_ids and on_spark.removed == local.removed
    spark_bytes, local_bytes = _parquet_bytes(on_spark.survivors), _parquet_bytes(local.survivors)
    assert hashlib.sha256(spark_bytes).hexdigest() == hashlib.sha256(local_bytes).hexdigest()


def _universe(canonical: pl.DataFrame) -> pl.DataFrame:
    from gleaner.dedup.global_pass import first_sightings

    return first_sightings(canonical.select("record_id", "text", "scraped_at")).sort("record_id")


def test_the_policy_sends_the_pass_to_spark_through_dagster_pipes(warehouse):
    """The asset side: the policy's settle step with `global_dedup_engine: spark`, inside a real
    materialization, runs the driver script as a Pipes subprocess and returns the local kept set."""
    import dagster as dg

    from dagster_project.resources.policy import PolicyResource

    assert PolicyResource(global_dedup_engine="auto", spark_min_records=10).dedup_engine(11) == "spark"
    assert PolicyResource(global_dedup_engine="auto").dedup_engine(10**6) == "local"
    with pytest.raises(ValueError, match="global_dedup_engine"):
        PolicyResource(global_dedup_engine="fast").dedup_engine(1)
    settled = {}

    @dg.asset
    def global_pass(context: dg.AssetExecutionContext, policy: PolicyResource) -> dg.MaterializeResult:
        settle = policy.global_settle(context, [warehouse["glob"]])
        settled["spark"] = settle(_universe(warehouse["canonical"]), 0.8)
        return dg.MaterializeResult(metadata={"kept": len(settled["spark"][0])})  # as labeled_dataset returns

    policy = PolicyResource(global_dedup_engine="spark", spark_master="local[2]", spark_driver_memory="1g")
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([global_pass], resources={"policy": policy}, instance=instance)
        assert result.success
        messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    kept_ids, cluster_of = local_settle(_universe(warehouse["canonical"]), 0.8)
    assert settled["spark"] == (kept_ids, cluster_of)
    # the driver's own log lines came back over the Pipes channel
    assert any(m.startswith("global dedup pass on Spark 4.") for m in messages), messages
    assert any(m.endswith(f"{len(kept_ids)} kept") for m in messages), messages
