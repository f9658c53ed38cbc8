"""Where a `gleaner publish` spends its time: wall-clock timers around the candidate's parts, no profiler
(a profiler inflates the per-row Python parts several times over).

    .venv/bin/python scripts/publish_phases.py DIR      # DIR from benchmarks/end_to_end.py --keep DIR
    .venv/bin/python scripts/publish_phases.py DIR --pin-code
    .venv/bin/python scripts/publish_phases.py DIR --pin-code --timeline   # plus each call's start and end

Runs the publish in this process on the kept warehouse under DIR (it publishes: work on a copy), then prints
the command's time and each part's, largest first. The first publish after a code change rebuilds the
candidate state from scratch (the state is keyed by the library's code); run twice for the steady state.
`--pin-code` is for timing a code change against a copy of one warehouse: the candidate state (its dedup,
schema and leak parts) is read as if the code were the one that wrote it, so an edit is timed on the
incremental path, not a rebuild. Only for timing: a changed kernel could make the kept state wrong.
`--timeline` adds every timed call with its start and end (seconds from the command's start) and its thread:
the candidate runs the agreement beside the dedup settle and writes its state beside the gate, so a part
that takes longer than alone is sharing the cores with the other thread.
"""

from __future__ import annotations

import collections
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's code, not the editable install's

TIMED = {
    "gleaner.dataset.candidate": (
        "load_state", "settle_dedup", "apply_kept", "agreement_tables", "pattern_agreement", "_split_and_balance",
        "check_schema_knowing", "check_no_split_leak_knowing", "run_gate", "label_quality", "save_inputs_part",
        "save_state", "first_sightings", "_agreement", "_assemble",
    ),
}  # fmt: skip
spent: collections.Counter[str] = collections.Counter()
calls: list[tuple[float, float, str, str]] = []  # (start, end, thread, part), from the command's start
STARTED = time.perf_counter()


def _timed(module, name: str) -> None:
    work = getattr(module, name)

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return work(*args, **kwargs)
        finally:
            ended = time.perf_counter()
            spent[name] += ended - started
            calls.append((started - STARTED, ended - STARTED, threading.current_thread().name, name))

    setattr(module, name, timed)


def _pin_code(warehouse: Path) -> None:
    """The library's code fingerprint, as the candidate state and the gate's caches read it, set to the one
    the state under `warehouse` was written with."""
    import importlib
    import json

    manifests = sorted(warehouse.glob("*/candidate_state/state.json"))  # every dataset's, by the same code
    if not manifests:
        raise SystemExit(f"no candidate state under {warehouse}: nothing to pin")
    code = json.loads(manifests[0].read_text(encoding="utf-8"))["code"]
    for module_name in ("gleaner.dataset.candidate_state", "gleaner.dataset.gate", "gleaner.dedup.sketch_cache"):
        importlib.import_module(module_name).source_fingerprint = lambda *args, code=code: code
    print(f"code pinned to {code} (the state's)")


def main() -> None:
    root = Path(sys.argv[1]).resolve()
    os.environ.update(
        GLEANER_WAREHOUSE=str(root / "warehouse"),
        GLEANER_DROPS=str(root / "drops"),
        GLEANER_SOURCES=str(root / "sources.yaml"),
        GLEANER_DATASETS=str(root / "datasets"),
        DAGSTER_HOME=str(root / "dagster"),
        GLEANER_HUMAN_LABEL_EXPORTS=str(root / "no-exports"),
    )
    os.environ.pop("ANTHROPIC_API_KEY", None)
    import importlib

    if "--pin-code" in sys.argv[2:]:
        _pin_code(root / "warehouse")

    for module_name, names in TIMED.items():
        module = importlib.import_module(module_name)
        for name in names:
            _timed(module, name)
    from dagster_project import cli

    started = time.perf_counter()
    code = cli.main(["publish"])
    print(f"publish {time.perf_counter() - started:.2f} s (exit {code})")
    for name, seconds in spent.most_common():
        print(f"  {name:30s} {seconds:.2f} s")
    if "--timeline" in sys.argv[2:]:
        print("timeline (start, end, seconds, thread, part):")
        for start, end, thread, name in sorted(calls):
            print(f"  {start:6.2f} {end:6.2f} {end - start:5.2f}  {thread[:24]:24s} {name}")


if __name__ == "__main__":  # the extraction and labeling pools spawn workers that import this file
    main()
