#!/usr/bin/env bash
# Offline checks of everything the operator ships or emits (no cluster needed):
#   - `crdgen` output equals crds/imageuploadstacks.yaml (and the chart's copy);
#   - the CRD, every object `imgup-operator render` emits for every sample, and
#     the Helm chart rendered with several value sets pass the official
#     Kubernetes JSON schemas in strict mode (PyPI kubernetes-validate), all
#     but the chart's ServiceMonitor (a Prometheus Operator kind those
#     schemas lack), which passes a vendored subset of its own schema;
#   - the chart passes `helm lint --strict` (PyPI helm-python-sdk, the Helm v4
#     library) and its RBAC has no wildcards;
#   - every sample in operator/samples validates against the CRD's own
#     openAPIV3Schema (PyPI jsonschema), and every sample in
#     operator/samples/invalid is rejected by it;
#   - the CRD's CEL rules (x-kubernetes-validations) hold for every sample and
#     refuse every sample in operator/samples/invalid-cel, evaluated by
#     cel-python (PyPI) after the schema's defaults are filled in.
# Python tools go into a venv under ${IMGUP_CACHE:-$HOME/.cache/imgup}/venv-k8s.
# Rendered files land in ${CARGO_TARGET_DIR:-target}/operator-manifests.
# Exits non-zero when any check fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# The Kubernetes version the operator is built against (k8s-openapi feature
# v1_33 in Cargo.toml); the schemas are checked for that version.
K8S_VERSION=1.33
CACHE="${IMGUP_CACHE:-$HOME/.cache/imgup}"
VENV="$CACHE/venv-k8s"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$TARGET/operator-manifests"
PY_PACKAGES=(kubernetes-validate==1.37.0 jsonschema==4.26.0 helm-python-sdk==0.2.2 PyYAML==6.0.4 cel-python==0.5.0)

# --- tools -------------------------------------------------------------------
STAMP="$VENV/.imgup-packages"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "${PY_PACKAGES[*]}" ]; then
  echo "setting up $VENV"
  rm -rf "$VENV"
  mkdir -p "$CACHE"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}"
  echo "${PY_PACKAGES[*]}" > "$STAMP"
fi
PY="$VENV/bin/python"
KV=("$VENV/bin/kubernetes-validate" --strict --kubernetes-version "$K8S_VERSION")

echo "building imgup-operator"
cargo build --quiet --locked -p imgup-operator --bins
BIN="$TARGET/debug"

rm -rf "$OUT"
mkdir -p "$OUT"

passed=0
failed=0
check() {
  local name="$1"
  shift
  if "$@" >"$OUT/.last.log" 2>&1; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name"
    sed 's/^/     /' "$OUT/.last.log"
  fi
}
fails() { ! "$@"; }

# kubernetes-validate prints failures but must also exit non-zero on them;
# a warning (e.g. a kind it does not know) counts as a failure here too.
strict_validate() {
  local out
  out="$("${KV[@]}" "$@" 2>&1)" || { echo "$out"; return 1; }
  echo "$out"
  if grep -qiE "warn|error|fail" <<<"$out"; then return 1; fi
}

# Validates manifests against the CRD's own openAPIV3Schema.
cr_schema_validate() {
  "$PY" - "$ROOT/crds/imageuploadstacks.yaml" "$@" <<'PY'
import sys, yaml, jsonschema

crd = yaml.safe_load(open(sys.argv[1]))
(version,) = [v for v in crd["spec"]["versions"] if v["storage"]]

def to_json_schema(node):
    """OpenAPI v3.0 (as Kubernetes uses it) to JSON Schema: `nullable`."""
    if isinstance(node, dict):
        out = {k: to_json_schema(v) for k, v in node.items()
               if k != "nullable" and not k.startswith("x-kubernetes-")}
        if node.get("nullable") and "type" in out:
            out["type"] = [out["type"], "null"]
        return out
    if isinstance(node, list):
        return [to_json_schema(v) for v in node]
    return node

schema = to_json_schema(version["schema"]["openAPIV3Schema"])
validator = jsonschema.Draft7Validator(schema)
bad = 0
for path in sys.argv[2:]:
    for doc in yaml.safe_load_all(open(path)):
        if doc is None:
            continue
        assert doc.get("apiVersion") == f'{crd["spec"]["group"]}/{version["name"]}', doc.get("apiVersion")
        assert doc.get("kind") == crd["spec"]["names"]["kind"], doc.get("kind")
        for e in validator.iter_errors(doc):
            bad += 1
            print(f"{path}: {'/'.join(map(str, e.path))}: {e.message}")
sys.exit(1 if bad else 0)
PY
}

# --- the CRD -----------------------------------------------------------------
check "crdgen output equals crds/imageuploadstacks.yaml" \
  diff -u crds/imageuploadstacks.yaml <("$BIN/crdgen")
check "chart carries the same CRD" \
  diff -u crds/imageuploadstacks.yaml charts/imgup-operator/crds/imageuploadstacks.yaml
check "CRD passes the Kubernetes $K8S_VERSION schema (strict)" \
  strict_validate crds/imageuploadstacks.yaml

# --- the samples -------------------------------------------------------------
for f in operator/samples/*.yaml; do
  s="$(basename "$f" .yaml)"
  check "sample $s matches the CRD schema" cr_schema_validate "$f"
  # shellcheck disable=SC2016 # the inner shell expands its own arguments
  check "sample $s renders" sh -c '"$1" render "$2" > "$3"' _ "$BIN/imgup-operator" "$f" "$OUT/sample-$s.yaml"
  check "objects emitted for sample $s pass the Kubernetes $K8S_VERSION schemas (strict)" \
    strict_validate "$OUT/sample-$s.yaml"
done
for f in operator/samples/invalid/*.yaml; do
  check "invalid sample $(basename "$f" .yaml) is rejected by the CRD schema" fails cr_schema_validate "$f"
done

# The CRD's CEL rules (x-kubernetes-validations), evaluated as the API server
# does after defaulting: by cel-python (PyPI), on every sample and on the
# specs only a rule can refuse.
cel_validate() {
  "$PY" - "$ROOT/crds/imageuploadstacks.yaml" "$1" <<'PY'
import sys, yaml, celpy
crd = yaml.safe_load(open(sys.argv[1]))
schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
env = celpy.Environment()
failures, rules = [], 0

def walk(schema, value, path):
    global rules
    if isinstance(value, dict):
        for key, sub in schema.get("properties", {}).items():
            if key not in value and "default" in sub:
                value[key] = sub["default"]
    for v in schema.get("x-kubernetes-validations", []):
        rules += 1
        program = env.program(env.compile(v["rule"]))
        result = program.evaluate({"self": celpy.json_to_cel(value)})
        if not (isinstance(result, celpy.celtypes.BoolType) and bool(result)):
            failures.append(f"{path or '<root>'}: {v.get('message', v['rule'])}")
    if isinstance(value, dict):
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                walk(sub, value[key], f"{path}.{key}" if path else key)
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            walk(schema["items"], item, f"{path}[{i}]")

for doc in yaml.safe_load_all(open(sys.argv[2])):
    if doc:
        walk(schema, doc, "")
for f in failures:
    print(f)
print(f"{rules} rules evaluated")
sys.exit(1 if failures else 0)
PY
}
for f in operator/samples/*.yaml; do
  check "sample $(basename "$f" .yaml) passes the CRD's CEL rules (cel-python)" cel_validate "$f"
done
schema_passes_but_cel_refuses() { cr_schema_validate "$1" && ! cel_validate "$1"; }
for f in operator/samples/invalid-cel/*.yaml; do
  check "invalid sample $(basename "$f" .yaml) passes the schema but is refused by a CEL rule" \
    schema_passes_but_cel_refuses "$f"
done

# The validators themselves must be able to fail (guards against a check
# that passes whatever it is given).
cat >"$OUT/negative-deployment.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  replicas: 1
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers: [{name: c, image: x, notAField: true}]
EOF
check "strict Kubernetes validation rejects an unknown field" fails strict_validate "$OUT/negative-deployment.yaml"

# --- the operator binary -----------------------------------------------------
# Runs the real binary against a minimal fake API server (HTTP, in Python):
# it must take the leader Lease, watch stacks and their workloads, answer
# /healthz and /metrics, stay small when idle, and on SIGTERM release the
# Lease and exit 0.
smoke_binary() {
  "$PY" - "$BIN/imgup-operator" "$OUT" <<'PY'
import json, os, random, signal, socket, subprocess, sys, threading, time, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

binary, out = sys.argv[1], sys.argv[2]
calls, leases = [], {}

class Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def read(self):
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
    def do_GET(self):
        path, _, query = self.path.partition("?")
        watch = "watch=true" in query or "watch=1" in query
        calls.append(f"GET {path}" + (" watch" if watch else ""))
        if "/leases/" in path:
            lease = leases.get(path.rsplit("/", 1)[1])
            if lease:
                return self.reply(200, lease)
            return self.reply(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                    "code": 404, "reason": "NotFound", "message": "not found"})
        if watch:  # an open watch with no events
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            time.sleep(600)
            return
        self.reply(200, {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": "1"}, "items": []})
    def do_POST(self):
        obj = self.read()
        calls.append(f"POST {self.path.partition('?')[0]} holder={obj['spec'].get('holderIdentity')}")
        obj["metadata"]["resourceVersion"] = "1"
        leases[obj["metadata"]["name"]] = obj
        self.reply(201, obj)
    def do_PUT(self):
        obj = self.read()
        calls.append(f"PUT {self.path.partition('?')[0]} holder={obj['spec'].get('holderIdentity')}")
        obj["metadata"]["resourceVersion"] = str(int(obj["metadata"]["resourceVersion"]) + 1)
        leases[obj["metadata"]["name"]] = obj
        self.reply(200, obj)

srv = ThreadingHTTPServer(("127.0.0.1", 0), Api)
srv.daemon_threads = True
threading.Thread(target=srv.serve_forever, daemon=True).start()
kubeconfig = os.path.join(out, "fake-kubeconfig.yaml")
with open(kubeconfig, "w") as f:
    json.dump({"apiVersion": "v1", "kind": "Config", "current-context": "fake",
               "clusters": [{"name": "fake", "cluster": {"server": f"http://127.0.0.1:{srv.server_address[1]}"}}],
               "users": [{"name": "fake", "user": {}}],
               "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake", "namespace": "imgup-system"}}]}, f)
# A port below the ephemeral range, which no outgoing connection can take
# before the operator binds it.
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
while True:
    sock = socket.socket()
    try:
        sock.bind(("127.0.0.1", random.randrange(20000, min(low, 32768))))
        break
    except OSError:
        sock.close()
metrics_port = sock.getsockname()[1]; sock.close()
env = dict(os.environ, KUBECONFIG=kubeconfig, METRICS_ADDR=f"127.0.0.1:{metrics_port}",
           POD_NAME="smoke-0", POD_NAMESPACE="imgup-system", LEASE_DURATION_SECONDS="3", RUST_LOG="info")
log = open(os.path.join(out, "operator-smoke.log"), "w")
op = subprocess.Popen([binary], env=env, stdout=log, stderr=subprocess.STDOUT)

def get(path):
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}{path}", timeout=2) as r:
        return r.status, r.read().decode()

def wait_for(what, pred, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if pred():
                return
        except OSError:
            pass
        if op.poll() is not None:
            sys.exit(f"operator exited early ({op.returncode}); see {log.name}")
        time.sleep(0.2)
    op.kill()
    sys.exit(f"timed out waiting for {what}; calls: {calls}")

try:
    wait_for("leadership", lambda: "imgup_operator_leader 1" in get("/metrics")[1])
    want = ["GET /apis/imgup.dev/v1alpha1/imageuploadstacks watch", "GET /apis/apps/v1/deployments watch",
            "GET /apis/apps/v1/statefulsets watch", "GET /apis/batch/v1/jobs watch"]
    wait_for("watches", lambda: all(w in calls for w in want))
    lease = "/apis/coordination.k8s.io/v1/namespaces/imgup-system/leases"
    assert f"POST {lease} holder=smoke-0" in calls, calls
    wait_for("a lease renewal", lambda: f"PUT {lease}/imgup-operator holder=smoke-0" in calls)
    assert get("/healthz") == (200, "ok")
    assert get("/readyz")[0] == 200
    time.sleep(2)  # idle
    rss_kb = int([l.split()[1] for l in open(f"/proc/{op.pid}/status") if l.startswith("VmRSS")][0])
    print(f"idle resident memory: {rss_kb / 1024:.1f} MiB (debug build)")
    assert rss_kb < 64 * 1024, "idle operator uses more than 64 MiB"
    op.send_signal(signal.SIGTERM)
    code = op.wait(timeout=15)
    assert code == 0, f"exit code {code} after SIGTERM"
    assert calls[-1] == f"PUT {lease}/imgup-operator holder=None", f"lease not released: {calls[-3:]}"
    print("leader lease taken, renewed and released; watches up; clean exit")
    # The Lease as the operator wrote it, for the schema check below.
    import yaml
    with open(os.path.join(out, "operator-lease.yaml"), "w") as f:
        yaml.safe_dump(leases["imgup-operator"], f)
finally:
    if op.poll() is None:
        op.kill()
PY
}
check "operator binary leads, watches, serves health and metrics, exits cleanly" smoke_binary
grep -h "idle resident" "$OUT/.last.log" | sed 's/^/     /' || true
check "the Lease the operator writes passes the Kubernetes $K8S_VERSION schema (strict)" \
  strict_validate "$OUT/operator-lease.yaml"

# --- the Helm chart ----------------------------------------------------------
helm_check() {
  "$PY" - "$ROOT/charts/imgup-operator" "$OUT" "$K8S_VERSION" <<'PY'
import json, sys, yaml
import helm_python as helm

chart_dir, out, k8s = sys.argv[1], sys.argv[2], sys.argv[3]
report = helm.lint(chart_dir, strict=True, kube_version=f"v{k8s}.0")
problems = [m for m in report["messages"] if m["severity"] >= 2] + report["errors"]
if problems:
    print("helm lint:", json.dumps(problems, indent=2))
    sys.exit(1)

value_sets = {
    "default": {},
    "ha": {"replicaCount": 2, "metrics": {"service": {"enabled": False}, "scrapeAnnotations": False},
           "image": {"tag": "0.1.1", "pullPolicy": "Always"},
           "nodeSelector": {"kubernetes.io/os": "linux"},
           "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
           "podAnnotations": {"team": "images"}},
    "no-leader-election": {"leaderElection": {"enabled": False},
                           "serviceAccount": {"create": False, "name": "existing"}},
    "network-policy-and-monitor": {
        "networkPolicy": {"enabled": True, "apiServer": {"cidrs": ["172.18.0.2/32"]},
                          "metricsFrom": [{"namespaceSelector": {"matchLabels": {
                              "kubernetes.io/metadata.name": "monitoring"}}}]},
        "serviceMonitor": {"enabled": True, "interval": "15s", "scrapeTimeout": "10s",
                           "labels": {"release": "kube-prometheus-stack"}}},
}
# Kinds the Kubernetes schemas do not know: kept out of the strict check and
# checked on their own (below, against a vendored schema).
CUSTOM_KINDS = ("ServiceMonitor",)
chart = helm.Chart.load(chart_dir)
for name, values in value_sets.items():
    rendered = chart.render(values, name="imgup-operator", namespace="imgup-system", is_install=True)
    docs = [d for path, text in sorted(rendered.items()) if path.endswith((".yaml", ".yml"))
            for d in yaml.safe_load_all(text) if d]
    kinds = sorted(d["kind"] for d in docs)
    print(name, kinds)
    optional = {"NetworkPolicy", "ServiceMonitor"}
    if name == "network-policy-and-monitor":
        assert optional <= set(kinds), f"{name}: {kinds}"
    else:
        assert not optional & set(kinds), f"{name}: off by default, yet {kinds}"
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    for policy in by_kind.get("NetworkPolicy", []):
        (deploy,) = by_kind["Deployment"]
        pod = deploy["spec"]["template"]
        labels = pod["metadata"]["labels"]
        selected = policy["spec"]["podSelector"]["matchLabels"]
        assert selected.items() <= labels.items(), f"NetworkPolicy selects {selected}, pod has {labels}"
        ports = {p["name"] for p in pod["spec"]["containers"][0]["ports"]}
        (ingress,) = policy["spec"]["ingress"]
        assert {p["port"] for p in ingress["ports"]} <= ports, ingress
        assert ingress["from"] == values["networkPolicy"]["metricsFrom"], ingress
        egress_ports = sorted(p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"])
        assert egress_ports == [53, 53, 443, 6443], egress_ports
        assert policy["spec"]["egress"][0]["to"] == [{"ipBlock": {"cidr": "172.18.0.2/32"}}]
    for monitor in by_kind.get("ServiceMonitor", []):
        (svc,) = by_kind["Service"]
        selected = monitor["spec"]["selector"]["matchLabels"]
        assert selected.items() <= svc["metadata"]["labels"].items(), f"selects {selected}"
        (endpoint,) = monitor["spec"]["endpoints"]
        assert endpoint["port"] in {p["name"] for p in svc["spec"]["ports"]}, endpoint
        assert (endpoint["path"], endpoint["interval"], endpoint["scrapeTimeout"]) == ("/metrics", "15s", "10s")
        assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["imgup-system"]}
        assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    for d in docs:
        if d["kind"] in ("ClusterRole", "Role"):
            for rule in d["rules"]:
                for field in ("apiGroups", "resources", "verbs"):
                    if "*" in rule.get(field, []):
                        print(f"{name}: wildcard in {d['kind']} {field}: {rule}")
                        sys.exit(1)
        if d["kind"] == "Deployment":
            pod = d["spec"]["template"]["spec"]
            c = pod["containers"][0]
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] and sc["runAsNonRoot"], "hardening"
            assert c["resources"]["requests"] and c["resources"]["limits"], "requests and limits"
            assert c["livenessProbe"] and c["readinessProbe"], "probes"
            notes = d["spec"]["template"]["metadata"].get("annotations", {})
            if name == "default":
                assert notes == {"prometheus.io/scrape": "true", "prometheus.io/port": "8080",
                                 "prometheus.io/path": "/metrics"}, f"scrape annotations: {notes}"
            if name == "ha":
                assert notes == {"team": "images"}, f"podAnnotations alone: {notes}"
    with open(f"{out}/chart-{name}.yaml", "w") as f:
        yaml.safe_dump_all([d for d in docs if d["kind"] not in CUSTOM_KINDS], f, sort_keys=False)
    custom = [d for d in docs if d["kind"] in CUSTOM_KINDS]
    if custom:
        with open(f"{out}/chart-{name}-custom.yaml", "w") as f:
            yaml.safe_dump_all(custom, f, sort_keys=False)

# values.schema.json turns mistyped values into errors, not odd manifests.
for bad in ({"replicaCount": "two"}, {"logFormat": "xml"}, {"leaderElection": {"enabld": True}},
            {"serviceMonitor": {"interval": "soon"}}, {"networkPolicy": {"apiServer": {"ports": [0]}}},
            # A ServiceMonitor needs the Service it scrapes.
            {"serviceMonitor": {"enabled": True}, "metrics": {"service": {"enabled": False}}}):
    try:
        chart.render(bad, name="imgup-operator", namespace="imgup-system", is_install=True)
    except helm.HelmError:
        continue
    print(f"values {bad} were accepted")
    sys.exit(1)
PY
}
check "chart lints (strict), renders with default, ha, no-leader-election and network-policy-and-monitor values, rejects mistyped values" helm_check
for v in default ha no-leader-election network-policy-and-monitor; do
  if [ -f "$OUT/chart-$v.yaml" ]; then
    check "chart rendered with $v values passes the Kubernetes $K8S_VERSION schemas (strict)" \
      strict_validate "$OUT/chart-$v.yaml"
  fi
done

# The ServiceMonitor is a Prometheus Operator kind, which kubernetes-validate
# does not know (and would count as a failure). It is checked against a
# vendored subset of monitoring.coreos.com/v1 ServiceMonitor's schema
# (prometheus-operator v0.84, example/prometheus-operator-crd/
# monitoring.coreos.com_servicemonitors.yaml): the fields the chart writes,
# with their types and patterns, and nothing else (additionalProperties:
# false), so a misspelt or unknown field fails as in strict mode.
servicemonitor_validate() {
  "$PY" - "$@" <<'PY'
import sys, yaml, jsonschema

duration = {"type": "string",
            "pattern": r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"}
strings = {"type": "object", "additionalProperties": {"type": "string"}}
dns_subdomain = {"type": "string", "maxLength": 253,
                 "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"}
schema = {
    "type": "object", "additionalProperties": False, "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "ServiceMonitor"},
        "metadata": {"type": "object", "additionalProperties": False, "required": ["name"],
                     "properties": {"name": dns_subdomain, "namespace": dns_subdomain,
                                    "labels": strings, "annotations": strings}},
        "spec": {
            "type": "object", "additionalProperties": False, "required": ["endpoints", "selector"],
            "properties": {
                "jobLabel": {"type": "string"},
                "selector": {"type": "object", "additionalProperties": False,
                             "properties": {"matchLabels": strings,
                                            "matchExpressions": {"type": "array", "items": {
                                                "type": "object", "required": ["key", "operator"],
                                                "properties": {"key": {"type": "string"},
                                                               "operator": {"type": "string"},
                                                               "values": {"type": "array", "items": {"type": "string"}}}}}}},
                "namespaceSelector": {"type": "object", "additionalProperties": False,
                                      "properties": {"any": {"type": "boolean"},
                                                     "matchNames": {"type": "array", "items": {"type": "string"}}}},
                "endpoints": {"type": "array", "items": {
                    "type": "object", "additionalProperties": False,
                    "properties": {"port": {"type": "string"}, "path": {"type": "string"},
                                   "scheme": {"enum": ["http", "https", "HTTP", "HTTPS"]},
                                   "interval": duration, "scrapeTimeout": duration,
                                   "honorLabels": {"type": "boolean"}}}},
            },
        },
    },
}
validator = jsonschema.Draft7Validator(schema)
bad = 0
for path in sys.argv[1:]:
    for doc in yaml.safe_load_all(open(path)):
        if not doc:
            continue
        if doc.get("kind") != "ServiceMonitor":
            print(f"{path}: unexpected kind {doc.get('kind')}")
            bad += 1
            continue
        for e in validator.iter_errors(doc):
            bad += 1
            print(f"{path}: {'/'.join(map(str, e.path))}: {e.message}")
sys.exit(1 if bad else 0)
PY
}
for f in "$OUT"/chart-*-custom.yaml; do
  [ -e "$f" ] || continue
  v="$(basename "$f" -custom.yaml)"
  v="${v#chart-}"
  check "ServiceMonitor of the chart rendered with $v values passes the vendored monitoring.coreos.com/v1 schema" \
    servicemonitor_validate "$f"
done
cat >"$OUT/negative-servicemonitor.yaml" <<'EOF'
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: x}
spec:
  selector: {matchLabels: {a: b}}
  endpoints: [{port: http, interval: soon, notAField: true}]
EOF
check "the ServiceMonitor schema rejects a bad interval and an unknown field" \
  fails servicemonitor_validate "$OUT/negative-servicemonitor.yaml"

echo
echo "operator manifests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
