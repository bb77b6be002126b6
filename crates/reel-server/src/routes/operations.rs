//! What admins and managers watch: the audit log, Plans & Billing (sessions captured this month
//! against the quota, retention), the Ingestion Monitor; and `/metrics` for Prometheus.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use reel_engine::store::{AuditQuery, IngestCounts as StoredCounts};
use serde::Deserialize;
use serde_json::json;

use super::api::{ProjectQuery, rfc3339};
use super::extract::ApiJson;
use crate::AppState;
use crate::api_types::{
    AuditEntry, AuditLog, ErrorBody, IngestCounts, IngestMinute, IngestTotal, IngestionMonitor,
    ProjectRetention, QuotaUpdate, Usage,
};
use crate::audit;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::permissions::{Action, OrganizationAction, authorize, authorize_organization};

#[derive(Deserialize)]
pub(super) struct AuditQueryParams {
    project: Option<String>,
    before: Option<i64>,
    limit: Option<usize>,
}

const MAX_AUDIT_LINES: usize = 200;

/// The audit log, newest first: a project's (its admins), or the whole organization's —
/// logins included — for organization admins who name no project.
#[utoipa::path(
    get, path = "/audit-log", tag = "operations",
    params(
        ("project" = Option<i64>, Query, description = "Only this project's lines; organization admins who leave it out see every line."),
        ("before" = Option<i64>, Query, description = "The previous page's `next_before`."),
        ("limit" = Option<usize>, Query, description = "Lines per page, at most 200 (default 100)."),
    ),
    responses(
        (status = 200, body = AuditLog), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub(super) async fn audit_log(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Query(q): Query<AuditQueryParams>,
) -> Result<Json<AuditLog>, ApiError> {
    let project_id = if ctx.organization_admin && q.project.is_none() {
        None
    } else {
        Some(authorize(&ctx, q.project.as_deref(), Action::ViewAuditLog)?.id)
    };
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_AUDIT_LINES);
    let lines = state
        .store()
        .audit_log(AuditQuery {
            organization_id: ctx.organization.id,
            project_id,
            before_id: q.before,
            limit,
        })
        .await?;
    let next_before = (lines.len() == limit)
        .then(|| lines.last().map(|l| l.id))
        .flatten();
    Ok(Json(AuditLog {
        entries: lines
            .into_iter()
            .map(|l| AuditEntry {
                id: l.id,
                at: rfc3339(l.entry.at_ms),
                actor: l.entry.actor,
                action: l.entry.action,
                project_id: l.entry.project_id,
                target: l.entry.target,
                detail: l
                    .entry
                    .detail
                    .and_then(|d| serde_json::from_str(&d).ok())
                    .unwrap_or_else(|| json!({})),
            })
            .collect(),
        next_before,
    }))
}

/// Plans & Billing: sessions the organization captured this month against its quota, and how
/// long each of your projects keeps data (managers and admins).
#[utoipa::path(
    get, path = "/usage", tag = "operations",
    params(("project" = Option<i64>, Query, description = "A project of yours you may see billing of; default: your first.")),
    responses(
        (status = 200, body = Usage), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub(super) async fn usage(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Query(q): Query<ProjectQuery>,
) -> Result<Json<Usage>, ApiError> {
    authorize(&ctx, q.project.as_deref(), Action::ViewBilling)?;
    let own = ctx.organization.monthly_session_quota;
    let usage = state.engine.usage(ctx.organization.id, own).await?;
    Ok(Json(Usage {
        over_quota: usage.over_quota(),
        month: usage.month,
        sessions_captured: usage.sessions_captured,
        monthly_session_quota: usage.quota,
        quota_is_own: own.is_some(),
        projects: ctx
            .projects
            .iter()
            .map(|a| ProjectRetention {
                project_id: a.project.id,
                name: a.project.name.clone(),
                retention_days: a.project.retention_days,
            })
            .collect(),
    }))
}

/// Set the organization's monthly session quota (organization admins); `null` goes back to the
/// server's default.
#[utoipa::path(
    put, path = "/organization/quota", tag = "operations",
    request_body = QuotaUpdate,
    responses(
        (status = 204, description = "Set"), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 415, body = ErrorBody),
    )
)]
pub(super) async fn set_quota(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    ApiJson(body): ApiJson<QuotaUpdate>,
) -> Result<axum::http::StatusCode, ApiError> {
    authorize_organization(&ctx, OrganizationAction::ChangeQuota)?;
    if body.monthly_session_quota.is_some_and(|q| q < 0) {
        return Err(ApiError::InvalidParameter(
            "monthly_session_quota must be 0 or more".into(),
        ));
    }
    state
        .store()
        .set_monthly_session_quota(ctx.organization.id, body.monthly_session_quota)
        .await?;
    let event = audit::Event::new("quota_changed", audit::Actor::User(&ctx)).detail(json!({
        "from": ctx.organization.monthly_session_quota,
        "to": body.monthly_session_quota,
    }));
    audit::record(&state, event).await;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Minutes the Ingestion Monitor shows.
const MONITOR_MINUTES: i64 = 24 * 60;

/// The Ingestion Monitor: requests, events and bytes accepted, throttled and rejected (by
/// reason), per minute over the last 24 hours (managers and admins).
#[utoipa::path(
    get, path = "/projects/{id}/ingestion", tag = "operations",
    params(("id" = i64, Path, description = "The project's id")),
    responses(
        (status = 200, body = IngestionMonitor), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub(super) async fn ingestion(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<IngestionMonitor>, ApiError> {
    let project = authorize(&ctx, Some(&id), Action::ViewIngestion)?;
    let since = state.now_ms().div_euclid(60_000) - MONITOR_MINUTES + 1;
    let mut rows = state.store().ingest_counts(project.id, since).await?;
    rows.extend(
        state
            .monitor
            .pending_of(project.id)
            .into_iter()
            .filter(|(k, _)| k.minute >= since),
    );
    let mut minutes: BTreeMap<i64, IngestMinute> = BTreeMap::new();
    let mut totals: BTreeMap<(String, String), StoredCounts> = BTreeMap::new();
    for (key, n) in rows {
        let minute = minutes.entry(key.minute).or_insert_with(|| IngestMinute {
            minute: rfc3339(key.minute * 60_000),
            accepted: IngestCounts::default(),
            throttled: IngestCounts::default(),
            rejected: IngestCounts::default(),
        });
        let slot = match key.outcome.as_str() {
            "accepted" => &mut minute.accepted,
            "throttled" => &mut minute.throttled,
            _ => &mut minute.rejected,
        };
        slot.requests += n.requests;
        slot.events += n.events;
        slot.bytes += n.bytes;
        totals.entry((key.outcome, key.reason)).or_default().add(n);
    }
    Ok(Json(IngestionMonitor {
        since: rfc3339(since * 60_000),
        minutes: minutes.into_values().collect(),
        totals: totals
            .into_iter()
            .map(|((outcome, reason), n)| IngestTotal {
                outcome,
                reason,
                counts: IngestCounts {
                    requests: n.requests,
                    events: n.events,
                    bytes: n.bytes,
                },
            })
            .collect(),
    }))
}

/// Prometheus text format: ingestion counters by project, endpoint, outcome and reason
/// (`reel_ingest_…`), HTTP requests by route and status, connections, the process (organization
/// admins). Also served at `/metrics`, outside `/api/v1`, for scrapers.
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    )
)]
pub(super) async fn metrics(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
) -> Result<Response, ApiError> {
    authorize_organization(&ctx, OrganizationAction::ReadMetrics)?;
    Ok((
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        crate::metrics::render(&state),
    )
        .into_response())
}
