#!/usr/bin/env bash
# Makes sure a Redis server answers at $REDIS_HOST:$REDIS_PORT (default
# 127.0.0.1:6379), starting a throwaway one (no persistence) when it is down.
# The shared rate-limit tests (REDIS_URL) run against it.
set -euo pipefail
host=${REDIS_HOST:-127.0.0.1}
port=${REDIS_PORT:-6379}
answers() { [ "$(redis-cli -h "$host" -p "$port" ping 2>/dev/null)" = PONG ]; }
if answers; then
  exit 0
fi
if ! command -v redis-server >/dev/null; then
  echo "No Redis at $host:$port and no redis-server to start (apt-get install redis-server)." >&2
  exit 1
fi
echo "Redis is down; starting one on $host:$port" >&2
redis-server --daemonize yes --bind "$host" -::1 --port "$port" --save "" --appendonly no >/dev/null
for _ in $(seq 1 30); do
  answers && exit 0
  sleep 0.2
done
echo "Redis did not come up at $host:$port." >&2
exit 1
