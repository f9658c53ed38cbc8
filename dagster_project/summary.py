"""What `gleaner demo` prints at the end, read back from the DuckDB catalog and the manifests."""

from __future__ import annotations

from pathlib import Path

from gleaner import warehouse
from gleaner.versioning import published_versions, read_manifest
from resources.warehouse import default_root

STAGES = [
    "raw_pages",
    "canonical_records",
    "failed_records",
    "deduped_records",
    "near_duplicates",
    "labels",
    "review_tasks",
    "human_labels",
    "labeled_dataset",
]


def _root() -> Path:
    return Path(default_root()).resolve()


def version_rows() -> list[dict]:
    root = _root() / "training_data"
    rows = []
    for version in published_versions(root):
        manifest = read_manifest(root, version)
        rows.append(
            {
                "version": f"training_data_v{version}",
                "rows": manifest["rows"],
                "per_split": {k: sum(v.values()) for k, v in manifest["rows_per_split_and_class"].items()},
                "classes": manifest["class_distribution"],
                "path": str(root / f"v{version}"),
            }
        )
    return rows


def print_summary() -> None:
    root = _root()
    with warehouse.connect_catalog(root) as con:
        views = {
            r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
        }

        def count(sql: str) -> list[tuple]:
            return con.execute(sql).fetchall()

        print("\n== Gleaner summary ==")
        print("rows per stage:")
        for stage in STAGES:
            if stage in views:
                print(f"  {stage:<18} {count(f'SELECT count(*) FROM {stage}')[0][0]:>6}")
        if "failed_records" in views:
            print("failures by reason:")
            for stage, reason, n in count(
                "SELECT stage, split_part(reason, ':', 1) AS r, count(*) FROM failed_records "
                "GROUP BY ALL ORDER BY 3 DESC, 1, 2"
            ):
                print(f"  {n:>4}  {stage}: {reason}")
        if "near_duplicates" in views:
            for kind, n in count("SELECT kind, count(*) FROM near_duplicates GROUP BY 1 ORDER BY 1"):
                print(f"duplicates removed ({kind}): {n}")
        if "labels" in views:
            print("label status:")
            for status, n in count(
                "SELECT status, count(*) FROM labels WHERE annotator_kind = 'resolved' GROUP BY 1 ORDER BY 1"
            ):
                print(f"  {status:<14} {n:>5}")
    rows = version_rows()
    if not rows:
        print("no training_data version published")
        return
    latest = read_manifest(root / "training_data", published_versions(root / "training_data")[-1])
    print("class distribution (latest version):")
    for label, n in latest["class_distribution"].items():
        print(f"  {label:<10} {n:>5}")
    print("agreement (Cohen's kappa):")
    for pair in latest["agreement"]:
        print(f"  {pair['pair']:<40} kappa={pair['kappa']!s:<7} n={pair['n_shared']}")
    print(f"published: {latest['name']} ({latest['rows']} rows) at {rows[-1]['path']}")
    print(f"DuckDB:    duckdb {root / warehouse.CATALOG} -c 'SELECT * FROM {latest['name']} LIMIT 5'")
