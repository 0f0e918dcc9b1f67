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
        crate::routes::posts::delete,
        crate::routes::health::alive,
        crate::routes::health::ready,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

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
