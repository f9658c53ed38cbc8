#!/usr/bin/env bash
# The publish after one more day, for comparing two versions of the code on the same data:
#
#   scripts/publish_after_a_day.sh CODE_DIR KEPT_DIR DAY
#
# KEPT_DIR comes from `benchmarks/end_to_end.py --days N --keep KEPT_DIR`, DAY is its last day (2026-11-11 for
# ten days). On a copy: take DAY's partitions out, publish (the candidate state as of the day before), put
# them back, publish again and print that publish's wall time and peak RSS, then the version it published
# and its content_sha256 (over every file's bytes: two checkouts print the same one when they write the same
# rows the same way). CODE_DIR is a checkout of the code to time (a worktree with the same .venv): it goes
# first on PYTHONPATH, since .venv/bin/gleaner otherwise imports the editable install. Alternate the
# versions: this host's timings drift by a second.
set -euo pipefail
code=$(cd "$1" && pwd); kept=$2; day=$3
copy=$(mktemp -d); trap 'rm -rf "$copy"' EXIT
cp -a "$kept/." "$copy/"
export GLEANER_WAREHOUSE=$copy/warehouse GLEANER_DROPS=$copy/drops GLEANER_SOURCES=$copy/sources.yaml \
  GLEANER_DATASETS=$copy/datasets DAGSTER_HOME=$copy/dagster GLEANER_HUMAN_LABEL_EXPORTS=$copy/no-exports \
  PYTHONPATH=$code
unset ANTHROPIC_API_KEY
held=$copy/held
while IFS= read -r partition; do
  relative=${partition#"$copy/warehouse/"}
  mkdir -p "$held/$(dirname "$relative")"
  mv "$partition" "$held/$relative"
done < <(find "$copy/warehouse" -mindepth 4 -maxdepth 4 -type d -name "date=$day" -path "*/source=*")
(cd "$code" && .venv/bin/gleaner publish > /dev/null)
while IFS= read -r partition; do
  relative=${partition#"$held/"}
  mv "$partition" "$copy/warehouse/$relative"
done < <(find "$held" -mindepth 4 -maxdepth 4 -type d -name "date=$day")
cd "$code" && /usr/bin/time -f "publish after $day: wall %e s, peak RSS %M KB" .venv/bin/gleaner publish 2>&1 | tail -1
.venv/bin/python - "$copy/warehouse/training_data" <<'EOF_PY'
import sys
from pathlib import Path
from gleaner.storage import published_versions, read_manifest
for folder in sorted(p for p in Path(sys.argv[1]).iterdir() if p.is_dir()):
    if versions := published_versions(folder):
        print(f"{folder.name}_v{versions[-1]}: content_sha256 {read_manifest(folder, versions[-1])['content_sha256']}")
EOF_PY
