"""`gleaner`: the demo, one partition from the shell, versions, and the library's tools on any file."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

DEFAULT_DEMO_URL = "http://127.0.0.1:8765"


def _instance():
    import dagster as dg

    from dagster_project.instance import ensure_instance_config

    ensure_instance_config(os.environ.setdefault("DAGSTER_HOME", str(Path(".gleaner/dagster").resolve())))
    return dg.DagsterInstance.get()


def _run_ingest(defs, instance, source: str, date: str) -> None:
    from dagster_project.lib.partitions import partition_key

    job = defs.resolve_job_def("ingest_partition")
    result = job.execute_in_process(partition_key=partition_key(source, date), instance=instance)
    if not result.success:
        raise SystemExit(f"ingest_partition failed for source={source} date={date}")


def _run_publish(defs, instance) -> None:
    result = defs.resolve_job_def("publish_training_data").execute_in_process(instance=instance, raise_on_error=False)
    if not result.success:
        raise SystemExit("publish_training_data failed: see the log above (a failing blocking check?)")


def cmd_demo(args: argparse.Namespace) -> int:
    from gleaner.demo_site import DemoSiteServer

    url = os.environ.setdefault("GLEANER_DEMO_URL", DEFAULT_DEMO_URL)
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    started = time.monotonic()
    with DemoSiteServer(host="127.0.0.1", port=port) as server:
        print(f"demo site serving at {server.base_url}")
        from dagster_project.definitions import defs
        from dagster_project.lib.partitions import DEMO_DATE, SOURCES

        instance = _instance()
        for source in sorted(SOURCES):
            print(f"ingesting source={source} date={DEMO_DATE} ...")
            _run_ingest(defs, instance, source, DEMO_DATE)
        print("building the candidate and publishing ...")
        _run_publish(defs, instance)
    from dagster_project.summary import print_summary

    print_summary()
    print(f"done in {time.monotonic() - started:.0f}s")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from dagster_project.definitions import defs

    _run_ingest(defs, _instance(), args.source, args.date)
    return 0


def days_between(first: str, last: str) -> list[str]:
    """Inclusive ISO dates; a range given backwards is an error rather than nothing to do."""
    from datetime import date, timedelta

    start, end = date.fromisoformat(first), date.fromisoformat(last)
    if end < start:
        raise SystemExit(f"--to {last} is before --from {first}")
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def cmd_backfill(args: argparse.Namespace) -> int:
    """Each source-day of the range in date order, one run each, like a UI backfill without the daemon."""
    from dagster_project.definitions import defs
    from dagster_project.lib.partitions import SOURCES

    sources = args.source or sorted(SOURCES)
    unknown = sorted(set(sources) - set(SOURCES))
    if unknown:
        raise SystemExit(f"unknown source(s) {', '.join(unknown)}; configured: {', '.join(sorted(SOURCES))}")
    instance = _instance()
    days = days_between(args.from_date, args.to_date)
    for day in days:
        for source in sources:
            print(f"ingesting source={source} date={day} ...")
            _run_ingest(defs, instance, source, day)
    print(f"backfilled {len(days) * len(sources)} partitions")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from dagster_project.definitions import defs

    _run_publish(defs, _instance())
    from dagster_project.summary import print_summary

    print_summary()
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    from dagster_project.summary import version_problems, version_rows

    rows = version_rows()
    if not rows:
        print("no published versions")
    for row in rows:
        print(json.dumps(row, sort_keys=True))
    if args.verify:
        problems = version_problems()
        for problem in problems:
            print(f"TAMPERED {problem}", file=sys.stderr)
        if problems:
            return 1
        print(f"verified: every file of {len(rows)} version(s) matches its manifest")
    return 0


def cmd_dedup(args: argparse.Namespace) -> int:
    from gleaner.dedup import dedup_parquet

    try:
        summary = dedup_parquet(
            Path(args.input), Path(args.outdir), args.id_col, args.text_col, args.time_col, args.threshold
        )
    except (ValueError, FileNotFoundError) as exc:
        print(f"gleaner dedup: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary.__dict__, default=str, sort_keys=True))
    return 0


def cmd_agreement(args: argparse.Namespace) -> int:
    from gleaner.labeling import agreement_report, read_annotations

    try:
        votes = read_annotations(Path(args.file))
    except (OSError, ValueError) as exc:
        print(f"gleaner agreement: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(agreement_report(votes), sort_keys=True))
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    from gleaner.extract import run_extract, summary_lines

    try:
        batch = run_extract(args.source, Path(args.path), Path(args.out))
    except (OSError, ValueError) as exc:
        print(f"gleaner extract: {exc}", file=sys.stderr)
        return 2
    print("\n".join(summary_lines(batch, Path(args.out))))
    return 0


def cmd_serve_demo(args: argparse.Namespace) -> int:
    from gleaner.demo_site import DemoSiteServer

    with DemoSiteServer(host="127.0.0.1", port=args.port) as server:
        print(f"demo site serving at {server.base_url} (Ctrl-C to stop)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gleaner", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="serve the demo site, ingest every demo partition, publish").set_defaults(func=cmd_demo)
    ingest = sub.add_parser("ingest", help="run ingest_partition for one source on one day")
    ingest.add_argument("--source", required=True)
    ingest.add_argument("--date", required=True, help="YYYY-MM-DD")
    ingest.set_defaults(func=cmd_ingest)
    backfill = sub.add_parser("backfill", help="run ingest_partition for every day of a range (inclusive)")
    backfill.add_argument("--from", dest="from_date", required=True, help="YYYY-MM-DD")
    backfill.add_argument("--to", dest="to_date", required=True, help="YYYY-MM-DD")
    backfill.add_argument("--source", action="append", help="repeat for several; default: every source")
    backfill.set_defaults(func=cmd_backfill)
    sub.add_parser("publish", help="build the candidate and publish a version").set_defaults(func=cmd_publish)
    versions = sub.add_parser("versions", help="list published versions with their counts")
    versions.add_argument("--verify", action="store_true", help="re-hash every file; exit 1 on any mismatch")
    versions.set_defaults(func=cmd_versions)
    dedup = sub.add_parser("dedup", help="exact + near-duplicate removal on any Parquet file")
    dedup.add_argument("input")
    dedup.add_argument("outdir")
    dedup.add_argument("--id-col", required=True)
    dedup.add_argument("--text-col", required=True)
    dedup.add_argument("--time-col")
    dedup.add_argument("--threshold", type=float, default=0.8)
    dedup.set_defaults(func=cmd_dedup)
    agreement = sub.add_parser(
        "agreement", help="Cohen, Fleiss and Krippendorff agreement of an annotation file, as one JSON object"
    )
    agreement.add_argument("file", help="CSV/Parquet with columns item, annotator, label; or a Label Studio export")
    agreement.set_defaults(func=cmd_agreement)
    extract = sub.add_parser(
        "extract", help="run the pipeline's extraction + validation on a WARC or a folder of .html/.html.gz files"
    )
    extract.add_argument("--source", required=True, help="a configured source, or a built-in extractor name")
    extract.add_argument("path", help=".warc / .warc.gz file, or a folder of .html / .html.gz files")
    extract.add_argument("--out", required=True, help="folder for canonical_records.parquet and failed_records.parquet")
    extract.set_defaults(func=cmd_extract)
    serve = sub.add_parser("serve-demo", help="serve the bundled demo site in the foreground")
    serve.add_argument("--port", type=int, default=8765)
    serve.set_defaults(func=cmd_serve_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
