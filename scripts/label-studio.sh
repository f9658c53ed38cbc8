#!/usr/bin/env bash
# Label Studio for the human-review loop, on 127.0.0.1 with a known admin and API token.
#
#   scripts/label-studio.sh install   # only install (prints the virtualenv path)
#   scripts/label-studio.sh [start]   # install if needed, then run the server in the foreground
#
# Label Studio lives in its own virtualenv because its pins would fight the project's. The virtualenv is
# cached per version in the project's cache folder (GLEANER_CACHE_DIR, else ~/.cache/gleaner, as for the
# language model), so tests and colleagues share one install. Everything is overridable by environment:
#   LABEL_STUDIO_VERSION, GLEANER_LABEL_STUDIO_VENV, GLEANER_LABEL_STUDIO_PYTHON,
#   LABEL_STUDIO_PORT, LABEL_STUDIO_DATA_DIR, LABEL_STUDIO_USERNAME, LABEL_STUDIO_PASSWORD, LABEL_STUDIO_USER_TOKEN
set -euo pipefail

VERSION="${LABEL_STUDIO_VERSION:-1.23.2}"
VENV="${GLEANER_LABEL_STUDIO_VENV:-${GLEANER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/gleaner}/label-studio-$VERSION}"
PY="${GLEANER_LABEL_STUDIO_PYTHON:-python3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

install() {
    if [[ -f "$VENV/.installed" ]]; then
        return
    fi
    # A lock so that concurrent test runs do not install over each other.
    mkdir -p "$(dirname "$VENV")"
    exec 9>"$VENV.lock"
    flock 9
    if [[ ! -f "$VENV/.installed" ]]; then
        echo "installing label-studio==$VERSION into $VENV (a few minutes, once)" >&2
        rm -rf "$VENV"
        "$PY" -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check --upgrade pip >&2
        "$VENV/bin/pip" install --quiet --disable-pip-version-check "label-studio==$VERSION" >&2
        touch "$VENV/.installed"
    fi
    exec 9>&-
}

start() {
    install
    local port="${LABEL_STUDIO_PORT:-8080}"
    local data="${LABEL_STUDIO_DATA_DIR:-$ROOT/.gleaner/label-studio}"
    mkdir -p "$data"
    export LABEL_STUDIO_BASE_DATA_DIR="$data"
    export LABEL_STUDIO_USERNAME="${LABEL_STUDIO_USERNAME:-admin@gleaner.local}"
    export LABEL_STUDIO_PASSWORD="${LABEL_STUDIO_PASSWORD:-gleaner-admin}"
    # Applied only when the admin is first created (a fresh data dir); 40 characters at most.
    export LABEL_STUDIO_USER_TOKEN="${LABEL_STUDIO_USER_TOKEN:-gleaner0local0token0000000000000000000000}"
    export LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true
    export LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK="${LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK:-true}"
    export SSRF_PROTECTION_ENABLED=false  # webhooks to 127.0.0.1
    export DJANGO_DB="${DJANGO_DB:-sqlite}"
    export LATEST_VERSION_CHECK=false  # no call to pypi.org on every start
    echo "LABEL_STUDIO_URL=http://127.0.0.1:$port LABEL_STUDIO_API_KEY=$LABEL_STUDIO_USER_TOKEN" >&2
    exec "$VENV/bin/label-studio" start --no-browser --host 127.0.0.1 --port "$port" \
        --data-dir "$data" --username "$LABEL_STUDIO_USERNAME" --password "$LABEL_STUDIO_PASSWORD" \
        --user-token "$LABEL_STUDIO_USER_TOKEN"
}

case "${1:-start}" in
    install) install; echo "$VENV" ;;
    start) start ;;
    *) echo "usage: $0 [install|start]" >&2; exit 2 ;;
esac
