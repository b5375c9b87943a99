#!/usr/bin/env bash
# Installs what the tests need besides npm packages, when it is missing:
#   - PostgreSQL 15 server binaries (Debian's postgresql-15, with pg_stat_statements and auto_explain)
#   - redis-server (Debian's 7.0), for the cache parameter tests
#   - cfn-lint and moto_server (Python; already in this project's machine image)
# Safe to run again: it only installs what is absent. .ci/run calls it before `npm ci`.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

pg_bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/postgres" ]; then
    pg_config --bindir; return 0
  fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

bindir="$(pg_bindir || true)"
if [ -z "$bindir" ] || [ ! -x "$bindir/postgres" ]; then
  echo "install-test-deps: installing PostgreSQL server (Debian postgresql-15)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
  bindir="$(pg_bindir)"
fi
for lib in pg_stat_statements auto_explain; do
  if [ ! -f "$("$bindir/pg_config" --pkglibdir 2>/dev/null || echo "$bindir/../lib")/$lib.so" ]; then
    echo "install-test-deps: PostgreSQL at $bindir lacks $lib" >&2; exit 1
  fi
done
[ "$(id -u)" != 0 ] || id postgres >/dev/null 2>&1 || { echo "install-test-deps: no 'postgres' user (the server refuses to run as root)" >&2; exit 1; }
echo "install-test-deps: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') at $bindir"

if ! command -v redis-server >/dev/null 2>&1; then
  echo "install-test-deps: installing redis-server (Debian)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null 2>&1 \
    || { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
fi
echo "install-test-deps: $(redis-server --version | cut -d' ' -f1-3)"

if ! command -v cfn-lint >/dev/null 2>&1; then
  echo "install-test-deps: installing cfn-lint"
  python3 -m pip install --quiet cfn-lint || { echo "install-test-deps: cfn-lint missing and pip could not install it" >&2; exit 1; }
fi
echo "install-test-deps: $(cfn-lint --version)"

# moto's AWS API server (Python), for the handler and CLI tests; in this project's machine image.
if ! command -v moto_server >/dev/null 2>&1; then
  echo "install-test-deps: installing moto[server]"
  python3 -m pip install --quiet 'moto[server]>=5.2,<5.3' || { echo "install-test-deps: moto_server missing and pip could not install it" >&2; exit 1; }
fi
echo "install-test-deps: moto $(python3 -c 'import moto; print(moto.__version__)' 2>/dev/null || echo '?')"
