"""The drop sensor against a real Dagster instance: over the local drops folder and over S3 (moto's server)."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest
from conftest import free_port
from dagster_aws.s3 import S3Resource

from dagster_project.defs.ingest.sensors import drop_sensor
from dagster_project.resources.drops import DropsResource, S3DropsResource
from gleaner.drops.cursor import GRACE_SEC, DropCursor
from gleaner.drops.local import MARKER, WARC_NAME
from gleaner.drops.warc_read import read_drop
from gleaner.drops.warc_write import write_drop
from gleaner.pages import FetchedPage

TODAY = datetime.now(UTC).date().isoformat()  # its partition does not exist until the day is over


def page(url: str = "http://shop.example/a") -> FetchedPage:
    return FetchedPage(url, url, url, 200, datetime(2026, 11, 20, tzinfo=UTC), "text/html", "<p>hi</p>")


def tick(drops: DropsResource, cursor: str | None, caplog: pytest.LogCaptureFixture | None = None) -> dg.SensorResult:
    with dg.build_sensor_context(
        instance=dg.DagsterInstance.ephemeral(), cursor=cursor, resources={"drops": drops}
    ) as context:
        if caplog is not None:  # the sensor's logger does not propagate to the root logger pytest listens on
            context.log.addHandler(caplog.handler)
        return drop_sensor(context)


def requested(result: dg.SensorResult) -> dict[str, str]:
    return {r.run_key: str(r.partition_key) for r in result.run_requests}


# ---------------------------------------------------------------------------------------------- local


def test_local_drops_start_one_run_each_incomplete_ones_wait(tmp_path: Path, caplog) -> None:
    root = tmp_path / "drops"
    write_drop(root, "acme", "2026-11-20", "d1", [page()])
    write_drop(root, "acme", "2026-11-20", "d2", [page()])  # a second drop for the same day: its own run
    write_drop(root, "globex", "2026-11-21", "d1", [page()])
    write_drop(root, "nobody", "2026-11-21", "d1", [page()])  # not a configured source
    write_drop(root, "acme", TODAY, "early", [page()])  # its partition does not exist yet
    pending = root / "acme" / "2026-11-21" / "late"
    pending.mkdir(parents=True)
    (pending / WARC_NAME).write_bytes(b"still being copied")
    drops = DropsResource(root=str(root))

    with caplog.at_level(logging.WARNING):
        first = tick(drops, None, caplog)
    assert requested(first) == {
        "drop:acme/2026-11-20/d1": "2026-11-20|acme",
        "drop:acme/2026-11-20/d2": "2026-11-20|acme",
        "drop:globex/2026-11-21/d1": "2026-11-21|globex",
    }
    assert "source 'nobody' is not configured" in caplog.text
    cursor = DropCursor.from_json(first.cursor)
    assert f"acme/{TODAY}/early" not in cursor.handled and "acme/2026-11-21/late" not in cursor.handled

    second = tick(drops, first.cursor)
    assert second.run_requests == [] and second.skip_reason is not None

    (pending / MARKER).write_text("{}")  # the copy has finished
    third = tick(drops, second.cursor)
    assert requested(third) == {"drop:acme/2026-11-21/late": "2026-11-21|acme"}
    fourth = tick(drops, third.cursor)
    assert fourth.run_requests == []


def test_drops_leading_outside_the_root_are_refused_and_the_rest_go_ahead(tmp_path: Path, caplog) -> None:
    root, elsewhere = tmp_path / "drops", tmp_path / "elsewhere"
    write_drop(root, "acme", "2026-11-20", "good", [page()])
    outside = write_drop(elsewhere, "acme", "2026-11-20", "stolen", [page()])
    os.symlink(outside, root / "acme" / "2026-11-20" / "linked")  # a drop that is a symlink out of the root
    os.symlink(elsewhere / "acme", root / "globex")  # a whole source that is one
    sneaky = write_drop(root, "acme", "2026-11-20", "sneaky", [page()])
    marker = json.loads((sneaky / MARKER).read_text())
    (sneaky / MARKER).write_text(json.dumps({**marker, "warc_file": "../../../../elsewhere/x.warc.gz"}))

    with caplog.at_level(logging.WARNING):
        first = tick(DropsResource(root=str(root)), None, caplog)
    assert requested(first) == {"drop:acme/2026-11-20/good": "2026-11-20|acme"}
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 3
    assert any("acme/2026-11-20/linked resolves to" in m and "outside the drop root" in m for m in refusals)
    assert any(m.startswith("drop globex ") and "outside the drop root" in m for m in refusals)
    assert any("acme/2026-11-20/sneaky" in m and "must be a plain file name" in m for m in refusals)

    caplog.clear()
    with caplog.at_level(logging.WARNING):
        second = tick(DropsResource(root=str(root)), first.cursor, caplog)
    assert second.run_requests == [] and "refused" not in caplog.text  # said once, not every tick


def test_the_cursor_stays_small_however_many_drops_arrive() -> None:
    cursor = DropCursor()
    for hour in range(200):
        arrivals = {f"acme/2026-11-20/d{hour}-{n}": hour * 3600.0 + n for n in range(3)}
        assert all(cursor.is_new(ident, at) for ident, at in arrivals.items())
        cursor = DropCursor.from_json(cursor.advance(arrivals).to_json())
        assert not any(cursor.is_new(ident, at) for ident, at in arrivals.items())
    assert len(cursor.handled) == 3 and cursor.mark == 199 * 3600.0 + 2 - GRACE_SEC
    assert cursor.is_new("acme/2026-11-20/straggler", cursor.mark + 1)  # inside the grace window: still caught
    waited = cursor.advance({"x": 300 * 3600.0}, waiting_since=199 * 3600.0 + 1)
    assert waited.mark == 199 * 3600.0 + 1  # a drop waiting for its partition holds the mark back
    assert waited.is_new("acme/2026-11-24/early", 199 * 3600.0 + 1)
    assert DropCursor.from_json(json.dumps(["acme/2026-11-20/d1"])).is_new("acme/2026-11-20/d1", 5.0) is False


# ------------------------------------------------------------------------------------------------- S3


def s3_drops(endpoint: str, bucket: str, mirror: Path) -> S3DropsResource:
    s3 = S3Resource(
        endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1",
        max_attempts=1,
    )  # fmt: skip
    return S3DropsResource(s3=s3, bucket=bucket, prefix="incoming/", root=str(mirror))


def upload(client, bucket: str, local_drop: Path, key_prefix: str, *, marker: bool = True) -> None:
    client.put_object(Bucket=bucket, Key=f"{key_prefix}/{WARC_NAME}", Body=(local_drop / WARC_NAME).read_bytes())
    if marker:
        client.put_object(Bucket=bucket, Key=f"{key_prefix}/{MARKER}", Body=(local_drop / MARKER).read_bytes())


def test_s3_drops_start_one_run_each_and_escaping_keys_are_refused(s3_server: str, tmp_path: Path, caplog) -> None:
    bucket = "gleaner-drops"
    drops = s3_drops(s3_server, bucket, tmp_path / "mirror")
    client = drops.s3.get_client()
    client.create_bucket(Bucket=bucket)
    local = tmp_path / "made"
    good = write_drop(local, "acme", "2026-11-20", "s3-1", [page("http://shop.example/from-s3")])
    upload(client, bucket, good, "incoming/acme/2026-11-20/s3-1")
    upload(client, bucket, good, "incoming/globex/2026-11-21/s3-2")
    upload(client, bucket, good, "incoming/acme/2026-11-21/half", marker=False)  # still uploading
    upload(client, bucket, good, "incoming/acme/2026-11-20/../../../../etc/evil")  # `..` in a key
    client.put_object(Bucket=bucket, Key="incoming/acme/2026-11-20/bad/_COMPLETE", Body=b'{"warc_file": "../s3-1/x"}')
    client.put_object(Bucket=bucket, Key="elsewhere/acme/2026-11-20/x/_COMPLETE", Body=b"{}")  # not our prefix

    with caplog.at_level(logging.WARNING):
        first = tick(drops, None, caplog)
    assert requested(first) == {
        "drop:acme/2026-11-20/s3-1": "2026-11-20|acme",
        "drop:globex/2026-11-21/s3-2": "2026-11-21|globex",
    }
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 2
    assert any("etc/evil/_COMPLETE" in m and "'..'" in m for m in refusals)
    assert any("acme/2026-11-20/bad" in m and "must be a plain file name" in m for m in refusals)

    second = tick(drops, first.cursor)
    assert second.run_requests == []
    client.put_object(Bucket=bucket, Key=f"incoming/acme/2026-11-21/half/{MARKER}", Body=(good / MARKER).read_bytes())
    third = tick(drops, second.cursor)
    assert requested(third) == {"drop:acme/2026-11-21/half": "2026-11-21|acme"}

    (mirrored,) = drops.complete_drops("acme", "2026-11-20")  # what raw_pages reads: mirrored, verified
    assert mirrored.path == (tmp_path / "mirror" / "acme" / "2026-11-20" / "s3-1").resolve()
    assert [p.canonical_url for p in read_drop(mirrored)] == ["http://shop.example/from-s3"]


def test_a_crawled_drop_is_kept_in_the_bucket_and_read_back_elsewhere_byte_for_byte(
    s3_server: str, tmp_path: Path
) -> None:
    """A crawl on one machine, a re-materialization on another: the second reads the first's drop."""
    bucket = "gleaner-crawls"
    here = s3_drops(s3_server, bucket, tmp_path / "here")
    client = here.s3.get_client()
    client.create_bucket(Bucket=bucket)
    made = write_drop(here.local_root, "acme", "2026-11-20", "crawl-001", [page("http://shop.example/crawled")])
    assert here.keep_crawled("acme", "2026-11-20", "crawl-001") == f"s3://{bucket}/incoming/acme/2026-11-20/crawl-001"
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(keys) == [f"incoming/acme/2026-11-20/crawl-001/{n}" for n in sorted([MARKER, WARC_NAME])]
    here.keep_crawled("acme", "2026-11-20", "crawl-001")  # again: a drop is immutable, nothing re-uploaded

    elsewhere = s3_drops(s3_server, bucket, tmp_path / "elsewhere")
    (found,) = elsewhere.complete_drops("acme", "2026-11-20")
    assert (found.path / WARC_NAME).read_bytes() == (made / WARC_NAME).read_bytes()
    assert [p.canonical_url for p in read_drop(found)] == ["http://shop.example/crawled"]
    assert DropsResource(root=str(tmp_path / "here")).keep_crawled("acme", "2026-11-20", "crawl-001") == str(made)


def test_an_unreachable_bucket_skips_the_tick_and_keeps_the_cursor(tmp_path: Path) -> None:
    drops = s3_drops(f"http://127.0.0.1:{free_port()}", "nowhere", tmp_path)
    cursor = DropCursor(5.0, {"acme/2026-11-20/d1": 7.0}).to_json()
    result = tick(drops, cursor)
    assert result.run_requests == [] and "cannot list drops at s3://nowhere/incoming" in result.skip_reason.skip_message
    assert result.cursor is None  # unchanged
