"""How long a `gleaner` command takes from the end of its work to the end of its process, with the
interpreter's own teardown (`normal`) or the console command's way out (`fast`, `dagster_project.cli.run`).

    .venv/bin/python scripts/exit_time.py normal publish
    .venv/bin/python scripts/exit_time.py fast publish

Run it with the environment of a kept warehouse (`benchmarks/end_to_end.py --keep DIR` sets GLEANER_* and
DAGSTER_HOME); after a 100k-record publish `normal` took 1.12-1.21 s and `fast` 0.06-0.08 s. Prints one line.
"""

import os
import subprocess
import sys
import time

CHILD = """
import sys, time
from dagster_project import cli

work = cli.main


def marked():
    code = work()
    print(f"MAIN_END {time.time()}", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    mode = sys.argv.pop(1)
    sys.argv[0] = "gleaner"
    cli.main = marked
    cli.run() if mode == "fast" else sys.exit(marked())
"""


def main() -> None:
    mode, args = sys.argv[1], sys.argv[2:]
    if mode not in ("normal", "fast"):
        raise SystemExit("usage: exit_time.py normal|fast GLEANER_ARGS...")
    started = time.time()
    done = subprocess.run([sys.executable, "-c", CHILD, mode, *args], capture_output=True, text=True, env=os.environ)
    ended = time.time()
    marks = [line for line in done.stderr.splitlines() if line.startswith("MAIN_END ")]
    if done.returncode != 0 or not marks:
        raise SystemExit(f"gleaner {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    main_end = float(marks[-1].split()[1])
    print(f"{mode}: command {ended - started:.2f} s, of which after its work {ended - main_end:.3f} s")


if __name__ == "__main__":
    main()
