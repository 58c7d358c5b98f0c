# Shared by scripts/test and scripts/demo: the pinned Python venv and the collection,
# built and installed from this checkout the way a user installs it.
# shellcheck shell=bash

VENV="${THALASSA_VENV:-$ROOT/.venv}"
BUILD_DIR="$ROOT/.build"
COLLECTIONS_DIR="$BUILD_DIR/collections"

# Python caches what it compiles (__pycache__) unless told not to. An environment that sets
# PYTHONDONTWRITEBYTECODE (the development machine's does) makes every ansible run, every
# forked worker and every controller-side module recompile ansible-core and botocore from
# source: an `ansible -m ping` took 2.5 CPU seconds instead of 1.2, and the integration
# tests run ansible some hundreds of times.
unset PYTHONDONTWRITEBYTECODE

log_env() { printf '[env %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Recreated only when requirements.txt changes (its hash is kept in the venv).
ensure_venv() {
  local want have=""
  want=$(sha256sum "$ROOT/requirements.txt" | cut -c1-16)
  [ -f "$VENV/.requirements-hash" ] && have=$(cat "$VENV/.requirements-hash")
  if [ "$want" != "$have" ]; then
    log_env "installing pinned Python packages into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
    # --no-compile: byte-compiling every installed file (moto and botocore are large) took
    # 54 of the 88 s; Python compiles, and caches (see above), the modules it imports.
    "$VENV/bin/pip" install -q --no-compile -r "$ROOT/requirements.txt"
    echo "$want" > "$VENV/.requirements-hash"
  fi
  # shellcheck source=/dev/null
  source "$VENV/bin/activate"
}

# Build the collection tarball and install it (no Galaxy here: the dependencies come
# from the pinned `ansible` package, hence --no-deps). Playbooks run from this copy.
install_collection() {
  [ -n "${__THALASSA_COLLECTION_INSTALLED:-}" ] && return 0
  rm -rf "$BUILD_DIR/dist" && mkdir -p "$BUILD_DIR/dist"
  ansible-galaxy collection build --force --output-path "$BUILD_DIR/dist" "$ROOT" >/dev/null
  ansible-galaxy collection install --force --no-deps -p "$COLLECTIONS_DIR" \
    "$BUILD_DIR"/dist/thalassa-dbaas-*.tar.gz >/dev/null
  export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS_DIR"
  export ANSIBLE_CONFIG="$ROOT/ansible.cfg"
  export __THALASSA_COLLECTION_INSTALLED=1
}
