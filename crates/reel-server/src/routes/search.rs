//! Finding replays: `GET /replays` (the search as query parameters) and
//! `POST /replays/search` (as a JSON body) run the same search; saved searches, cohorts and the
//! catalog of names help build one. Parsing and checking the search is `reel_query`'s; running
//! it is the store's.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use reel_engine::store::Project;
use reel_query::wire::{CohortDefinition, FilterSpec, SearchRequest, SortField, SortOrder};
use reel_query::{ParseContext, encode_cursor, parse, parse_cohort};
use serde::Deserialize;
use utoipa::IntoParams;

use super::api::{ProjectQuery, replay_json, rfc3339};
use super::extract::ApiJson;
use crate::AppState;
use crate::api_types::{
    Catalog, Cohort, CohortList, CohortRequest, ErrorBody, ReplayPage, SavedSearch,
    SavedSearchList, SavedSearchRequest, SavedSearchSpec,
};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::permissions::{Action, authorize};

/// `GET /replays`: the search's fields as query parameters.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ReplayListParams {
    /// Project id; default: the first project of your organization.
    project: Option<i64>,
    /// Earliest session start: `YYYY-MM-DD` (in the project's timezone) or RFC 3339. Default:
    /// 30 days before `end`.
    start: Option<String>,
    /// Latest session start, exclusive: `YYYY-MM-DD` (the end of that day in the project's
    /// timezone) or RFC 3339. Default: now.
    end: Option<String>,
    /// Full text: a phrase that was on screen or in the console.
    q: Option<String>,
    /// A filter as JSON (a `FilterSpec`, e.g. `{"field":"country","op":"is","values":["DE"]}`);
    /// repeat for more (all must hold).
    #[param(required = false)]
    filter: Vec<String>,
    sort: Option<SortField>,
    order: Option<SortOrder>,
    /// Replays per page, 1..100 (default 100).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The previous page's `next_cursor`.
    cursor: Option<String>,
    /// Count every match for `total` (default true).
    count: Option<bool>,
}

impl ReplayListParams {
    fn from_query(raw: &str) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw)
            .map_err(|e| ApiError::InvalidParameter(format!("unreadable query string: {e}")))?;
        let mut p = Self::default();
        for (key, value) in pairs {
            let value = Some(value).filter(|v| !v.is_empty());
            match key.as_str() {
                "project" => {
                    p.project = value
                        .map(|v| {
                            v.parse().map_err(|_| {
                                ApiError::InvalidParameter(format!(
                                    "project must be a project id, got {v:?}"
                                ))
                            })
                        })
                        .transpose()?
                }
                "start" => p.start = value,
                "end" => p.end = value,
                "q" => p.q = value,
                "filter" => p.filter.extend(value),
                "sort" => p.sort = value.map(|v| enum_value(&v, "sort")).transpose()?,
                "order" => p.order = value.map(|v| enum_value(&v, "order")).transpose()?,
                "limit" => {
                    p.limit = value
                        .map(|v| {
                            v.parse::<u32>().map_err(|_| {
                                ApiError::InvalidParameter(format!(
                                    "limit must be a positive integer, got {v:?}"
                                ))
                            })
                        })
                        .transpose()?
                }
                "cursor" => p.cursor = value,
                "count" => {
                    p.count = value
                        .map(|v| match v.as_str() {
                            "true" | "1" => Ok(true),
                            "false" | "0" => Ok(false),
                            _ => Err(ApiError::InvalidParameter(format!(
                                "count must be true or false, got {v:?}"
                            ))),
                        })
                        .transpose()?
                }
                other => {
                    return Err(ApiError::InvalidParameter(format!(
                        "unknown parameter {other:?} (see /api/v1/openapi.json)"
                    )));
                }
            }
        }
        Ok(p)
    }

    fn into_request(self) -> Result<SearchRequest, ApiError> {
        let filters = self
            .filter
            .iter()
            .enumerate()
            .map(|(i, text)| {
                serde_json::from_str::<FilterSpec>(text)
                    .map_err(|e| ApiError::InvalidParameter(format!("filter {}: {e}", i + 1)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SearchRequest {
            start: self.start,
            end: self.end,
            q: self.q,
            filters,
            sort: self.sort,
            order: self.order,
            limit: self.limit,
            cursor: self.cursor,
            count: self.count,
        })
    }
}

/// A snake_case enum from a query parameter.
fn enum_value<T: serde::de::DeserializeOwned>(value: &str, name: &str) -> Result<T, ApiError> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|e| ApiError::InvalidParameter(format!("{name}: {e}")))
}

/// Replays matching a search, newest first by default, a page at a time.
#[utoipa::path(
    get, path = "/replays", tag = "replays",
    params(ReplayListParams),
    responses(
        (status = 200, body = ReplayPage),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, description = "The search took too long (code search_timeout)", body = ErrorBody),
    )
)]
pub(super) async fn list(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    RawQuery(raw): RawQuery,
) -> Result<Json<ReplayPage>, ApiError> {
    let params = ReplayListParams::from_query(raw.as_deref().unwrap_or(""))?;
    let project = authorize(
        &ctx,
        params.project.map(|p| p.to_string()).as_deref(),
        Action::WatchReplays,
    )?;
    let request = params.into_request()?;
    Ok(Json(run(&state, project, &request).await?))
}

/// The same search as `GET /replays`, as a JSON body.
#[utoipa::path(
    post, path = "/replays/search", tag = "replays",
    params(ProjectQuery),
    request_body = SearchRequest,
    responses(
        (status = 200, body = ReplayPage),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 503, description = "The search took too long (code search_timeout)", body = ErrorBody),
    )
)]
pub(super) async fn search(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Query(q): Query<ProjectQuery>,
    ApiJson(request): ApiJson<SearchRequest>,
) -> Result<Json<ReplayPage>, ApiError> {
    let project = authorize(&ctx, q.project.as_deref(), Action::WatchReplays)?;
    Ok(Json(run(&state, project, &request).await?))
}

async fn run(
    state: &AppState,
    project: &Project,
    request: &SearchRequest,
) -> Result<ReplayPage, ApiError> {
    let cohorts = cohort_definitions(state, project.id, &request.cohort_ids()).await?;
    let search = parse(
        request,
        &ParseContext {
            timezone: timezone(project),
            now_ms: state.now_ms(),
            cohorts: &cohorts,
        },
    )
    .map_err(|e| ApiError::InvalidParameter(e.to_string()))?;
    let page = state.engine.search(project.id, search).await?;
    Ok(ReplayPage {
        replays: page.replays.iter().map(replay_json).collect(),
        next_cursor: page.next.as_ref().map(encode_cursor),
        total: page.total,
    })
}

/// The project's timezone (its setting is checked when it is made; UTC if it is not one).
fn timezone(project: &Project) -> chrono_tz::Tz {
    project.timezone.parse().unwrap_or(chrono_tz::Tz::UTC)
}

/// The definitions of the cohorts a search names (those the project has).
async fn cohort_definitions(
    state: &AppState,
    project_id: i64,
    ids: &[i64],
) -> Result<HashMap<i64, CohortDefinition>, ApiError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut found = HashMap::new();
    for cohort in state.store().cohorts(project_id).await? {
        if ids.contains(&cohort.id) {
            let definition = serde_json::from_str(&cohort.definition).map_err(|e| {
                ApiError::Internal(format!("cohort {} is stored unreadably: {e}", cohort.id))
            })?;
            found.insert(cohort.id, definition);
        }
    }
    Ok(found)
}

const MAX_NAME_CHARS: usize = 200;

fn name_of(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::InvalidParameter(format!(
            "name must be 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(name.to_owned())
}

fn id_of(id: &str, what: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::InvalidParameter(format!("{what} id must be a number, got {id:?}")))
}

/// The project's saved searches, by name.
#[utoipa::path(
    get, path = "/saved-searches", tag = "search",
    params(ProjectQuery),
    responses((status = 200, body = SavedSearchList), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub(super) async fn saved_searches(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Query(q): Query<ProjectQuery>,
) -> Result<Json<SavedSearchList>, ApiError> {
    let project = authorize(&ctx, q.project.as_deref(), Action::WatchReplays)?;
    let saved = state.store().saved_searches(project.id).await?;
    Ok(Json(SavedSearchList {
        saved_searches: saved.iter().map(saved_json).collect::<Result<_, _>>()?,
    }))
}

/// JSON the store kept for the API (a saved search, a cohort's definition), read back.
fn stored_json<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &str,
    id: i64,
) -> Result<T, ApiError> {
    serde_json::from_str(text)
        .map_err(|e| ApiError::Internal(format!("{what} {id} is stored unreadably: {e}")))
}

fn saved_json(s: &reel_engine::store::SavedSearch) -> Result<SavedSearch, ApiError> {
    Ok(SavedSearch {
        id: s.id,
        name: s.name.clone(),
        search: stored_json(&s.search, "saved search", s.id)?,
        created_by: s.created_by.clone(),
        created_at: rfc3339(s.created_ms),
    })
}

/// Save a search under a name, for everyone in the project.
#[utoipa::path(
    post, path = "/saved-searches", tag = "search",
    params(ProjectQuery),
    request_body = SavedSearchRequest,
    responses(
        (status = 201, body = SavedSearch), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody),
    )
)]
pub(super) async fn save_search(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Query(q): Query<ProjectQuery>,
    ApiJson(body): ApiJson<SavedSearchRequest>,
) -> Result<(StatusCode, Json<SavedSearch>), ApiError> {
    let project = authorize(&ctx, q.project.as_deref(), Action::SaveSearches)?;
    let name = name_of(&body.name)?;
    check_saved_search(&state, project, &body.search).await?;
    let text = serde_json::to_string(&body.search).expect("a search serializes");
    let saved = state
        .store()
        .add_saved_search(project.id, ctx.user.id, &name, &text, state.now_ms())
        .await?;
    Ok((StatusCode::CREATED, Json(saved_json(&saved)?)))
}

/// A saved search must be one that runs: checked as the search it stands for.
async fn check_saved_search(
    state: &AppState,
    project: &Project,
    spec: &SavedSearchSpec,
) -> Result<(), ApiError> {
    if spec.range.is_some() && (spec.start.is_some() || spec.end.is_some()) {
        return Err(ApiError::InvalidParameter(
            "give either range or start and end".into(),
        ));
    }
    let request = SearchRequest {
        start: spec.start.clone(),
        end: spec.end.clone(),
        q: spec.q.clone(),
        filters: spec.filters.clone(),
        sort: spec.sort,
        order: spec.order,
        ..Default::default()
    };
    let cohorts = cohort_definitions(state, project.id, &request.cohort_ids()).await?;
    parse(
        &request,
        &ParseContext {
            timezone: timezone(project),
            now_ms: state.now_ms(),
            cohorts: &cohorts,
        },
    )
    .map_err(|e| ApiError::InvalidParameter(e.to_string()))?;
    Ok(())
}

/// Delete a saved search.
#[utoipa::path(
    delete, path = "/saved-searches/{id}", tag = "search",
    params(
        ("id" = i64, Path, description = "The saved search's id"),
        ProjectQuery,
    ),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub(super) async fn delete_saved_search(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<ProjectQuery>,
) -> Result<StatusCode, ApiError> {
    let project = authorize(&ctx, q.project.as_deref(), Action::SaveSearches)?;
    if state
        .store()
        .delete_saved_search(project.id, id_of(&id, "saved search")?)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("saved search"))
    }
}

/// The project's cohorts, by name.
#[utoipa::path(
    get, path = "/cohorts", tag = "search",
    params(ProjectQuery),
    responses((status = 200, body = CohortList), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub(super) async fn cohorts(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Query(q): Query<ProjectQuery>,
) -> Result<Json<CohortList>, ApiError> {
    let project = authorize(&ctx, q.project.as_deref(), Action::WatchReplays)?;
    let all = state.store().cohorts(project.id).await?;
    Ok(Json(CohortList {
        cohorts: all.iter().map(cohort_json).collect::<Result<_, _>>()?,
    }))
}

fn cohort_json(c: &reel_engine::store::StoredCohort) -> Result<Cohort, ApiError> {
    Ok(Cohort {
        id: c.id,
        name: c.name.clone(),
        definition: stored_json(&c.definition, "cohort", c.id)?,
        created_at: rfc3339(c.created_ms),
        updated_at: rfc3339(c.updated_ms),
    })
}

/// Create a cohort.
#[utoipa::path(
    post, path = "/cohorts", tag = "search",
    params(ProjectQuery),
    request_body = CohortRequest,
    responses(
        (status = 201, body = Cohort), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody),
    )
)]
pub(super) async fn create_cohort(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Query(q): Query<ProjectQuery>,
    ApiJson(body): ApiJson<CohortRequest>,
) -> Result<(StatusCode, Json<Cohort>), ApiError> {
    let project = authorize(&ctx, q.project.as_deref(), Action::SaveSearches)?;
    let stored = put_cohort(&state, project, None, body).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// Change a cohort's name and conditions; searches that use it see the change.
#[utoipa::path(
    put, path = "/cohorts/{id}", tag = "search",
    params(
        ("id" = i64, Path, description = "The cohort's id"),
        ProjectQuery,
    ),
    request_body = CohortRequest,
    responses(
        (status = 200, body = Cohort), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody),
    )
)]
pub(super) async fn update_cohort(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<ProjectQuery>,
    ApiJson(body): ApiJson<CohortRequest>,
) -> Result<Json<Cohort>, ApiError> {
    let project = authorize(&ctx, q.project.as_deref(), Action::SaveSearches)?;
    let id = id_of(&id, "cohort")?;
    Ok(Json(put_cohort(&state, project, Some(id), body).await?))
}

async fn put_cohort(
    state: &AppState,
    project: &Project,
    id: Option<i64>,
    body: CohortRequest,
) -> Result<Cohort, ApiError> {
    let name = name_of(&body.name)?;
    parse_cohort(id.unwrap_or(0), &body.definition)
        .map_err(|e| ApiError::InvalidParameter(e.to_string()))?;
    let text = serde_json::to_string(&body.definition).expect("a definition serializes");
    let stored = state
        .store()
        .put_cohort(project.id, id, &name, &text, state.now_ms())
        .await?
        .ok_or(ApiError::NotFound("cohort"))?;
    cohort_json(&stored)
}

/// Delete a cohort. Saved searches that use it stop working (they answer 400 saying so).
#[utoipa::path(
    delete, path = "/cohorts/{id}", tag = "search",
    params(
        ("id" = i64, Path, description = "The cohort's id"),
        ProjectQuery,
    ),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub(super) async fn delete_cohort(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<ProjectQuery>,
) -> Result<StatusCode, ApiError> {
    let project = authorize(&ctx, q.project.as_deref(), Action::SaveSearches)?;
    if state
        .store()
        .delete_cohort(project.id, id_of(&id, "cohort")?)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("cohort"))
    }
}

/// How many names the catalog lists at most.
const CATALOG_LIMIT: usize = 500;

#[derive(Deserialize)]
pub(super) struct CatalogQuery {
    project: Option<String>,
}

/// Event and user property names the project has seen, to build filters with.
#[utoipa::path(
    get, path = "/catalog", tag = "search",
    params(ProjectQuery),
    responses((status = 200, body = Catalog), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub(super) async fn catalog(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Query(q): Query<CatalogQuery>,
) -> Result<Json<Catalog>, ApiError> {
    let project = authorize(&ctx, q.project.as_deref(), Action::WatchReplays)?;
    Ok(Json(Catalog {
        event_names: state.store().event_names(project.id, CATALOG_LIMIT).await?,
        user_properties: state
            .store()
            .user_property_keys(project.id, CATALOG_LIMIT)
            .await?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters() {
        let cases: Vec<(&str, Result<usize, &str>)> = vec![
            ("", Ok(0)),
            (
                "start=2026-01-01&limit=5&sort=duration&order=asc&count=false",
                Ok(0),
            ),
            (
                "filter=%7B%22field%22%3A%22country%22%2C%22op%22%3A%22is%22%2C%22values%22%3A%5B%22DE%22%5D%7D&filter=%7B%22field%22%3A%22url%22%2C%22op%22%3A%22exists%22%7D",
                Ok(2),
            ),
            ("filter=nope", Err("filter 1: expected ident")),
            ("sort=size", Err("sort: unknown variant `size`")),
            ("limit=-1", Err("limit must be a positive integer")),
            ("colour=red", Err("unknown parameter \"colour\"")),
            ("count=maybe", Err("count must be true or false")),
        ];
        for (query, want) in cases {
            let got = ReplayListParams::from_query(query).and_then(ReplayListParams::into_request);
            match (got, want) {
                (Ok(r), Ok(n)) => assert_eq!(r.filters.len(), n, "{query}"),
                (Err(e), Err(w)) => assert!(e.to_string().contains(w), "{query}: {e}"),
                (got, want) => panic!("{query}: got {got:?}, want {want:?}"),
            }
        }
    }
}
