"""Building materialization metadata leaves nothing of the asset's data alive."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# In a fresh process, as an asset runs: its metadata built from a partition's table, the first TableSchema and
# TableRecord of the process among it. Dagster keeps a copy of the locals of whatever first builds either.
PROBE = """
import gc, weakref
import dagster as dg
import polars as pl
from dagster_project.lib.metadata import table_metadata


def materialize():
    frame = pl.DataFrame({"value": list(range(1000))})
    table_metadata(frame, ["value"])
    dg.MetadataValue.table([dg.TableRecord({"value": 1})], dg.TableSchema(columns=[dg.TableColumn("value", "int")]))
    return weakref.ref(frame)


left = materialize()
gc.collect()
print("alive" if left() is not None else "freed")
"""


def test_a_tables_metadata_does_not_keep_the_table_alive() -> None:
    """Fails without the warm-up in dagster_project.lib.metadata: the first TableSchema pins the table."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "freed", done.stderr[-2000:]
