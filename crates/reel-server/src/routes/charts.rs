//! Charts: `POST /charts/{kind}` answers a chart, `POST /charts/{kind}/sessions` lists the
//! sessions behind one of its data points (the Microscope). Checking a chart is
//! `reel_query::chart`'s; answering it is the store's.

use axum::Json;
use axum::extract::{Path, Query, State};
use reel_engine::store::Project;
use reel_query::chart::{ChartContext, parse_chart, parse_point, parse_session_page};

use super::api::ProjectQuery;
use super::extract::ApiJson;
use crate::AppState;
use crate::analytics_types::*;
use crate::api_types::ErrorBody;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::permissions::{Action, authorize};

pub(super) fn context(state: &AppState, project: &Project) -> ChartContext {
    ChartContext {
        timezone: project.timezone.parse().unwrap_or(chrono_tz::Tz::UTC),
        now_ms: state.now_ms(),
    }
}

fn invalid(e: reel_query::QueryError) -> ApiError {
    ApiError::InvalidParameter(e.to_string())
}

/// Checks and answers any chart.
pub(super) async fn answer(
    state: &AppState,
    project: &Project,
    spec: &ChartSpec,
) -> Result<ChartAnswer, ApiError> {
    let chart = parse_chart(spec, &context(state, project)).map_err(invalid)?;
    Ok(state.engine.chart(project.id, chart).await?)
}

macro_rules! chart_route {
    ($name:ident, $path:literal, $request:ty, $answer:ident, $variant:ident, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(
            post, path = $path, tag = "charts",
            params(ProjectQuery),
            request_body = $request,
            responses(
                (status = 200, body = $answer),
                (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
                (status = 415, body = ErrorBody),
                (status = 503, description = "The chart took too long (code search_timeout)", body = ErrorBody),
            )
        )]
        pub(super) async fn $name(
            State(state): State<AppState>,
            CurrentUser(ctx, _): CurrentUser,
            Query(q): Query<ProjectQuery>,
            ApiJson(request): ApiJson<$request>,
        ) -> Result<Json<$answer>, ApiError> {
            let project = authorize(&ctx, q.project.as_deref(), Action::ViewAnalytics)?;
            match answer(&state, project, &ChartSpec::$variant(request)).await? {
                ChartAnswer::$variant(a) => Ok(Json(a)),
                _ => Err(ApiError::Internal("a chart answered as another kind".into())),
            }
        }
    };
}

chart_route!(
    segmentation,
    "/charts/segmentation",
    SegmentationRequest,
    SegmentationAnswer,
    Segmentation,
    "Event Segmentation: uniques, totals, Active %, average, frequency or a property of events, per interval."
);
chart_route!(
    funnel,
    "/charts/funnel",
    FunnelRequest,
    FunnelAnswer,
    Funnel,
    "Funnel Analysis: users through 2 to 10 steps within a conversion window."
);
chart_route!(
    sessions,
    "/charts/sessions",
    SessionsRequest,
    SessionsAnswer,
    Sessions,
    "User Sessions: sessions, their lengths, sessions and time per user."
);
chart_route!(
    journeys,
    "/charts/journeys",
    JourneysRequest,
    JourneysAnswer,
    Journeys,
    "Journeys: the most common paths from or to an event, or the flows between the most common events."
);
chart_route!(
    experiment,
    "/charts/experiment",
    ExperimentRequest,
    ExperimentAnswer,
    Experiment,
    "Experiment: a goal's conversion per variant against the control, with a confidence interval."
);

/// The Microscope: the sessions behind one data point of a chart, newest first, a page at a
/// time; with `with_replays`, only sessions with a recording.
#[utoipa::path(
    post, path = "/charts/{kind}/sessions", tag = "charts",
    params(
        ("kind" = String, Path, description = "segmentation, funnel, sessions, journeys or experiment: the chart's kind"),
        ProjectQuery,
    ),
    request_body = MicroscopeRequest,
    responses(
        (status = 200, body = MicroscopePage),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 503, description = "The chart took too long (code search_timeout)", body = ErrorBody),
    )
)]
pub(super) async fn microscope(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(kind): Path<String>,
    Query(q): Query<ProjectQuery>,
    ApiJson(request): ApiJson<MicroscopeRequest>,
) -> Result<Json<MicroscopePage>, ApiError> {
    let project = authorize(&ctx, q.project.as_deref(), Action::ViewAnalytics)?;
    if request.chart.kind() != kind {
        return Err(ApiError::InvalidParameter(format!(
            "the chart is a {} chart, the URL says {kind:?}",
            request.chart.kind()
        )));
    }
    let chart = parse_chart(&request.chart, &context(&state, project)).map_err(invalid)?;
    let point = parse_point(&chart, &request.point).map_err(invalid)?;
    let page = parse_session_page(&request).map_err(invalid)?;
    Ok(Json(
        state
            .engine
            .chart_sessions(project.id, chart, point, page)
            .await?,
    ))
}
