"""benchmarks/end_to_end.py times the checkout it lives in, wherever the shared .venv's editable install points."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def test_the_commands_and_the_kernels_import_this_checkouts_code(tmp_path: Path, monkeypatch):
    """The `gleaner` commands are a console script (sys.path[0] is the venv's bin) and the kernels run in the
    benchmark's process (sys.path[0] is benchmarks/): without the checkout first on both paths, a worktree
    sharing the main checkout's .venv timed the main checkout's code."""
    import end_to_end

    monkeypatch.setenv("PYTHONPATH", "/somewhere/else")
    env = end_to_end.environment(tmp_path)
    assert env["PYTHONPATH"].split(os.pathsep) == [str(ROOT), "/somewhere/else"]
    probe = "import sys; sys.path.pop(0); import gleaner, dagster_project as d; print(gleaner.__file__, d.__file__)"
    shown = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert [Path(p).parents[1] for p in shown.stdout.split()] == [ROOT, ROOT]


def test_the_publish_growth_is_the_least_squares_slope_over_the_days():
    import end_to_end

    assert end_to_end.growth_per_day([4.0]) is None
    assert end_to_end.growth_per_day([5.0, 5.0, 5.0]) == 0.0  # a publish that costs the new day alone
    assert end_to_end.growth_per_day([4.0, 4.5, 5.0, 5.5]) == 0.5
    assert (
        end_to_end.growth_per_day([4.31, 4.65, 5.71, 5.97, 7.21, 7.37, 7.3, 8.01, 8.67, 9.15]) == 0.529
    )  # numpy.polyfit gives 0.5294
