use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "imgup API", description = "Presigned image uploads and posts"),
    paths(
        crate::routes::uploads::create,
        crate::routes::policy::show,
        crate::routes::usage::show,
        crate::routes::images::show,
        crate::routes::posts::create,
        crate::routes::posts::complete,
        crate::routes::posts::show,
        crate::routes::posts::list,
        crate::routes::posts::update,
        crate::routes::posts::delete,
        crate::routes::stats::show,
        crate::routes::health::alive,
        crate::routes::health::ready,
        crate::routes::health::metrics,
    ),
    components(schemas(ErrorBody, crate::store::SortKey, crate::store::SortOrder)),
    modifiers(&BearerAuth, &CommonResponses)
)]
pub struct ApiDoc;

/// Every error body.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A sentence for people (the seed's texts where it had them).
    pub error: String,
    /// A stable snake_case name for programs: `file_too_large`,
    /// `unsupported_type`, `quota_exceeded`, `rate_limited`, `not_found`, …
    pub code: String,
}

/// The answers any route can give besides its own, so that the document lists
/// every status a client can see: a bad token, a malformed body, path or query,
/// and a database or storage outage.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let mut common: Vec<(&str, &str)> = Vec::new();
                if operation.security.is_some() {
                    common.push(("401", "`unauthorized`: a missing, invalid or expired token"));
                    common.push((
                        "503",
                        "`database_unavailable` or `storage_unavailable`: retry after `Retry-After`",
                    ));
                }
                if operation.request_body.is_some() {
                    common.push(("400", "`bad_request`: a body that is not the expected JSON"));
                    common.push(("413", "`payload_too_large`: a body over 64 KiB"));
                    common.push((
                        "415",
                        "`unsupported_media_type`: not `Content-Type: application/json`",
                    ));
                    common.push(("422", "`unprocessable`: JSON of the wrong shape"));
                }
                if operation.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
                    common.push(("400", "`bad_request`: a malformed path or query parameter"));
                }
                for (status, description) in common {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| error_response(description).into());
                }
            }
        }
    }
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document of this service.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_documents_the_errors_it_can_answer() {
        let doc = ApiDoc::openapi();
        for (path, item) in &doc.paths.paths {
            let operations = [&item.get, &item.post, &item.patch, &item.delete];
            for operation in operations.into_iter().flatten() {
                let statuses: Vec<&str> = operation
                    .responses
                    .responses
                    .keys()
                    .map(String::as_str)
                    .collect();
                if operation.security.is_some() {
                    assert!(statuses.contains(&"401"), "{path}: {statuses:?}");
                    assert!(statuses.contains(&"503"), "{path}: {statuses:?}");
                }
                if operation.request_body.is_some() {
                    for status in ["400", "413", "415", "422"] {
                        assert!(
                            statuses.contains(&status),
                            "{path} lacks {status}: {statuses:?}"
                        );
                    }
                }
            }
        }
        let json = serde_json::to_value(&doc).unwrap();
        let error = &json["components"]["schemas"]["ErrorBody"]["properties"];
        assert!(
            error["error"].is_object() && error["code"].is_object(),
            "{error}"
        );
    }

    #[test]
    fn every_reference_resolves() {
        fn refs<'a>(value: &'a serde_json::Value, found: &mut Vec<&'a str>) {
            match value {
                serde_json::Value::Object(map) => {
                    if let Some(serde_json::Value::String(target)) = map.get("$ref") {
                        found.push(target);
                    }
                    map.values().for_each(|v| refs(v, found));
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
                _ => {}
            }
        }
        let json = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let mut found = Vec::new();
        refs(&json, &mut found);
        assert!(!found.is_empty());
        for target in found {
            let name = target.trim_start_matches("#/components/schemas/");
            assert!(
                json["components"]["schemas"][name].is_object(),
                "{target} is not in the document"
            );
        }
    }
}
