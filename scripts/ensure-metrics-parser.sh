#!/usr/bin/env bash
# Installs the Prometheus project's own Python client, whose OpenMetrics parser
# the metrics tests read `GET /metrics` with (an independent, strict reader),
# into a venv under ${IMGUP_CACHE:-$HOME/.cache/imgup}/venv-metrics.
set -euo pipefail
venv=${IMGUP_CACHE:-$HOME/.cache/imgup}/venv-metrics
if "$venv/bin/python" -c 'import prometheus_client' 2>/dev/null; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check 'prometheus-client==0.23.1'
