"""`gleaner`: the demo, one partition from the shell, versions, and the library's tools on any file."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEFAULT_DEMO_URL = "http://127.0.0.1:8765"


def _instance():
    import dagster as dg

    from dagster_project.instance import ensure_instance_config

    ensure_instance_config(os.environ.setdefault("DAGSTER_HOME", str(Path(".gleaner/dagster").resolve())))
    # A fresh instance creates its SQLite schema on first open; two `gleaner` processes opening it at once
    # would both run CREATE TABLE and one fails ("table secondary_indexes already exists").
    with one_at_a_time("instance", "gleaner to open the Dagster instance", quiet=True):
        return dg.DagsterInstance.get()


def _verbose() -> bool:
    return os.environ.get("GLEANER_VERBOSE", "") not in ("", "0")


class _ProgressLines(logging.Filter):
    """What a person at the terminal wants from a run: the assets' own log lines (progress, warnings), not
    Dagster's step events; a failed step is one line (the cause), never its stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key") or ""
        if event is None:
            message = str(meta.get("orig_message", record.getMessage()))
            record.msg, record.args = f"  {step}: {message}", ()
            return record.levelno >= logging.INFO and not message.startswith("Dependencies for step")
        if event.is_step_failure:
            record.msg, record.args = f"  {step}: FAILED: {_root_cause(event.step_failure_data.error)}", ()
            return True
        return False


def _root_cause(error) -> str:
    """The innermost error's first line: the user's exception, not Dagster's wrappers around it."""
    while error is not None and error.cause is not None:
        error = error.cause
    if error is None:
        return "unknown error"
    text = (error.message or "").strip().splitlines()
    line = (text[0] if text else error.cls_name or "error").strip()
    return re.sub(r"^(?:\w+\.)+(?=\w+: )", "", line)  # "gleaner.x.NoDropError: ..." -> "NoDropError: ..."


def _run_config() -> dict:
    return {} if _verbose() else {"loggers": {"progress": {}}}


def _progress_logger():
    import dagster as dg

    @dg.logger(description="one line per asset log message; failures as one line")
    def progress(_init_context) -> logging.Logger:
        logger = logging.Logger("gleaner.run", logging.INFO)
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.addFilter(_ProgressLines())
        logger.addHandler(handler)
        return logger

    return progress


def _job(defs, name: str):
    job = defs.resolve_job_def(name)
    return job if _verbose() else job.with_logger_defs({"progress": _progress_logger()})


def _failure_line(result) -> str:
    for event in result.all_events:
        if event.is_step_failure:
            return f"step {event.step_key}: {_root_cause(event.step_failure_data.error)}"
    return "see the run in the Dagster UI (make dev)"


@contextmanager
def one_at_a_time(name: str, what: str, quiet: bool = False) -> Iterator[None]:
    """An exclusive lock under $DAGSTER_HOME/locks: a second `gleaner` doing the same waits for the first
    (and says so) instead of racing it. Runs from this CLI execute in process, outside Dagster's run queue,
    so the instance's per-partition limit cannot order them."""
    import fcntl

    folder = Path(os.environ.get("DAGSTER_HOME", ".gleaner/dagster")) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{name}.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not quiet:
                print(f"waiting for another {what} to finish ...", flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield  # released when the file closes, or when this process dies


def _run_ingest(defs, instance, source: str, date: str, crawl: bool = False) -> None:
    from dagster_project.lib.partitions import partition_key
    from gleaner.drops import CRAWL_TAG

    with one_at_a_time(f"ingest-{source}-{date}", f"ingest of source={source} date={date}"):
        result = _job(defs, "ingest_partition").execute_in_process(
            partition_key=partition_key(source, date),
            instance=instance,
            run_config=_run_config(),
            tags={CRAWL_TAG: "true"} if crawl else None,
            raise_on_error=False,
        )
    if not result.success:
        raise SystemExit(
            f"gleaner: ingest_partition failed for source={source} date={date}: {_failure_line(result)} "
            f"(run {result.run_id}; GLEANER_VERBOSE=1 for Dagster's full log)"
        )


def _run_publish(defs, instance) -> None:
    with one_at_a_time("publish", "publish"):
        result = _job(defs, "publish_training_data").execute_in_process(
            instance=instance, run_config=_run_config(), raise_on_error=False
        )
    if not result.success:
        raise SystemExit(f"gleaner: publish_training_data failed: {_failure_line(result)} (run {result.run_id})")


def check_partition(source: str, day: str) -> None:
    """Refuse, in one line naming what is allowed, a source or date no partition has."""
    from datetime import date as Date

    from dagster_project.lib.partitions import SOURCES, START_DATE

    if source not in SOURCES:
        raise SystemExit(f"gleaner: unknown source {source!r}; configured: {', '.join(sorted(SOURCES))}")
    try:
        parsed = Date.fromisoformat(day) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise SystemExit(f"gleaner: --date {day!r} is not a calendar date (YYYY-MM-DD)")
    if day < START_DATE:
        raise SystemExit(f"gleaner: --date {day} is before the partitions start ({START_DATE})")
    if parsed >= Date.today():
        raise SystemExit(f"gleaner: --date {day} has no partition yet: a day's partition exists once the day is over")


def demo_url(wanted: str) -> tuple[str, bool]:
    """(URL, already serving) for the demo site: `wanted` when its port is free or a demo site already
    answers there (`gleaner serve-demo` in another shell); else the same host on a free port."""
    import socket
    import urllib.request
    from urllib.parse import urlsplit

    parts = urlsplit(wanted)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            return wanted, False
        except OSError:
            pass
    try:
        with urllib.request.urlopen(f"{wanted.rstrip('/')}/acme/products?page=1", timeout=3) as response:
            if response.status == 200 and b"/acme/product/" in response.read(1 << 16):
                return wanted, True
    except (OSError, ValueError):
        pass
    with socket.socket() as free:
        free.bind((host, 0))
        return f"{parts.scheme}://{host}:{free.getsockname()[1]}", False


def cmd_demo(args: argparse.Namespace) -> int:
    from contextlib import nullcontext

    from gleaner.demo_site import DemoSiteServer

    wanted = os.environ.get("GLEANER_DEMO_URL", DEFAULT_DEMO_URL)
    url, reuse = demo_url(wanted)
    if reuse:
        print(f"a demo site is already serving at {url}: using it")
    elif url != wanted:
        print(f"{wanted} is taken by something that is not the demo site; serving the demo site at {url} instead")
    os.environ["GLEANER_DEMO_URL"] = url  # before the sources are loaded: they expand it
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    started = time.monotonic()
    with nullcontext() if reuse else DemoSiteServer(host="127.0.0.1", port=port) as server:
        if server is not None:
            print(f"demo site serving at {server.base_url}")
        from dagster_project.definitions import defs
        from dagster_project.lib.partitions import DEMO_DATE, SOURCES

        instance = _instance()
        for source in sorted(SOURCES):
            print(f"ingesting source={source} date={DEMO_DATE} ...")
            _run_ingest(defs, instance, source, DEMO_DATE, crawl=True)
        print("building the candidate and publishing ...")
        _run_publish(defs, instance)
    from dagster_project.summary import print_summary

    print_summary()
    print(f"done in {time.monotonic() - started:.0f}s")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    check_partition(args.source, args.date)
    from dagster_project.definitions import defs

    _run_ingest(defs, _instance(), args.source, args.date, crawl=args.crawl)
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
    days = days_between(args.from_date, args.to_date)
    for day in (days[0], days[-1]):
        check_partition(sources[0], day)
    instance = _instance()
    for day in days:
        for source in sources:
            print(f"ingesting source={source} date={day} ...")
            _run_ingest(defs, instance, source, day, crawl=args.crawl)
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

    rows = version_rows(dataset=args.dataset)
    if not rows:
        print("no published versions")
    for row in rows:
        print(json.dumps(row, sort_keys=True))
    if args.verify:
        problems = version_problems(dataset=args.dataset)
        for problem in problems:
            print(f"TAMPERED {problem}", file=sys.stderr)
        if problems:
            return 1
        print(f"verified: every file of {len(rows)} version(s) matches its manifest, and nothing else is there")
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
    ingest.add_argument("--crawl", action="store_true", help="crawl the source when the day has no usable drop")
    ingest.set_defaults(func=cmd_ingest)
    backfill = sub.add_parser("backfill", help="run ingest_partition for every day of a range (inclusive)")
    backfill.add_argument("--from", dest="from_date", required=True, help="YYYY-MM-DD")
    backfill.add_argument("--to", dest="to_date", required=True, help="YYYY-MM-DD")
    backfill.add_argument("--source", action="append", help="repeat for several; default: every source")
    backfill.add_argument("--crawl", action="store_true", help="crawl the days that have no usable drop")
    backfill.set_defaults(func=cmd_backfill)
    sub.add_parser("publish", help="build the candidate and publish a version").set_defaults(func=cmd_publish)
    versions = sub.add_parser("versions", help="list published versions with their counts")
    versions.add_argument("--verify", action="store_true", help="re-hash every file; exit 1 on any mismatch")
    versions.add_argument("--dataset", help="only this dataset's versions (default: every dataset)")
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
    """Every failure ends as one line saying what is wrong (GLEANER_VERBOSE=1 keeps the traceback)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"gleaner {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if _verbose():
            raise
        print(f"gleaner {args.command}: {type(exc).__name__}: {_first_line(exc)}", file=sys.stderr)
        return 1


def run() -> None:
    """The `gleaner` console command: `main`, then out without tearing the interpreter down. When a command
    returns, its work is written and closed; what is left is freeing every object of the run module by
    module, which took 1.2 s after a 100k-record publish (`scripts/exit_time.py`: 1.12-1.21 s from the end
    of `main` to the process's end, 0.06-0.08 s this way). Non-daemon threads are joined and atexit
    handlers run (logging flushes, temporary folders go) as at a normal exit; a failure that raises
    (SystemExit with its one line) exits normally, and so does a run under a profiler or debugger
    (`python -m cProfile -o out .venv/bin/gleaner ...` writes its file after the command returns)."""
    import atexit
    import threading

    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:  # a profiler or debugger saves at the end
        sys.exit(code)
    getattr(threading, "_shutdown", lambda: None)()  # joins non-daemon threads, as the interpreter's exit does
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else "no message"


if __name__ == "__main__":
    run()
