//! Dashboards and notebooks: list, create, read, replace (rename, reorder or change items),
//! delete, and put in order. Items are charts (checked as charts when saved), replays with the
//! moment they start at, and — in notebooks — text.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use reel_engine::store::{BoardKind, Project, StoredBoard};
use reel_query::chart::parse_chart;

use super::api::{ProjectQuery, rfc3339};
use super::charts::context;
use super::extract::ApiJson;
use crate::AppState;
use crate::analytics_types::{
    Board, BoardBody, BoardItem, BoardKindName, BoardList, BoardOrder, BoardRequest,
};
use crate::api_types::ErrorBody;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::permissions::{Action, authorize};

const MAX_ITEMS: usize = 100;
const MAX_NAME_CHARS: usize = 200;
const MAX_TEXT_CHARS: usize = 20_000;
const MAX_TITLE_CHARS: usize = 200;
const MAX_RANGE_DAYS: u32 = 1_098;

fn board_json(b: &StoredBoard) -> Result<Board, ApiError> {
    let body: BoardBody = serde_json::from_str(&b.body)
        .map_err(|e| ApiError::Internal(format!("board {} is stored unreadably: {e}", b.id)))?;
    Ok(Board {
        id: b.id,
        kind: match b.kind {
            BoardKind::Dashboard => BoardKindName::Dashboard,
            BoardKind::Notebook => BoardKindName::Notebook,
        },
        name: b.name.clone(),
        items: body.items,
        date_range: body.date_range,
        position: b.position,
        created_at: rfc3339(b.created_ms),
        updated_at: rfc3339(b.updated_ms),
    })
}

fn id_of(id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::InvalidParameter(format!("the id must be a number, got {id:?}")))
}

fn bad(message: String) -> ApiError {
    ApiError::InvalidParameter(message)
}

/// Checks a board as sent; returns its name and the body to keep.
fn check(
    state: &AppState,
    project: &Project,
    kind: BoardKind,
    r: BoardRequest,
) -> Result<(String, String), ApiError> {
    let name = r.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(bad(format!(
            "name must be 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    if r.items.len() > MAX_ITEMS {
        return Err(bad(format!("at most {MAX_ITEMS} items")));
    }
    if let Some(range) = &r.date_range
        && range
            .last_days
            .is_some_and(|d| d == 0 || d > MAX_RANGE_DAYS)
    {
        return Err(bad(format!(
            "date_range.last_days is 1 to {MAX_RANGE_DAYS}"
        )));
    }
    let cx = context(state, project);
    for (i, item) in r.items.iter().enumerate() {
        let at = |e: String| bad(format!("item {}: {e}", i + 1));
        match item {
            BoardItem::Chart { title, chart } => {
                check_title(title).map_err(at)?;
                parse_chart(chart, &cx).map_err(|e| at(e.to_string()))?;
            }
            BoardItem::Replay {
                title, replay_id, ..
            } => {
                check_title(title).map_err(at)?;
                reel_engine::ReplayId::parse(replay_id)
                    .map_err(|_| at(format!("{replay_id:?} is not a replay id")))?;
            }
            BoardItem::Text { text } => {
                if kind == BoardKind::Dashboard {
                    return Err(at("text belongs in notebooks".into()));
                }
                if text.chars().count() > MAX_TEXT_CHARS {
                    return Err(at(format!("text has at most {MAX_TEXT_CHARS} characters")));
                }
            }
        }
    }
    let body = BoardBody {
        items: r.items,
        date_range: r.date_range,
    };
    Ok((
        name.to_owned(),
        serde_json::to_string(&body).expect("a board serializes"),
    ))
}

fn check_title(title: &Option<String>) -> Result<(), String> {
    match title {
        Some(t) if t.chars().count() > MAX_TITLE_CHARS => {
            Err(format!("a title has at most {MAX_TITLE_CHARS} characters"))
        }
        _ => Ok(()),
    }
}

async fn list(
    state: &AppState,
    ctx_project: &Project,
    kind: BoardKind,
) -> Result<BoardList, ApiError> {
    let boards = state.store().boards(ctx_project.id, kind).await?;
    Ok(BoardList {
        boards: boards.iter().map(board_json).collect::<Result<_, _>>()?,
    })
}

fn not_found(kind: BoardKind) -> ApiError {
    ApiError::NotFound(match kind {
        BoardKind::Dashboard => "dashboard",
        BoardKind::Notebook => "notebook",
    })
}

macro_rules! board_routes {
    ($kind:expr, $list:ident, $create:ident, $get:ident, $put:ident, $delete:ident, $order:ident,
     $path:literal, $item_path:literal, $order_path:literal, $what:literal) => {
        #[doc = concat!("The project's ", $what, "s, in their order.")]
        #[utoipa::path(
            get, path = $path, tag = "boards",
            params(ProjectQuery),
            responses((status = 200, body = BoardList), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
        )]
        pub(super) async fn $list(
            State(state): State<AppState>,
            CurrentUser(ctx, _): CurrentUser,
            Query(q): Query<ProjectQuery>,
        ) -> Result<Json<BoardList>, ApiError> {
            let project = authorize(&ctx, q.project.as_deref(), Action::ViewAnalytics)?;
            Ok(Json(list(&state, project, $kind).await?))
        }

        #[doc = concat!("Create a ", $what, " (last in the order).")]
        #[utoipa::path(
            post, path = $path, tag = "boards",
            params(ProjectQuery),
            request_body = BoardRequest,
            responses((status = 201, body = Board), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
                      (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody))
        )]
        pub(super) async fn $create(
            State(state): State<AppState>,
            CurrentUser(ctx, _): CurrentUser,
            Query(q): Query<ProjectQuery>,
            ApiJson(body): ApiJson<BoardRequest>,
        ) -> Result<(StatusCode, Json<Board>), ApiError> {
            let project = authorize(&ctx, q.project.as_deref(), Action::SaveAnalytics)?;
            let (name, body) = check(&state, project, $kind, body)?;
            let board = state
                .store()
                .add_board(project.id, $kind, ctx.user.id, &name, &body, state.now_ms())
                .await?;
            Ok((StatusCode::CREATED, Json(board_json(&board)?)))
        }

        #[doc = concat!("One ", $what, ".")]
        #[utoipa::path(
            get, path = $item_path, tag = "boards",
            params(("id" = i64, Path), ProjectQuery),
            responses((status = 200, body = Board), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
        )]
        pub(super) async fn $get(
            State(state): State<AppState>,
            CurrentUser(ctx, _): CurrentUser,
            Path(id): Path<String>,
            Query(q): Query<ProjectQuery>,
        ) -> Result<Json<Board>, ApiError> {
            let project = authorize(&ctx, q.project.as_deref(), Action::ViewAnalytics)?;
            let board = state
                .store()
                .board(project.id, $kind, id_of(&id)?)
                .await?
                .ok_or_else(|| not_found($kind))?;
            Ok(Json(board_json(&board)?))
        }

        #[doc = concat!("Replace a ", $what, "'s name, items and date range (rename it, reorder or change its items).")]
        #[utoipa::path(
            put, path = $item_path, tag = "boards",
            params(("id" = i64, Path), ProjectQuery),
            request_body = BoardRequest,
            responses((status = 200, body = Board), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
                      (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody))
        )]
        pub(super) async fn $put(
            State(state): State<AppState>,
            CurrentUser(ctx, _): CurrentUser,
            Path(id): Path<String>,
            Query(q): Query<ProjectQuery>,
            ApiJson(body): ApiJson<BoardRequest>,
        ) -> Result<Json<Board>, ApiError> {
            let project = authorize(&ctx, q.project.as_deref(), Action::SaveAnalytics)?;
            let id = id_of(&id)?;
            let (name, body) = check(&state, project, $kind, body)?;
            let board = state
                .store()
                .put_board(project.id, $kind, id, &name, &body, state.now_ms())
                .await?
                .ok_or_else(|| not_found($kind))?;
            Ok(Json(board_json(&board)?))
        }

        #[doc = concat!("Delete a ", $what, ".")]
        #[utoipa::path(
            delete, path = $item_path, tag = "boards",
            params(("id" = i64, Path), ProjectQuery),
            responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
        )]
        pub(super) async fn $delete(
            State(state): State<AppState>,
            CurrentUser(ctx, _): CurrentUser,
            Path(id): Path<String>,
            Query(q): Query<ProjectQuery>,
        ) -> Result<StatusCode, ApiError> {
            let project = authorize(&ctx, q.project.as_deref(), Action::SaveAnalytics)?;
            if state.store().delete_board(project.id, $kind, id_of(&id)?).await? {
                Ok(StatusCode::NO_CONTENT)
            } else {
                Err(not_found($kind))
            }
        }

        #[doc = concat!("Put the ", $what, "s in an order: these ids first.")]
        #[utoipa::path(
            put, path = $order_path, tag = "boards",
            params(ProjectQuery),
            request_body = BoardOrder,
            responses((status = 200, body = BoardList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
                      (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody))
        )]
        pub(super) async fn $order(
            State(state): State<AppState>,
            CurrentUser(ctx, _): CurrentUser,
            Query(q): Query<ProjectQuery>,
            ApiJson(body): ApiJson<BoardOrder>,
        ) -> Result<Json<BoardList>, ApiError> {
            let project = authorize(&ctx, q.project.as_deref(), Action::SaveAnalytics)?;
            if body.ids.len() > 1_000 {
                return Err(bad("at most 1000 ids".into()));
            }
            if !state.store().order_boards(project.id, $kind, &body.ids).await? {
                return Err(bad(concat!("ids must be the project's ", $what, "s").into()));
            }
            Ok(Json(list(&state, project, $kind).await?))
        }
    };
}

board_routes!(
    BoardKind::Dashboard,
    list_dashboards,
    create_dashboard,
    get_dashboard,
    put_dashboard,
    delete_dashboard,
    order_dashboards,
    "/dashboards",
    "/dashboards/{id}",
    "/dashboards/order",
    "dashboard"
);
board_routes!(
    BoardKind::Notebook,
    list_notebooks,
    create_notebook,
    get_notebook,
    put_notebook,
    delete_notebook,
    order_notebooks,
    "/notebooks",
    "/notebooks/{id}",
    "/notebooks/order",
    "notebook"
);
