#!/usr/bin/env bash
# Install PostgreSQL and Redis (Debian packages) when missing, for `make test-distributed`.
# The tests start their own throwaway servers on 127.0.0.1; the packages' own services are not
# started (policy-rc.d refuses them while apt runs), so nothing listens on 5432 or 6379.
set -euo pipefail

have_postgres() { command -v initdb >/dev/null || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; }
have_redis() { command -v redis-server >/dev/null; }

if have_postgres && have_redis; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "PostgreSQL and redis-server are needed: apt-get install postgresql redis-server (as root)" >&2
  exit 1
fi
policy=/usr/sbin/policy-rc.d
placed_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  placed_policy=1
fi
trap 'if [ "$placed_policy" = 1 ]; then rm -f "$policy"; fi' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql redis-server >/dev/null
have_postgres && have_redis
