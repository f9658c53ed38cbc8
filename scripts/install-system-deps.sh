#!/usr/bin/env bash
# What the infra tests need from Debian besides Chromium: a PostgreSQL server (tests/infra start a private
# one with initdb + pg_ctl) and a Java runtime for pyspark's local mode. Installed only when missing, so a
# machine that has them (or a non-root developer who installed them another way) is left alone.
set -euo pipefail
missing=()
if ! command -v pg_ctl >/dev/null 2>&1 && ! compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
  missing+=(postgresql)
fi
if ! command -v java >/dev/null 2>&1; then
  missing+=(openjdk-17-jre-headless)
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing Debian's ${missing[*]}..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "missing ${missing[*]} and no apt as root: install them, or the infra tests fail naming what is absent" >&2
