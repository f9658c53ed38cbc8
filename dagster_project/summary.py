"""What `gleaner demo` prints at the end, per dataset, read back from the DuckDB catalog and the manifests."""

from __future__ import annotations

from dagster_project.resources.warehouse import WarehouseResource, warehouse_from_env
from gleaner.storage import broken_versions, published_versions, read_manifest, verify_versions
from gleaner.storage import warehouse as layout

DATASET_STAGES = [
    "canonical_records",
    "failed_records",
    "deduped_records",
    "near_duplicates",
    "labels",
    "review_tasks",
    "human_labels",
    "labeled_dataset",
]


def _datasets(warehouse: WarehouseResource, only: str | None) -> list[str]:
    if only:
        return [only]
    from dagster_project.lib.datasets import DATASETS

    return sorted(set(DATASETS) | set(layout.dataset_versions_dirs(warehouse.store)))


def version_rows(warehouse: WarehouseResource | None = None, dataset: str | None = None) -> list[dict]:
    """One row per version folder of each dataset (or of `dataset`), from its manifest, on either backend; a
    broken version (torn, unreadable or deleted manifest) is a row saying so, never a crash."""
    warehouse = warehouse or warehouse_from_env()
    found = []
    for name in _datasets(warehouse, dataset):
        root = warehouse.versions(name)
        rows = {
            version: {
                "dataset": name,
                "version": f"{name}_v{version}",
                "broken": why,
                "path": root.location(f"v{version}"),
            }
            for version, why in broken_versions(root).items()
        }
        for version in published_versions(root):
            manifest = read_manifest(root, version)
            per_class = manifest.get("rows_per_split_and_class") or {}
            # a span version has no classes: its manifest counts rows per split directly
            per_split = manifest.get("rows_per_split") or {
                k: sum(v.values()) for k, v in per_class.items() if isinstance(v, dict)
            }
            rows[version] = {
                "dataset": name,
                "version": f"{name}_v{version}",
                "rows": manifest.get("rows"),
                "per_split": per_split,
                "classes": manifest.get("class_distribution"),
                "path": root.location(f"v{version}"),
            }
        found.extend(rows[v] for v in sorted(rows))
    return found


def version_problems(warehouse: WarehouseResource | None = None, dataset: str | None = None) -> list[str]:
    """Every file of every version re-hashed against its manifest: one line per missing or changed file."""
    warehouse = warehouse or warehouse_from_env()
    return [
        f"{name}: {problem}"
        for name in _datasets(warehouse, dataset)
        for problem in verify_versions(warehouse.versions(name))
    ]


def _stage_counts(con, views: set[str], dataset: str) -> None:
    def count(sql: str) -> list[tuple]:
        return con.execute(sql).fetchall()

    for stage in DATASET_STAGES:
        view = layout.view_name(f"{dataset}/{stage}")
        if view not in views:
            continue
        rows = count(f"SELECT count(*) FROM {view}")[0][0]
        if stage == "labels":  # one row per vote plus one resolved row per record: say both
            records = count(f"SELECT count(*) FROM {view} WHERE annotator_kind = 'resolved'")[0][0]
            print(f"  {stage:<18} {rows - records:>6} votes on {records} records")
        else:
            print(f"  {stage:<18} {rows:>6}")
    failed, removed, labels = (
        layout.view_name(f"{dataset}/{s}") for s in ("failed_records", "near_duplicates", "labels")
    )
    reasons = (
        count(
            f"SELECT stage, split_part(reason, ':', 1) AS r, count(*) FROM {failed} GROUP BY ALL ORDER BY 3 DESC, 1, 2"
        )
        if failed in views
        else []
    )
    print("  failures by reason:" if reasons else "  failures: none")
    for stage, reason, n in reasons:
        print(f"    {n:>4}  {stage}: {reason}")
    if removed in views:
        for kind, n in count(f"SELECT kind, count(*) FROM {removed} GROUP BY 1 ORDER BY 1"):
            print(f"  duplicates removed ({kind}): {n}")
    if labels in views:
        statuses = count(
            f"SELECT status, count(*) FROM {labels} WHERE annotator_kind = 'resolved' GROUP BY 1 ORDER BY 1"
        )
        print("  label status: " + ", ".join(f"{status} {n}" for status, n in statuses))


def _latest_version(warehouse: WarehouseResource, dataset: str) -> None:
    root = warehouse.versions(dataset)
    published = published_versions(root)
    if not published:
        print(f"  no {dataset} version published")
        return
    latest = read_manifest(root, published[-1])
    if latest.get("task") == "spans":
        distribution = latest.get("span_distribution") or {}
        print("  spans (latest version): " + ", ".join(f"{label} {n}" for label, n in distribution.items()))
        for pair in latest.get("agreement") or []:
            print(f"  agreement {pair['pair']:<36} span F1={pair.get('span_f1')!s:<7} token kappa={pair.get('kappa')}")
    else:
        distribution = latest.get("class_distribution") or {}
        print("  classes (latest version): " + ", ".join(f"{label} {n}" for label, n in distribution.items()))
        for pair in latest.get("agreement") or []:
            print(f"  agreement {pair['pair']:<36} kappa={pair['kappa']!s:<7} n={pair['n_shared']}")
    _velocity(latest.get("annotation_velocity"))
    print(f"  published: {latest['name']} ({latest['rows']} rows) at {root.location(f'v{published[-1]}')}")


def _velocity(velocity: dict | None) -> None:
    """Records per annotator-hour as the latest version's card reports them; nothing for older manifests."""
    if not velocity:
        return
    rate = velocity["records_per_hour"]
    people = ", ".join(f"{row['annotator']} {row['records_per_hour'] or 'n/a'}" for row in velocity["per_annotator"])
    print(
        f"  annotation velocity: {'n/a (no lead times)' if rate is None else rate} records/hour for everyone "
        f"(reference {velocity['reference_records_per_hour']})" + (f"; per person: {people}" if people else "")
    )


def print_summary() -> None:
    warehouse = warehouse_from_env()
    with warehouse.connect_catalog() as con:
        views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        print("\n== Gleaner summary ==")
        if "raw_pages" in views:
            print(f"raw_pages {con.execute('SELECT count(*) FROM raw_pages').fetchone()[0]} pages")
        names = _datasets(warehouse, None)
        for dataset in names:
            print(f"dataset {dataset}:")
            _stage_counts(con, views, dataset)
            _latest_version(warehouse, dataset)
    for broken in (r for r in version_rows(warehouse) if "broken" in r):
        print(f"BROKEN {broken['version']}: {broken['broken']} (gleaner versions --verify)")
    if warehouse.location.startswith("s3://"):
        print(f"DuckDB: views over {warehouse.location} in {warehouse.catalog_path} (httpfs: docs/storage.md)")
    else:
        example = f"{names[0]}_v1" if names else "training_data_v1"
        print(f"DuckDB: duckdb {warehouse.catalog_path} -c 'SELECT * FROM {example} LIMIT 5'")
