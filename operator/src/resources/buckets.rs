//! The bucket Job: creates the upload bucket (idempotently) with the MinIO
//! client, which speaks to MinIO and to any S3, and sets CORS rules that let
//! a browser PUT to presigned URLs. On the in-cluster MinIO it also adds a
//! lifecycle rule that expires objects under `incoming/` (where clients PUT;
//! the api serves only checked copies under other prefixes) after a day, so
//! abandoned uploads do not pile up. An external bucket's lifecycle belongs
//! to its owner and is left alone (the README asks for the same rule there).
//!
//! A Job's pod template cannot change, so the Job is named after a hash of
//! its content: changed buckets or credentials give a new Job, and the
//! reconciler removes the stale ones.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{
    child_name, container_security, env, env_secret, hash_json, labels, owned_meta, place,
    pod_security, resources_or, scratch, template_annotations,
};
use crate::crd::{ImageUploadStack, Storage};
use crate::resources::{config, secrets};

pub const COMPONENT: &str = "buckets";
const UID: i64 = 1000;

/// The shell script the Job runs; settings arrive as environment variables,
/// never spliced into the script.
pub const SCRIPT: &str = r#"set -eu
mc() { command mc --config-dir /tmp/mc "$@"; }
tries=0
until mc alias set s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY" --api s3v4 --path "$S3_PATH_STYLE" >/dev/null && mc ls s3 >/dev/null; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then echo "S3 at $S3_ENDPOINT not reachable" >&2; exit 1; fi
  sleep 2
done
mc mb --ignore-existing --region "$S3_REGION" "s3/$S3_BUCKET"
printf '%s' "$CORS_XML" > /tmp/cors.xml
if ! mc cors set "s3/$S3_BUCKET" /tmp/cors.xml; then
  echo "this server does not take per-bucket CORS; relying on its server-wide CORS setting" >&2
fi
if [ -n "${INCOMING_EXPIRE_DAYS:-}" ]; then
  if mc ilm rule ls --json "s3/$S3_BUCKET" 2>/dev/null | grep -q '"incoming/"'; then
    echo "lifecycle rule for incoming/ already present"
  else
    mc ilm rule add --prefix incoming/ --expire-days "$INCOMING_EXPIRE_DAYS" "s3/$S3_BUCKET"
  fi
else
  echo "lifecycle rules left to the bucket's owner (expire incoming/ after a day there)"
fi
echo "bucket $S3_BUCKET ready"
"#;

/// Days after which MinIO expires objects under `incoming/`: an upload the
/// client never completed (the api's sweeper removes its post).
pub const INCOMING_EXPIRE_DAYS: u32 = 1;

/// The bucket CORS rules: PUT/GET/HEAD from the allowed origins.
pub fn cors_xml(origins: &[String]) -> String {
    let mut x = String::from("<CORSConfiguration><CORSRule>");
    for o in origins {
        x.push_str(&format!("<AllowedOrigin>{}</AllowedOrigin>", xml_escape(o)));
    }
    for m in ["PUT", "GET", "HEAD"] {
        x.push_str(&format!("<AllowedMethod>{m}</AllowedMethod>"));
    }
    x.push_str("<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>");
    x.push_str("<MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule></CORSConfiguration>");
    x
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn job(stack: &ImageUploadStack) -> Job {
    let (image, region, path_style) = match stack.spec.storage() {
        Storage::Minio(m) => (m.mc_image().to_owned(), "us-east-1".to_string(), true),
        // Not applied for Garage (its setup makes the buckets); built alike.
        Storage::Garage(_) => (
            crate::crd::DEFAULT_MC_IMAGE.to_owned(),
            crate::garage::DEFAULT_REGION.to_string(),
            true,
        ),
        Storage::External(e) => (
            e.mc_image().to_owned(),
            e.region.clone(),
            e.force_path_style,
        ),
    };
    let (access, secret) = secrets::s3_credentials(stack);
    let (tmp_vol, tmp_mount) = scratch("tmp", "/tmp");
    let mut vars = vec![
        env("S3_ENDPOINT", config::s3_endpoint(stack)),
        env("S3_REGION", region),
        env("S3_BUCKET", stack.spec.buckets.uploads.clone()),
        env("S3_PATH_STYLE", if path_style { "on" } else { "auto" }),
        env_secret("S3_ACCESS_KEY", &access),
        env_secret("S3_SECRET_KEY", &secret),
        env(
            "CORS_XML",
            cors_xml(&stack.spec.buckets.cors_allowed_origins),
        ),
    ];
    if let Storage::Minio(_) = stack.spec.storage() {
        vars.push(env(
            "INCOMING_EXPIRE_DAYS",
            INCOMING_EXPIRE_DAYS.to_string(),
        ));
    }
    let container = Container {
        name: "mc".into(),
        image: Some(image),
        image_pull_policy: Some("IfNotPresent".into()),
        command: Some(vec!["/bin/sh".into(), "-c".into(), SCRIPT.into()]),
        env: Some(vars),
        resources: Some(resources_or(None, "10m", "32Mi", "128Mi")),
        security_context: Some(container_security()),
        volume_mounts: Some(vec![tmp_mount]),
        ..Container::default()
    };
    let mut pod = PodSpec {
        restart_policy: Some("OnFailure".into()),
        security_context: Some(pod_security(UID)),
        automount_service_account_token: Some(false),
        containers: vec![container],
        volumes: Some(vec![tmp_vol]),
        ..PodSpec::default()
    };
    place(stack, &mut pod);
    let spec = JobSpec {
        backoff_limit: Some(10),
        template: PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(labels(stack, COMPONENT)),
                annotations: template_annotations(stack, []),
                ..ObjectMeta::default()
            }),
            spec: Some(pod),
        },
        ..JobSpec::default()
    };
    let name = format!(
        "{}-{}",
        child_name(stack, COMPONENT),
        &hash_json(&spec)[..8]
    );
    let mut metadata = owned_meta(stack, COMPONENT, name);
    metadata.annotations = Some(BTreeMap::from([(
        "imgup.dev/bucket".to_string(),
        stack.spec.buckets.uploads.clone(),
    )]));
    Job {
        metadata,
        spec: Some(spec),
        status: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{ExternalS3Spec, ImageUploadStackSpec};
    use crate::resources::test_support::{assert_hardened, env_secret_ref, env_value, stack};

    #[test]
    fn job_creates_the_upload_bucket_with_cors_for_browser_puts() {
        let j = job(&stack(ImageUploadStackSpec::default()));
        let name = j.metadata.name.clone().unwrap();
        assert!(name.starts_with("demo-buckets-") && name.len() == "demo-buckets-".len() + 8);
        let pod = j.spec.unwrap().template.spec.unwrap();
        assert_eq!(pod.restart_policy.as_deref(), Some("OnFailure"));
        let c = &pod.containers[0];
        assert_hardened(c);
        assert_eq!(env_value(c, "S3_BUCKET"), Some("uploads"));
        assert_eq!(
            env_value(c, "S3_ENDPOINT"),
            Some("http://demo-minio.imgup.svc:9000")
        );
        assert_eq!(
            env_secret_ref(c, "S3_ACCESS_KEY"),
            Some(("demo-generated".into(), "minio-root-user".into()))
        );
        let cors = env_value(c, "CORS_XML").unwrap();
        assert!(cors.contains("<AllowedOrigin>*</AllowedOrigin>"));
        assert!(cors.contains("<AllowedMethod>PUT</AllowedMethod>"));
        let script = &c.command.as_ref().unwrap()[2];
        assert!(script.contains("mc mb --ignore-existing"));
        assert!(
            !script.contains("uploads"),
            "settings must come from env, not the script"
        );
    }

    #[test]
    fn minio_bucket_expires_abandoned_incoming_objects_after_a_day_once() {
        let j = job(&stack(ImageUploadStackSpec::default()));
        let c = &j.spec.unwrap().template.spec.unwrap().containers[0];
        assert_eq!(env_value(c, "INCOMING_EXPIRE_DAYS"), Some("1"));
        let script = &c.command.as_ref().unwrap()[2];
        assert!(script.contains(
            r#"mc ilm rule add --prefix incoming/ --expire-days "$INCOMING_EXPIRE_DAYS" "s3/$S3_BUCKET""#
        ));
        // Idempotent: the rule is looked for before it is added.
        let ls = script
            .find(r#"mc ilm rule ls --json "s3/$S3_BUCKET""#)
            .unwrap();
        let add = script.find("mc ilm rule add").unwrap();
        assert!(ls < add);
        assert!(script.contains(r#"grep -q '"incoming/"'"#));
        // Only after the bucket exists.
        assert!(script.find("mc mb").unwrap() < ls);
    }

    #[test]
    fn changed_bucket_gives_a_new_job_name_and_same_spec_the_same() {
        let a = job(&stack(ImageUploadStackSpec::default()));
        let b = job(&stack(ImageUploadStackSpec::default()));
        assert_eq!(a.metadata.name, b.metadata.name);
        let mut spec = ImageUploadStackSpec::default();
        spec.buckets.uploads = "photos".into();
        let c = job(&stack(spec));
        assert_ne!(a.metadata.name, c.metadata.name);
    }

    #[test]
    fn external_s3_job_uses_its_endpoint_region_and_credentials() {
        let mut spec = ImageUploadStackSpec::default();
        spec.storage.external = Some(ExternalS3Spec {
            endpoint: "https://s3.eu-west-1.amazonaws.com".into(),
            region: "eu-west-1".into(),
            credentials_secret: "aws".into(),
            force_path_style: false,
            mc_image: Some("minio/mc:test".into()),
            ..ExternalS3Spec::default()
        });
        let j = job(&stack(spec));
        let c = &j.spec.unwrap().template.spec.unwrap().containers[0];
        assert_eq!(c.image.as_deref(), Some("minio/mc:test"));
        assert_eq!(env_value(c, "S3_REGION"), Some("eu-west-1"));
        assert_eq!(env_value(c, "S3_PATH_STYLE"), Some("auto"));
        assert_eq!(
            env_secret_ref(c, "S3_SECRET_KEY"),
            Some(("aws".into(), "secret-key".into()))
        );
        // An external bucket's lifecycle rules are its owner's.
        assert_eq!(env_value(c, "INCOMING_EXPIRE_DAYS"), None);
    }

    #[test]
    fn cors_origins_are_escaped() {
        let x = cors_xml(&["https://a.example/<x>&".into()]);
        assert!(x.contains("<AllowedOrigin>https://a.example/&lt;x&gt;&amp;</AllowedOrigin>"));
    }
}
