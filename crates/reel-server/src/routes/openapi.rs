//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` annotations and the
//! types in `api_types` (and `reel_query::wire` for searches). `web/src/generated/openapi.json`
//! is a committed copy the UI's TypeScript types are generated from; a test fails when it
//! differs from this.

use std::sync::OnceLock;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api_types::*;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "reel query API",
        version = "1",
        description = "Read and search replays recorded by reel; charts, users, dashboards and notebooks around them. Authenticate with the `reel_session` \
cookie from `POST /api/v1/login`, or `Authorization: Bearer <token>` (REEL_ADMIN_TOKEN, or a token \
made with `POST /api/v1/tokens`; it acts with its owner's role). Roles are per project (see \
`Role`); a project you have no access to answers 404 for everything of it. Errors are `{\"error\":{\"code\",\"message\"}}` with a stable \
code (see `ErrorCode`).\n\nState-changing calls (POST, PUT, PATCH, DELETE) need \
`Content-Type: application/json` (415 `unsupported_media_type` otherwise; DELETE needs no body) \
and refuse requests whose `Origin` or `Sec-Fetch-Site` names another site (403 `forbidden`). \
429 and 503 answers carry `Retry-After`."
    ),
    servers((url = "/api/v1")),
    security(("bearer" = []), ("cookie" = [])),
    paths(
        super::api::login,
        super::api::logout,
        super::api::me,
        super::account::change_password,
        super::account::sign_out_everywhere,
        super::account::list_tokens,
        super::account::create_token,
        super::account::revoke_token,
        super::projects::create_project,
        super::projects::update_project,
        super::projects::settings,
        super::projects::update_settings,
        super::projects::keys,
        super::projects::rotate_key,
        super::projects::erase_user,
        super::projects::erase_device,
        super::projects::portfolio,
        super::people::accounts,
        super::people::create_user,
        super::people::update_account,
        super::people::members,
        super::people::set_role,
        super::people::remove_member,
        super::people::invites,
        super::people::invite,
        super::people::revoke_invite,
        super::people::invite_info,
        super::people::accept_invite,
        super::operations::audit_log,
        super::operations::usage,
        super::operations::set_quota,
        super::operations::ingestion,
        super::operations::metrics,
        super::search::list,
        super::search::search,
        super::api::get_replay,
        super::replays::delete,
        super::replays::events,
        super::replays::manifest,
        super::replays::activity,
        super::replays::timeline,
        super::replays::add_feedback,
        super::replays::list_feedback,
        super::search::saved_searches,
        super::search::save_search,
        super::search::delete_saved_search,
        super::search::cohorts,
        super::search::create_cohort,
        super::search::update_cohort,
        super::search::delete_cohort,
        super::search::catalog,
        super::charts::segmentation,
        super::charts::funnel,
        super::charts::sessions,
        super::charts::journeys,
        super::charts::experiment,
        super::charts::microscope,
        super::users::find,
        super::users::profile,
        super::boards::list_dashboards,
        super::boards::create_dashboard,
        super::boards::get_dashboard,
        super::boards::put_dashboard,
        super::boards::delete_dashboard,
        super::boards::order_dashboards,
        super::boards::list_notebooks,
        super::boards::create_notebook,
        super::boards::get_notebook,
        super::boards::put_notebook,
        super::boards::delete_notebook,
        super::boards::order_notebooks,
        super::api::openapi,
    ),
    components(schemas(ErrorBody, ErrorCode, FilterField, Operator, ClickSignalSpec, Role, crate::analytics_types::ChartAnswer)),
    modifiers(&SecuritySchemes)
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "reel_session",
                "The UI's login cookie. Requests signed in with it must also send the header \
                 `X-Reel-Request: 1` (403 `forbidden` otherwise): a recorded page replayed in \
                 the player can make the viewer's browser send GETs with the cookie, but not \
                 with a custom header.",
            ))),
        );
    }
}

/// The document as JSON text (pretty, with a final newline), built once.
pub fn document_json() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut text = ApiDoc::openapi()
            .to_pretty_json()
            .expect("the document serializes");
        text.push('\n');
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The UI's and tests' TypeScript types are generated from the committed copy of this
    /// document: it must be this document. After changing an API type, run `make api-types`.
    #[test]
    fn the_committed_document_is_the_generated_one() {
        let path = std::path::PathBuf::from(
            std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
        )
        .join("../../web/src/generated/openapi.json");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == document_json(),
            "web/src/generated/openapi.json is not the document the Rust types make: run \
             `make api-types` (it writes the document and the TypeScript types from it)"
        );
    }
}
