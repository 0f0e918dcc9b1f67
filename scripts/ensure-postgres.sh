#!/usr/bin/env bash
# Makes sure a Postgres server answers at $PGHOST:$PGPORT (default 127.0.0.1:5432),
# starting the machine's own cluster when it is down.
set -euo pipefail
host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}
if pg_isready -q -h "$host" -p "$port"; then
  exit 0
fi
if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  echo "Postgres is down; starting the local cluster" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
fi
for _ in $(seq 1 30); do
  pg_isready -q -h "$host" -p "$port" && exit 0
  sleep 1
done
echo "No Postgres at $host:$port. Start one (trust auth for user postgres) or set DATABASE_URL." >&2
exit 1
