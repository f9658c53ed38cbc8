"""The local Dagster instance's settings (`$DAGSTER_HOME/dagster.yaml`), written once if absent.

Telemetry off (this machine has no internet, and the demo should not phone home). Pools at run
granularity with a default limit of 1: the `dataset` pool (`assets/specs.py`: `labeled_dataset`,
`training_data`) is then held by one run at a time, since two publishes racing for the same version
number would both write `training_data/vN/` before one of them wins the manifest. A deployment sets the
same limit on its own instance (`dagster instance concurrency set dataset 1`). Runs of one partition (an
ingest, a sensor's human_labels run) queue behind each other: one per `dagster/partition` value at a time,
since two runs writing the same partition's tables at once would leave one run's tables beside the other's.
Runs started by `gleaner` itself (in process, not through the queue) take a lock per partition instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

INSTANCE_YAML = """\
telemetry:
  enabled: false
concurrency:
  pools:
    granularity: run
    default_limit: 1
  runs:
    tag_concurrency_limits:
      - key: dagster/partition
        value:
          applyLimitPerUniqueValue: true
        limit: 1
"""


def ensure_instance_config(home: Path | str) -> Path:
    """Create `home` and its dagster.yaml unless one exists (a hand-written one is never replaced)."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_YAML, encoding="utf-8")
    return config


if __name__ == "__main__":  # `make dev` calls this before starting dagster dev
    print(ensure_instance_config(sys.argv[1] if len(sys.argv) > 1 else os.environ["DAGSTER_HOME"]))
