"""<dataset>/training_data: publishes a dataset's gated candidate as an immutable `<dataset>_vN`
(`training_data/<dataset>/vN/`), and a check that every version it published is as published."""

import dagster as dg

from dagster_project.defs.dataset.candidate import summary_key
from dagster_project.lib.datasets import EXTRACTED, key, table
from dagster_project.lib.metadata import table_metadata
from dagster_project.lib.specs import DATASET_POOL, stage
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.dataset import SPLITS, GateFailed, release, render_card
from gleaner.datasets import DatasetSpec, canonical_definition, spec_hash
from gleaner.storage import verify_versions_since


def verified_ledger_key(spec: DatasetSpec) -> str:
    """Where `versions_untampered` keeps what it found clean (outside the versions: nothing writes there)."""
    return f"{spec.name}/versions_verified/ledger.json"


def policy_manifest(spec: DatasetSpec) -> dict[str, object]:
    """The whole declaration the version was built under (gate and review policy included), and its hash."""
    return {"dataset": spec.name, "spec_sha256": spec_hash(spec), **spec.model_dump(mode="json")}


def training_data_asset(spec: DatasetSpec) -> list[dg.AssetsDefinition | dg.AssetChecksDefinition]:
    gate = spec.candidate_policy().gate
    manifest_policy = policy_manifest(spec)

    @dg.asset(
        key=key(spec, "training_data"),
        pool=DATASET_POOL,  # one candidate build / publish at a time (dagster_project/instance.py)
        deps=[key(spec, "labeled_dataset")],
        description=f"{spec.name}: published, immutable {spec.name}_vN (training_data/{spec.name}/vN/): "
        "Parquet per split, manifest.json (written last, exclusively) and a dataset card. Unchanged content "
        "publishes nothing new.",
        **stage("dataset", {"polars", "duckdb"}, code_version="3"),  # 3: per-dataset versions
    )
    def _training_data(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        candidate, candidate_version = warehouse.read_with_version(table(spec, "labeled_dataset"))
        if candidate is None:
            raise dg.Failure(f"{spec.name}/labeled_dataset has not been built; run publish_training_data")
        try:
            released = release(
                warehouse.versions(spec.name), candidate, warehouse.read_json(summary_key(spec)), gate,
                manifest_policy, dataset=spec.name, declaration=canonical_definition(spec), definition=spec,
                candidate_version=candidate_version,
            )  # fmt: skip
        except GateFailed as exc:
            raise dg.Failure(f"{spec.name}: {exc}") from None
        outcome = released.outcome
        name = f"{spec.name}_v{outcome.version}"
        if outcome.created:
            note = f"published {name} at {outcome.path}"
        else:
            note = f"content identical to {name}; nothing new published"
        context.log.info(note)
        warehouse.refresh_catalog()
        manifest = outcome.manifest
        rows = manifest.get("rows_per_split") or {
            s: sum(per_class.values()) for s, per_class in manifest["rows_per_split_and_class"].items()
        }
        return dg.MaterializeResult(
            metadata={
                "version": outcome.version,
                "published_new_version": outcome.created,
                "outcome": note,
                "path": dg.MetadataValue.path(str(outcome.path)),
                **table_metadata(released.frame, [c for c in PREVIEW if c in released.frame.columns]),
                **{f"rows_{s}": rows[s] for s in SPLITS},
                "card": dg.MetadataValue.md(render_card(outcome.manifest)),
            }
        )

    @dg.asset_check(
        asset=_training_data,
        name="versions_untampered",
        description="Checks every published version against its manifest and recorded digest; fails on "
        "tampering. Re-hashes the versions whose stored files changed identity since the last check found "
        "them clean (a new version among them) and the one hashed longest ago (gleaner.storage."
        "verify_versions_since).",
        blocking=False,
    )
    def _versions_untampered(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        ledger_key = verified_ledger_key(spec)
        try:
            ledger = warehouse.read_json(ledger_key)
        except (FileNotFoundError, ValueError):  # none yet, or unreadable: every version is re-hashed
            ledger = None
        verified = verify_versions_since(warehouse.versions(spec.name), ledger)
        warehouse.write_json(ledger_key, verified.ledger)
        problems = verified.problems
        return dg.AssetCheckResult(
            passed=not problems,
            severity=dg.AssetCheckSeverity.ERROR,
            description="; ".join(problems[:5]) or None,
            metadata={
                "problems": dg.MetadataValue.json(problems),
                "versions": len(verified.rehashed) + len(verified.unchanged),
                "rehashed": dg.MetadataValue.json(verified.rehashed),
                "unchanged_since_hashed": len(verified.unchanged),
            },
        )

    return [_training_data, _versions_untampered]


ASSETS = [d for spec in EXTRACTED.values() for d in training_data_asset(spec)]
PREVIEW = ["record_id", "split", "label", "spans", "text"]
