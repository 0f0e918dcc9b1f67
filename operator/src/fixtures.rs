//! A scripted stand-in for the Kubernetes API server, behind kube's `Client`
//! through `tower_test::mock`. It keeps objects by path, answers GET, LIST,
//! POST, PUT, PATCH (server-side apply, merge patch, JSON patch) and DELETE
//! the way the API server does for the calls the operator makes, and records
//! every call, so that tests can assert the exact sequence of API calls a
//! reconcile sends. Tests play the cluster's controllers with `mark_ready`.
//!
//! Where the API server's behaviour bit the operator, the fake has it too:
//! server-side apply tracks which field manager owns which field (a field a
//! manager stops applying, and nobody else owns, is removed, and a
//! Deployment without `replicas` is defaulted to 1), and deleting an object
//! deletes the objects whose owner references name it (the garbage
//! collector; `Orphan` only takes the references off).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};

use http::{Method, Request, Response, StatusCode};
use kube::Client;
use kube::client::Body;
use serde_json::{Value, json};

#[derive(Default)]
struct State {
    objects: BTreeMap<String, Value>,
    log: Vec<String>,
    resource_version: u64,
    failures: VecDeque<(String, u16, String)>,
    /// Namespaces being deleted: the API server refuses every create there.
    terminating: Vec<String>,
}

#[derive(Clone)]
pub struct FakeApi {
    state: Arc<Mutex<State>>,
    client: Client,
}

/// Where a request points: `/api/v1/namespaces/ns/plural[/name[/sub]]` or
/// the same under `/apis/group/version`.
struct Target {
    collection: String,
    name: Option<String>,
    sub: Option<String>,
}

fn parse(path: &str) -> Target {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let i = segs
        .iter()
        .position(|s| *s == "namespaces")
        .expect("the operator only calls namespaced APIs");
    let collection = format!("/{}", segs[..i + 3].join("/"));
    Target {
        collection,
        name: segs.get(i + 3).map(|s| s.to_string()),
        sub: segs.get(i + 4).map(|s| s.to_string()),
    }
}

fn query(uri: &http::Uri) -> BTreeMap<String, String> {
    uri.query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn matches_selector(obj: &Value, selector: Option<&String>) -> bool {
    let Some(sel) = selector else { return true };
    sel.split(',').filter(|s| !s.is_empty()).all(|term| {
        let (k, v) = term.split_once('=').expect("equality selectors only");
        obj["metadata"]["labels"][k].as_str() == Some(v)
    })
}

/// A quantity such as `10Gi` in bytes (the binary and decimal suffixes).
fn bytes_of(q: &str) -> Option<u64> {
    let split = q.find(|c: char| !c.is_ascii_digit()).unwrap_or(q.len());
    let (n, unit) = q.split_at(split);
    let scale: u64 = match unit {
        "" => 1,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        _ => return None,
    };
    n.parse::<u64>().ok()?.checked_mul(scale)
}

fn status(code: u16, reason: &str, message: &str) -> (u16, Value) {
    (
        code,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "code": code, "reason": reason, "message": message}),
    )
}

/// RFC 7386 merge patch (also how the fake folds an apply into an object).
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// A field as the path of keys from the object's root.
type FieldPath = Vec<String>;

/// The fields a manager sets with `body`: every path to a scalar, a list or
/// an empty map (lists count whole; the API server tracks their items by
/// key, which the operator's objects do not need). The object's identity
/// (apiVersion, kind, name, namespace) is not a field anyone owns.
fn fields_of(body: &Value) -> BTreeSet<FieldPath> {
    fn walk(v: &Value, path: &mut FieldPath, out: &mut BTreeSet<FieldPath>) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, sub) in m {
                    path.push(k.clone());
                    walk(sub, path, out);
                    path.pop();
                }
            }
            _ => {
                out.insert(path.clone());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(body, &mut Vec::new(), &mut out);
    for identity in [
        &["apiVersion"][..],
        &["kind"],
        &["metadata", "name"],
        &["metadata", "namespace"],
    ] {
        out.remove(
            &identity
                .iter()
                .map(|s| s.to_string())
                .collect::<FieldPath>(),
        );
    }
    out
}

/// `fieldsV1` as the API server writes it: `{"f:spec": {"f:replicas": {}}}`.
fn to_fields_v1(fields: &BTreeSet<FieldPath>) -> Value {
    let mut root = json!({});
    for path in fields {
        let mut node = &mut root;
        for k in path {
            node = node
                .as_object_mut()
                .expect("a map")
                .entry(format!("f:{k}"))
                .or_insert(json!({}));
        }
    }
    root
}

fn from_fields_v1(v: &Value) -> BTreeSet<FieldPath> {
    fn walk(v: &Value, path: &mut FieldPath, out: &mut BTreeSet<FieldPath>) {
        match v.as_object() {
            Some(m) if !m.is_empty() => {
                for (k, sub) in m {
                    path.push(k.strip_prefix("f:").unwrap_or(k).to_string());
                    walk(sub, path, out);
                    path.pop();
                }
            }
            _ => {
                out.insert(path.clone());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

/// The fields each manager of `obj` owns, by manager and operation.
fn managed_fields(obj: &Value) -> Vec<(String, String, BTreeSet<FieldPath>)> {
    obj["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            (
                m["manager"].as_str().unwrap_or_default().to_string(),
                m["operation"].as_str().unwrap_or_default().to_string(),
                from_fields_v1(&m["fieldsV1"]),
            )
        })
        .collect()
}

fn set_managed_fields(obj: &mut Value, entries: Vec<(String, String, BTreeSet<FieldPath>)>) {
    obj["metadata"]["managedFields"] = entries
        .into_iter()
        .filter(|(_, _, fields)| !fields.is_empty())
        .map(|(manager, operation, fields)| {
            json!({"manager": manager, "operation": operation, "apiVersion": "v1",
                   "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(&fields)})
        })
        .collect();
}

fn remove_field(obj: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = obj;
    for k in parents {
        match node.get_mut(k) {
            Some(next) => node = next,
            None => return,
        }
    }
    if let Some(m) = node.as_object_mut() {
        m.remove(last);
    }
}

/// A server-side apply of `body` by `manager` onto `obj`: the fields the
/// manager applied before, leaves out now, and no other manager owns are
/// removed; then the body is merged in and the manager owns what it sent.
fn server_side_apply(obj: &mut Value, body: &Value, manager: &str) {
    let now = fields_of(body);
    let mut entries = managed_fields(obj);
    let before: BTreeSet<FieldPath> = entries
        .iter()
        .filter(|(m, op, _)| m == manager && op == "Apply")
        .flat_map(|(_, _, f)| f.clone())
        .collect();
    let others: BTreeSet<FieldPath> = entries
        .iter()
        .filter(|(m, op, _)| !(m == manager && op == "Apply"))
        .flat_map(|(_, _, f)| f.clone())
        .collect();
    for dropped in before.difference(&now).filter(|f| !others.contains(*f)) {
        remove_field(obj, dropped);
    }
    // Forced: what this manager sets now is no longer another's.
    for (_, _, fields) in entries.iter_mut() {
        fields.retain(|f| !now.contains(f));
    }
    entries.retain(|(m, op, _)| !(m == manager && op == "Apply"));
    entries.push((manager.to_string(), "Apply".to_string(), now));
    merge(obj, body);
    set_managed_fields(obj, entries);
}

/// An update (merge patch) by a manager that does not apply: the fields it
/// changes are no longer owned by the managers that applied them, as the
/// API server takes them over for the updater (the autoscaler writing
/// `replicas`, the operator growing a claim).
fn update_takes_fields(obj: &mut Value, patch: &Value) {
    let changed = fields_of(patch);
    let mut entries = managed_fields(obj);
    if entries.is_empty() {
        return;
    }
    for (_, _, fields) in entries.iter_mut() {
        fields.retain(|f| !changed.contains(f));
    }
    set_managed_fields(obj, entries);
}

/// RFC 6902 JSON patch: the `test`, `add`, `remove` and `replace` ops.
fn json_patch(target: &mut Value, ops: &Value) -> Result<(), String> {
    for op in ops.as_array().ok_or("not a patch list")? {
        let path = op["path"].as_str().ok_or("no path")?;
        let (parent_path, last) = path.rsplit_once('/').ok_or("bad path")?;
        let pointer = |v: &Value| v.pointer(path).cloned();
        match op["op"].as_str() {
            Some("test") => {
                let have = pointer(target).unwrap_or(Value::Null);
                if have != op["value"] {
                    return Err(format!("test failed at {path}"));
                }
            }
            Some("add" | "replace") => {
                let parent = target.pointer_mut(parent_path).ok_or("no parent")?;
                match parent {
                    Value::Object(m) => {
                        m.insert(last.to_string(), op["value"].clone());
                    }
                    Value::Array(a) if last == "-" => a.push(op["value"].clone()),
                    Value::Array(a) => {
                        let i: usize = last.parse().map_err(|_| "bad index")?;
                        a.insert(i, op["value"].clone());
                    }
                    _ => return Err("bad parent".into()),
                }
            }
            Some("remove") => {
                let parent = target.pointer_mut(parent_path).ok_or("no parent")?;
                match parent {
                    Value::Object(m) => {
                        m.remove(last);
                    }
                    Value::Array(a) => {
                        let i: usize = last.parse().map_err(|_| "bad index")?;
                        a.remove(i);
                    }
                    _ => return Err("bad parent".into()),
                }
            }
            other => return Err(format!("unsupported op {other:?}")),
        }
    }
    Ok(())
}

impl State {
    /// The garbage collector, once `owner` is deleted: its dependents (the
    /// objects whose owner references name its uid) are deleted too, and
    /// theirs in turn, unless the delete asked to orphan them, which only
    /// takes the references off. (The API server does this in the
    /// background; here it is done at once.)
    fn collect_garbage(&mut self, owner: &Value, delete_options: &Value) {
        let orphan = delete_options["propagationPolicy"] == "Orphan"
            || delete_options["orphanDependents"] == true;
        let mut owners: Vec<String> = owner["metadata"]["uid"]
            .as_str()
            .map(String::from)
            .into_iter()
            .collect();
        while let Some(uid) = owners.pop() {
            let names_owner = |o: &Value| {
                o["metadata"]["ownerReferences"]
                    .as_array()
                    .is_some_and(|refs| refs.iter().any(|r| r["uid"] == uid.as_str()))
            };
            let dependents: Vec<String> = self
                .objects
                .iter()
                .filter(|(_, o)| names_owner(o))
                .map(|(k, _)| k.clone())
                .collect();
            for key in dependents {
                if orphan {
                    let o = self.objects.get_mut(&key).expect("listed");
                    if let Some(refs) = o["metadata"]["ownerReferences"].as_array_mut() {
                        refs.retain(|r| r["uid"] != uid.as_str());
                    }
                } else if let Some(o) = self.objects.remove(&key) {
                    owners.extend(o["metadata"]["uid"].as_str().map(String::from));
                }
            }
        }
    }

    fn next_rv(&mut self) -> String {
        self.resource_version += 1;
        self.resource_version.to_string()
    }

    fn stamp_new(&mut self, obj: &mut Value, ns: &str, collection: &str) {
        let rv = self.next_rv();
        let meta = &mut obj["metadata"];
        meta["resourceVersion"] = json!(rv);
        meta["uid"] = json!(format!("uid-{rv}"));
        // Like the API server: only kinds with a spec/status split count
        // generations (ConfigMaps, Services, Secrets have none).
        let generations = [
            "/deployments",
            "/statefulsets",
            "/jobs",
            "/imageuploadstacks",
            "/horizontalpodautoscalers",
            "/poddisruptionbudgets",
            "/ingresses",
        ];
        if generations.iter().any(|g| collection.ends_with(g)) {
            meta["generation"] = json!(1);
        }
        meta["namespace"] = json!(ns);
        meta["creationTimestamp"] = json!("2026-01-01T00:00:00Z");
    }

    fn handle(&mut self, req: &Request<()>, body: &[u8]) -> (u16, Value) {
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let q = query(req.uri());
        let content_type = req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let call = if method == Method::PATCH {
            let kind = match content_type.as_str() {
                "application/apply-patch+yaml" => "apply",
                "application/merge-patch+json" => "merge",
                "application/json-patch+json" => "json",
                _ => "other",
            };
            format!("PATCH[{kind}] {path}")
        } else if method == Method::GET && parse(&path).name.is_none() {
            match q.get("labelSelector") {
                Some(sel) => format!("LIST {path}?labelSelector={sel}"),
                None => format!("LIST {path}"),
            }
        } else if method == Method::DELETE && parse(&path).name.is_none() {
            format!(
                "DELETECOLLECTION {path}?labelSelector={}",
                q.get("labelSelector").cloned().unwrap_or_default()
            )
        } else {
            format!("{method} {path}")
        };
        self.log.push(call.clone());
        if let Some(pos) = self.failures.iter().position(|(c, _, _)| *c == call) {
            let (_, code, message) = self.failures.remove(pos).unwrap();
            return status(code, "Injected", &message);
        }
        let t = parse(&path);
        let ns = path
            .split('/')
            .skip_while(|s| *s != "namespaces")
            .nth(1)
            .unwrap_or("");
        let ns = ns.to_string();
        let body: Value = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(body).expect("the client sends JSON")
        };
        let item_key = t.name.as_ref().map(|n| format!("{}/{n}", t.collection));
        let creates = method == Method::POST
            || (method == Method::PATCH
                && content_type == "application/apply-patch+yaml"
                && item_key
                    .as_ref()
                    .is_some_and(|k| !self.objects.contains_key(k)));
        if method == Method::POST
            && t.collection.ends_with("/events")
            && body["note"].as_str().is_some_and(|n| n.len() > 1024)
        {
            return status(
                422,
                "Invalid",
                "Event.events.k8s.io is invalid: note: Too long: may not be more than 1024 bytes",
            );
        }
        if creates && self.terminating.contains(&ns) {
            return status(
                403,
                "Forbidden",
                &format!(
                    "unable to create new content in namespace {ns} because it is being terminated"
                ),
            );
        }

        match (method, item_key) {
            (Method::GET, Some(key)) => match self.objects.get(&key) {
                Some(o) => (200, o.clone()),
                None => status(404, "NotFound", &format!("{key} not found")),
            },
            (Method::GET, None) => {
                let prefix = format!("{}/", t.collection);
                let items: Vec<Value> = self
                    .objects
                    .iter()
                    .filter(|(k, v)| {
                        k.starts_with(&prefix)
                            && !k[prefix.len()..].contains('/')
                            && matches_selector(v, q.get("labelSelector"))
                    })
                    .map(|(_, v)| v.clone())
                    .collect();
                (
                    200,
                    json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": "1"}, "items": items}),
                )
            }
            (Method::POST, None) => {
                let mut obj = body;
                let name = obj["metadata"]["name"].as_str().expect("named").to_string();
                let key = format!("{}/{name}", t.collection);
                if self.objects.contains_key(&key) {
                    return status(409, "AlreadyExists", &format!("{key} already exists"));
                }
                self.stamp_new(&mut obj, &ns, &t.collection);
                self.objects.insert(key, obj.clone());
                (201, obj)
            }
            (Method::PUT, Some(key)) => {
                let Some(old) = self.objects.get(&key) else {
                    return status(404, "NotFound", "not found");
                };
                if old["metadata"]["resourceVersion"] != body["metadata"]["resourceVersion"] {
                    return status(409, "Conflict", "the object has been modified");
                }
                let mut obj = body;
                obj["metadata"]["resourceVersion"] = json!(self.next_rv());
                self.objects.insert(key, obj.clone());
                (200, obj)
            }
            (Method::PATCH, Some(key)) => {
                let managers = [
                    crate::resources::FIELD_MANAGER,
                    crate::resources::REPLICAS_HANDOVER_MANAGER,
                ];
                if content_type == "application/apply-patch+yaml"
                    && (!q
                        .get("fieldManager")
                        .is_some_and(|m| managers.contains(&m.as_str()))
                        || q.get("force").map(String::as_str) != Some("true"))
                {
                    return status(
                        400,
                        "BadRequest",
                        "apply without the operator's field manager",
                    );
                }
                let existing = self.objects.get(&key).cloned();
                let mut obj = match (existing, content_type.as_str()) {
                    (Some(o), _) => o,
                    (None, "application/apply-patch+yaml") if t.sub.is_none() => {
                        let mut o = json!({"metadata": {}});
                        self.stamp_new(&mut o, &ns, &t.collection);
                        o
                    }
                    (None, _) => return status(404, "NotFound", &format!("{key} not found")),
                };
                let spec_before = obj["spec"].clone();
                match content_type.as_str() {
                    "application/json-patch+json" => {
                        if let Err(e) = json_patch(&mut obj, &body) {
                            return status(422, "Invalid", &e);
                        }
                    }
                    _ if t.sub.as_deref() == Some("status") => {
                        obj["status"] = body["status"].clone();
                    }
                    _ => {
                        let rv = obj["metadata"]["resourceVersion"].clone();
                        let uid = obj["metadata"]["uid"].clone();
                        if content_type == "application/apply-patch+yaml" {
                            server_side_apply(&mut obj, &body, &q["fieldManager"]);
                        } else {
                            update_takes_fields(&mut obj, &body);
                            merge(&mut obj, &body);
                        }
                        obj["metadata"]["uid"] = uid;
                        obj["metadata"]["resourceVersion"] = rv;
                    }
                }
                // The API server's defaults, where the operator relies on them.
                if t.collection.ends_with("/deployments") && obj["spec"]["replicas"].is_null() {
                    obj["spec"]["replicas"] = json!(1);
                }
                // The API server's immutable fields, where they bit us.
                if t.collection.ends_with("/statefulsets")
                    && !spec_before.is_null()
                    && obj["spec"]["volumeClaimTemplates"] != spec_before["volumeClaimTemplates"]
                {
                    let name = t.name.as_deref().unwrap_or_default();
                    return status(
                        422,
                        "Invalid",
                        &format!(
                            "StatefulSet.apps \"{name}\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
                        ),
                    );
                }
                if t.collection.ends_with("/persistentvolumeclaims") {
                    let size = |spec: &Value| {
                        spec["resources"]["requests"]["storage"]
                            .as_str()
                            .and_then(bytes_of)
                    };
                    if let (Some(before), Some(after)) = (size(&spec_before), size(&obj["spec"]))
                        && after < before
                    {
                        return status(
                            422,
                            "Invalid",
                            "PersistentVolumeClaim is invalid: spec.resources.requests.storage: Forbidden: field can not be less than status.capacity",
                        );
                    }
                }
                // Like the API server: a changed spec is a new generation.
                if let Some(generation) = obj["metadata"]["generation"].as_i64()
                    && obj["spec"] != spec_before
                    && !spec_before.is_null()
                {
                    obj["metadata"]["generation"] = json!(generation + 1);
                }
                obj["metadata"]["resourceVersion"] = json!(self.next_rv());
                self.objects.insert(key, obj.clone());
                (200, obj)
            }
            (Method::DELETE, Some(key)) => match self.objects.remove(&key) {
                Some(o) => {
                    self.collect_garbage(&o, &body);
                    (200, o)
                }
                None => status(404, "NotFound", &format!("{key} not found")),
            },
            (Method::DELETE, None) => {
                let prefix = format!("{}/", t.collection);
                let gone: Vec<String> = self
                    .objects
                    .iter()
                    .filter(|(k, v)| {
                        k.starts_with(&prefix) && matches_selector(v, q.get("labelSelector"))
                    })
                    .map(|(k, _)| k.clone())
                    .collect();
                let items: Vec<Value> =
                    gone.iter().filter_map(|k| self.objects.remove(k)).collect();
                for o in &items {
                    self.collect_garbage(o, &body);
                }
                (
                    200,
                    json!({"apiVersion": "v1", "kind": "List", "metadata": {}, "items": items}),
                )
            }
            (m, _) => status(405, "MethodNotAllowed", &format!("{m} {path}")),
        }
    }
}

impl Default for FakeApi {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeApi {
    /// A fake API server and a kube `Client` talking to it. Needs a tokio
    /// runtime (use inside `#[tokio::test]`).
    pub fn new() -> Self {
        let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
        let state = Arc::new(Mutex::new(State::default()));
        let server_state = state.clone();
        tokio::spawn(async move {
            while let Some((req, send)) = handle.next_request().await {
                let (parts, body) = req.into_parts();
                let bytes = body.collect_bytes().await.expect("request body");
                let head = Request::from_parts(parts, ());
                let (code, value) = server_state.lock().unwrap().handle(&head, &bytes);
                let response = Response::builder()
                    .status(StatusCode::from_u16(code).unwrap())
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .body(Body::from(serde_json::to_vec(&value).unwrap()))
                    .unwrap();
                send.send_response(response);
            }
        });
        Self {
            state,
            client: Client::new(service, "default"),
        }
    }

    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// The calls made since the last `take_log`, as `METHOD path`.
    pub fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut self.state.lock().unwrap().log)
    }

    pub fn get(&self, path: &str) -> Option<Value> {
        self.state.lock().unwrap().objects.get(path).cloned()
    }

    /// Store an object as if it existed in the cluster.
    pub fn put(&self, path: &str, mut obj: Value) {
        let mut st = self.state.lock().unwrap();
        if obj["metadata"]["resourceVersion"].is_null() {
            obj["metadata"]["resourceVersion"] = json!(st.next_rv());
        }
        st.objects.insert(path.to_string(), obj);
    }

    pub fn paths(&self) -> Vec<String> {
        self.state.lock().unwrap().objects.keys().cloned().collect()
    }

    /// The namespace is being deleted: from now on every create in it is
    /// refused (403), as the API server does; updates and deletes go on.
    pub fn terminate_namespace(&self, ns: &str) {
        self.state.lock().unwrap().terminating.push(ns.to_string());
    }

    /// The next call written exactly as in the log answers with this error.
    pub fn fail_next(&self, call: &str, code: u16, message: &str) {
        self.state.lock().unwrap().failures.push_back((
            call.to_string(),
            code,
            message.to_string(),
        ));
    }

    /// Play the cluster's controllers: every Deployment and StatefulSet has
    /// all its replicas ready, every Job has succeeded.
    pub fn mark_ready(&self) {
        let mut st = self.state.lock().unwrap();
        for (path, obj) in st.objects.iter_mut() {
            let replicas = obj["spec"]["replicas"].as_i64().unwrap_or(1);
            let generation = obj["metadata"]["generation"].clone();
            if path.contains("/deployments/") {
                obj["status"] = json!({"observedGeneration": generation, "replicas": replicas,
                    "availableReplicas": replicas, "updatedReplicas": replicas, "readyReplicas": replicas});
            } else if path.contains("/statefulsets/") {
                obj["status"] = json!({"observedGeneration": generation, "replicas": replicas,
                    "readyReplicas": replicas, "availableReplicas": replicas});
            } else if path.contains("/jobs/") {
                obj["status"] = json!({"succeeded": 1});
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_patch_adds_and_removes_finalizers_like_the_api_server() {
        let mut o = json!({"metadata": {"name": "x"}});
        json_patch(
            &mut o,
            &json!([{"op": "test", "path": "/metadata/finalizers", "value": null},
                    {"op": "add", "path": "/metadata/finalizers", "value": ["f"]}]),
        )
        .unwrap();
        assert_eq!(o["metadata"]["finalizers"], json!(["f"]));
        json_patch(
            &mut o,
            &json!([{"op": "test", "path": "/metadata/finalizers/0", "value": "f"},
                    {"op": "remove", "path": "/metadata/finalizers/0"}]),
        )
        .unwrap();
        assert_eq!(o["metadata"]["finalizers"], json!([]));
        assert!(
            json_patch(
                &mut o,
                &json!([{"op": "test", "path": "/metadata/name", "value": "y"}])
            )
            .is_err()
        );
    }

    #[test]
    fn selectors_and_percent_decoding() {
        assert_eq!(decode("a%3Db%2Cc%3Dd"), "a=b,c=d");
        let o = json!({"metadata": {"labels": {"a": "b", "c": "d"}}});
        assert!(matches_selector(&o, Some(&"a=b,c=d".to_string())));
        assert!(!matches_selector(&o, Some(&"a=x".to_string())));
    }
}
