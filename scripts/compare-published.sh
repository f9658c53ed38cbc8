#!/usr/bin/env bash
# Does a change alter what the pipeline writes? Runs `gleaner demo` on this tree (crawling the demo site into
# fresh drops), then on REF (default: main's previous commit) against a copy of the same drops, and compares
# the sha256 of every Parquet file either warehouse holds: raw pages through training_data/v1.
# Crawls stamp pages with the wall clock, so two crawls never give the same bytes; shared drops do.
#   scripts/compare-published.sh [REF]      exit 0: every Parquet file identical
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
REF=${1:-HEAD~1}
WORK=$(mktemp -d)
trap 'git worktree remove --force "$WORK/ref" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT

run_demo() {  # $1: source tree, $2: state folder
  mkdir -p "$2"
  env PYTHONPATH="$1" GLEANER_WAREHOUSE="$2/warehouse" GLEANER_DROPS="$2/drops" DAGSTER_HOME="$2/dagster" \
    GLEANER_CATALOG="$2/catalog.duckdb" "$ROOT/.venv/bin/python" -c \
    "import sys; sys.path.insert(0, '$1'); from dagster_project.instance import ensure_instance_config; ensure_instance_config('$2/dagster')"
  (cd "$1" && env PYTHONPATH="$1" GLEANER_WAREHOUSE="$2/warehouse" GLEANER_DROPS="$2/drops" DAGSTER_HOME="$2/dagster" \
    GLEANER_CATALOG="$2/catalog.duckdb" "$ROOT/.venv/bin/python" -m dagster_project.cli demo >"$2/demo.log" 2>&1) \
    || { tail -20 "$2/demo.log"; exit 2; }
  (cd "$2/warehouse" && find . -name '*.parquet' | sort | xargs sha256sum) >"$2/parquet.sha256"
}

run_demo "$ROOT" "$WORK/here"
git worktree add --detach "$WORK/ref" "$REF" >/dev/null 2>&1
mkdir -p "$WORK/there" && cp -r "$WORK/here/drops" "$WORK/there/drops"
run_demo "$WORK/ref" "$WORK/there"
if diff "$WORK/there/parquet.sha256" "$WORK/here/parquet.sha256"; then
  echo "identical: $(wc -l <"$WORK/here/parquet.sha256") Parquet files, this tree vs $REF ($(git rev-parse --short "$REF"))"
else
  echo "DIFFERENT: this tree vs $REF" >&2
  exit 1
fi
