"""What `gleaner demo` prints at the end, read back from the DuckDB catalog and the manifests."""

from __future__ import annotations

from dagster_project.resources.warehouse import WarehouseResource, warehouse_from_env
from gleaner.storage import broken_versions, published_versions, read_manifest, verify_versions

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


def version_rows(warehouse: WarehouseResource | None = None) -> list[dict]:
    """One row per version folder, from its manifest, on either backend; a broken version (torn, unreadable
    or deleted manifest) is a row saying so, never a crash."""
    root = (warehouse or warehouse_from_env()).versions
    rows = {
        version: {"version": f"training_data_v{version}", "broken": why, "path": root.location(f"v{version}")}
        for version, why in broken_versions(root).items()
    }
    for version in published_versions(root):
        manifest = read_manifest(root, version)
        per_split = manifest.get("rows_per_split_and_class") or {}
        rows[version] = {
            "version": f"training_data_v{version}",
            "rows": manifest.get("rows"),
            "per_split": {k: sum(v.values()) for k, v in per_split.items() if isinstance(v, dict)},
            "classes": manifest.get("class_distribution"),
            "path": root.location(f"v{version}"),
        }
    return [rows[v] for v in sorted(rows)]


def version_problems(warehouse: WarehouseResource | None = None) -> list[str]:
    """Every file of every version re-hashed against its manifest: one line per missing or changed file."""
    return verify_versions((warehouse or warehouse_from_env()).versions)


def print_summary() -> None:
    warehouse = warehouse_from_env()
    with warehouse.connect_catalog() as con:
        views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}

        def count(sql: str) -> list[tuple]:
            return con.execute(sql).fetchall()

        print("\n== Gleaner summary ==")
        print("rows per stage:")
        for stage in STAGES:
            if stage not in views:
                continue
            rows = count(f"SELECT count(*) FROM {stage}")[0][0]
            if stage == "labels":  # one row per vote plus one resolved row per record: say both
                records = count("SELECT count(*) FROM labels WHERE annotator_kind = 'resolved'")[0][0]
                print(f"  {stage:<18} {rows - records:>6} votes on {records} records")
            else:
                print(f"  {stage:<18} {rows:>6}")
        reasons = (
            count(
                "SELECT stage, split_part(reason, ':', 1) AS r, count(*) FROM failed_records "
                "GROUP BY ALL ORDER BY 3 DESC, 1, 2"
            )
            if "failed_records" in views
            else []
        )
        print("failures by reason:" if reasons else "failures: none")
        for stage, reason, n in reasons:
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
    for broken in (r for r in version_rows(warehouse) if "broken" in r):
        print(f"BROKEN {broken['version']}: {broken['broken']} (gleaner versions --verify)")
    published = published_versions(warehouse.versions)
    if not published:
        print("no training_data version published")
        return
    latest = read_manifest(warehouse.versions, published[-1])
    print("class distribution (latest version):")
    for label, n in (latest.get("class_distribution") or {}).items():
        print(f"  {label:<10} {n:>5}")
    print("agreement (Cohen's kappa):")
    for pair in latest.get("agreement") or []:
        print(f"  {pair['pair']:<40} kappa={pair['kappa']!s:<7} n={pair['n_shared']}")
    print(f"published: {latest['name']} ({latest['rows']} rows) at {warehouse.versions.location(f'v{published[-1]}')}")
    if warehouse.location.startswith("s3://"):
        print(f"DuckDB:    views over {warehouse.location} in {warehouse.catalog_path} (httpfs: docs/storage.md)")
    else:
        print(f"DuckDB:    duckdb {warehouse.catalog_path} -c 'SELECT * FROM {latest['name']} LIMIT 5'")
