//! Handlers of checklist templates.

use axum::extract::{Path, State};
use axum::Json;
use fieldaudit_protocol::api::TemplateSummary;

use super::extract::{path_rejection, AuthDevice};
use super::{ApiFailure, AppState};
use crate::openapi;

/// `GET /api/v1/templates`: the templates devices can use.
#[utoipa::path(get, path = "/api/v1/templates", tag = "templates", security(("bearer" = [])),
    responses((status = 200, description = "Every template's id, version and title", body = Vec<openapi::TemplateSummary>),
              (status = 401, description = "Missing, invalid, expired or revoked token", body = openapi::ApiError)))]
pub async fn list_templates(
    State(s): State<AppState>,
    AuthDevice(_): AuthDevice,
) -> Result<Json<Vec<TemplateSummary>>, ApiFailure> {
    Ok(Json(s.store.list_templates().await?))
}

/// `GET /api/v1/templates/{id}/{version}`: one template's JSON.
#[utoipa::path(get, path = "/api/v1/templates/{id}/{version}", tag = "templates", security(("bearer" = [])),
    params(("id" = String, Path, description = "Template id"), ("version" = String, Path, description = "Template version")),
    responses((status = 200, description = "The template", body = Object),
              (status = 401, description = "Missing, invalid, expired or revoked token", body = openapi::ApiError),
              (status = 404, description = "No such template (`not_found`)", body = openapi::ApiError)))]
pub async fn get_template(
    State(s): State<AppState>,
    AuthDevice(_): AuthDevice,
    p: Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
) -> Result<Json<serde_json::Value>, ApiFailure> {
    let Path((id, version)) = p.map_err(path_rejection)?;
    if id.contains('\0') || version.contains('\0') {
        return Err(ApiFailure::not_found(
            "no such template; GET /api/v1/templates lists them",
        ));
    }
    s.store
        .template(&id, &version)
        .await?
        .map(Json)
        .ok_or_else(|| {
            ApiFailure::not_found(format!(
                "no template {id:?} version {version:?}; GET /api/v1/templates lists them"
            ))
        })
}
