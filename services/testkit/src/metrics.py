"""Reads OpenMetrics text on stdin with the Prometheus project's strict parser
and prints its samples as JSON: [{"name", "labels", "value"}]."""
import json
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families

samples = [
    {"name": s.name, "labels": s.labels, "value": s.value}
    for family in text_string_to_metric_families(sys.stdin.read())
    for s in family.samples
]
json.dump(samples, sys.stdout)
