//! Checking a chart once: wire form in, typed [`Chart`] (or what is wrong, said so a person can
//! fix it) out. Filters are replay search's (`crate::properties`), so a condition means the
//! same in a chart as in a search.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono_tz::Tz;

use super::buckets::Buckets;
use super::model::*;
use super::wire::*;
use crate::wire::PropertySpec;
use crate::{QueryError, err, event_name, properties, property_key, time_range};

/// What a chart is read against.
#[derive(Debug, Clone, Copy)]
pub struct ChartContext {
    /// The project's timezone: dates and intervals are its.
    pub timezone: Tz,
    pub now_ms: i64,
}

const MAX_EVENTS: usize = 10;
const MAX_STEPS: usize = 10;
const MAX_USER_FILTERS: usize = 20;
const DEFAULT_GROUP_LIMIT: u32 = 10;
const MAX_GROUP_LIMIT: u32 = 50;
const DAY_MS: i64 = 86_400_000;
/// The longest range a chart covers.
const MAX_RANGE_DAYS: i64 = 366 * 3;
pub const DEFAULT_FUNNEL_WINDOW_MS: i64 = DAY_MS;
pub const DEFAULT_JOURNEY_WINDOW_MS: i64 = 3_600_000;
pub const DEFAULT_EXPOSURE_EVENT: &str = "[Experiment] Exposure";
pub const DEFAULT_VARIANT_PROPERTY: &str = "[Experiment] Variant";
pub const FLAG_KEY_PROPERTY: &str = "[Experiment] Flag Key";

/// Checks a chart and makes it typed.
pub fn parse_chart(spec: &ChartSpec, cx: &ChartContext) -> Result<Chart, QueryError> {
    Ok(match spec {
        ChartSpec::Segmentation(r) => Chart::Segmentation(segmentation(r, cx)?),
        ChartSpec::Funnel(r) => Chart::Funnel(funnel(r, cx)?),
        ChartSpec::Sessions(r) => Chart::Sessions(UserSessions {
            scope: scope(
                r.start.as_deref(),
                r.end.as_deref(),
                Some(r.interval),
                &r.user_filters,
                cx,
            )?,
        }),
        ChartSpec::Journeys(r) => Chart::Journeys(journeys(r, cx)?),
        ChartSpec::Experiment(r) => Chart::Experiment(experiment(r, cx)?),
    })
}

fn scope(
    start: Option<&str>,
    end: Option<&str>,
    interval: Option<Interval>,
    user_filters: &[PropertySpec],
    cx: &ChartContext,
) -> Result<Scope, QueryError> {
    let range = time_range(start, end, cx.timezone, cx.now_ms)?;
    if range.end_ms - range.start_ms > MAX_RANGE_DAYS * DAY_MS {
        return err(format!("a chart covers at most {MAX_RANGE_DAYS} days"));
    }
    let buckets = match interval {
        Some(interval) => {
            Buckets::new(interval, cx.timezone, range.start_ms, range.end_ms).map_err(QueryError)?
        }
        None => Buckets::whole(cx.timezone, range.start_ms, range.end_ms),
    };
    if user_filters.len() > MAX_USER_FILTERS {
        return err(format!("at most {MAX_USER_FILTERS} user filters"));
    }
    let user_filters =
        properties_of(user_filters).map_err(|e| QueryError(format!("user_filters: {}", e.0)))?;
    Ok(Scope {
        range,
        buckets,
        user_filters,
    })
}

/// Property conditions, any number up to search's limit per event.
fn properties_of(specs: &[PropertySpec]) -> Result<Vec<crate::PropertyCondition>, QueryError> {
    specs
        .chunks(10)
        .map(properties)
        .collect::<Result<Vec<_>, _>>()
        .map(|v| v.into_iter().flatten().collect())
}

fn selector(spec: &ChartEventSpec) -> Result<EventSelector, QueryError> {
    Ok(EventSelector {
        name: event_name(&spec.event_type)?,
        properties: properties(&spec.filters)
            .map_err(|e| QueryError(format!("{:?}: {}", spec.event_type, e.0)))?,
    })
}

fn group_by(spec: &Option<GroupBySpec>) -> Result<Option<GroupBy>, QueryError> {
    let Some(g) = spec else { return Ok(None) };
    let limit = g.limit.unwrap_or(DEFAULT_GROUP_LIMIT);
    if !(1..=MAX_GROUP_LIMIT).contains(&limit) {
        return err(format!("group_by.limit is 1 to {MAX_GROUP_LIMIT}"));
    }
    Ok(Some(GroupBy {
        key: property_key(&g.property)?,
        user: g.scope == PropertyScope::User,
        limit: limit as usize,
    }))
}

fn segmentation(r: &SegmentationRequest, cx: &ChartContext) -> Result<Segmentation, QueryError> {
    if r.events.is_empty() || r.events.len() > MAX_EVENTS {
        return err(format!("a chart has 1 to {MAX_EVENTS} events"));
    }
    let measure = match (r.measure, &r.property) {
        (SegmentationMeasure::Property, None) => {
            return err("measure property needs `property` (its name and aggregate)");
        }
        (SegmentationMeasure::Property, Some(p)) => {
            let key = property_key(&p.property)?;
            match p.aggregate {
                PropertyAggregate::Sum => Measure::PropertySum(key),
                PropertyAggregate::Average => Measure::PropertyAverage(key),
                PropertyAggregate::Distinct => Measure::PropertyDistinct(key),
            }
        }
        (_, Some(_)) => return err("`property` belongs to measure property"),
        (SegmentationMeasure::Uniques, None) => Measure::Uniques,
        (SegmentationMeasure::Totals, None) => Measure::Totals,
        (SegmentationMeasure::ActivePct, None) => Measure::ActivePct,
        (SegmentationMeasure::Average, None) => Measure::Average,
        (SegmentationMeasure::Frequency, None) => Measure::Frequency,
    };
    Ok(Segmentation {
        scope: scope(
            r.start.as_deref(),
            r.end.as_deref(),
            Some(r.interval),
            &r.user_filters,
            cx,
        )?,
        events: r.events.iter().map(selector).collect::<Result<_, _>>()?,
        measure,
        group_by: group_by(&r.group_by)?,
    })
}

fn window(ms: Option<i64>, default: i64, what: &str) -> Result<i64, QueryError> {
    let ms = ms.unwrap_or(default);
    if !(1_000..=366 * DAY_MS).contains(&ms) {
        return err(format!("{what} is 1 s to 366 days (in ms)"));
    }
    Ok(ms)
}

fn funnel(r: &FunnelRequest, cx: &ChartContext) -> Result<Funnel, QueryError> {
    if !(2..=MAX_STEPS).contains(&r.steps.len()) {
        return err(format!("a funnel has 2 to {MAX_STEPS} steps"));
    }
    Ok(Funnel {
        scope: scope(
            r.start.as_deref(),
            r.end.as_deref(),
            None,
            &r.user_filters,
            cx,
        )?,
        steps: r.steps.iter().map(selector).collect::<Result<_, _>>()?,
        window_ms: window(
            r.conversion_window_ms,
            DEFAULT_FUNNEL_WINDOW_MS,
            "conversion_window_ms",
        )?,
        any_order: r.order == FunnelOrder::Any,
        group_by: group_by(&r.group_by)?,
    })
}

fn journeys(r: &JourneysRequest, cx: &ChartContext) -> Result<Journeys, QueryError> {
    let anchor = match (r.view, &r.start_event, &r.end_event) {
        (JourneyView::JourneyMap, None, None) => Anchor::Map,
        (JourneyView::JourneyMap, _, _) => {
            return err("the journey map takes no start_event or end_event");
        }
        (JourneyView::Pathfinder, Some(s), None) => Anchor::From(selector(s)?),
        (JourneyView::Pathfinder, None, Some(e)) => Anchor::To(selector(e)?),
        (JourneyView::Pathfinder, _, _) => {
            return err("a pathfinder needs either start_event or end_event");
        }
    };
    let steps = r.steps.unwrap_or(5);
    if !(2..=10).contains(&steps) {
        return err("steps is 2 to 10");
    }
    if r.exclude_events.len() > 100 {
        return err("at most 100 exclude_events");
    }
    Ok(Journeys {
        scope: scope(
            r.start.as_deref(),
            r.end.as_deref(),
            None,
            &r.user_filters,
            cx,
        )?,
        anchor,
        steps: steps as usize,
        window_ms: window(r.window_ms, DEFAULT_JOURNEY_WINDOW_MS, "window_ms")?,
        collapse_repeats: r.collapse_repeats.unwrap_or(true),
        excluded: r
            .exclude_events
            .iter()
            .map(|e| event_name(e))
            .collect::<Result<_, _>>()?,
    })
}

fn experiment(r: &ExperimentRequest, cx: &ChartContext) -> Result<Experiment, QueryError> {
    let mut exposure = EventSelector {
        name: event_name(
            r.exposure_event
                .as_deref()
                .unwrap_or(DEFAULT_EXPOSURE_EVENT),
        )?,
        properties: Vec::new(),
    };
    if let Some(flag) = &r.flag_key {
        exposure.properties = properties(&[PropertySpec {
            property: FLAG_KEY_PROPERTY.into(),
            op: crate::wire::Operator::Is,
            values: vec![crate::wire::ScalarValue::Text(flag.clone())],
        }])?;
    }
    let confidence = r.confidence.unwrap_or(0.95);
    if !(0.5..=0.999).contains(&confidence) {
        return err("confidence is 0.5 to 0.999");
    }
    Ok(Experiment {
        scope: scope(
            r.start.as_deref(),
            r.end.as_deref(),
            None,
            &r.user_filters,
            cx,
        )?,
        exposure,
        variant_key: property_key(
            r.variant_property
                .as_deref()
                .unwrap_or(DEFAULT_VARIANT_PROPERTY),
        )?,
        goal: selector(&r.goal)?,
        control: r.control.clone().filter(|c| !c.is_empty()),
        confidence,
    })
}

/// Checks a data point against its chart.
pub fn parse_point(chart: &Chart, p: &DataPointSpec) -> Result<DataPoint, QueryError> {
    let unused = |present: bool, member: &str| -> Result<(), QueryError> {
        if present {
            err(format!("point.{member} does not apply to this chart"))
        } else {
            Ok(())
        }
    };
    let bucket = |ms: Option<i64>| -> Result<Option<usize>, QueryError> {
        match ms {
            None => Ok(None),
            Some(ms) => {
                let b = &chart.scope().buckets;
                match b.starts.iter().position(|s| *s == ms) {
                    Some(i) => Ok(Some(i)),
                    None => err("point.bucket_ms is not the start of one of the chart's intervals"),
                }
            }
        }
    };
    Ok(match chart {
        Chart::Segmentation(s) => {
            unused(p.step.is_some() || p.part.is_some(), "step/part")?;
            unused(
                p.path.is_some() || p.variant.is_some() || p.converted.is_some(),
                "path/variant",
            )?;
            let event_index = p.event_index.unwrap_or(0) as usize;
            if event_index >= s.events.len() {
                return err("point.event_index names no event of the chart");
            }
            if p.bin.is_some() && s.measure != Measure::Frequency {
                return err("point.bin belongs to the frequency measure");
            }
            DataPoint::Segmentation {
                event_index,
                group: p.group.clone(),
                bucket: bucket(p.bucket_ms)?,
                bin: p.bin.clone(),
            }
        }
        Chart::Funnel(f) => {
            unused(
                p.event_index.is_some() || p.bucket_ms.is_some() || p.bin.is_some(),
                "event_index/bucket_ms/bin",
            )?;
            unused(
                p.path.is_some() || p.variant.is_some() || p.converted.is_some(),
                "path/variant",
            )?;
            let step = p.step.unwrap_or(0) as usize;
            if step >= f.steps.len() {
                return err("point.step names no step of the funnel");
            }
            let dropped = p.part == Some(FunnelPart::Dropped);
            if dropped && step == 0 {
                return err("nobody drops off before the first step");
            }
            DataPoint::Funnel {
                step,
                dropped,
                group: p.group.clone(),
            }
        }
        Chart::Sessions(_) => {
            unused(
                p.event_index.is_some()
                    || p.group.is_some()
                    || p.step.is_some()
                    || p.part.is_some(),
                "event_index/group/step",
            )?;
            unused(
                p.path.is_some() || p.variant.is_some() || p.converted.is_some(),
                "path/variant",
            )?;
            DataPoint::Sessions {
                bucket: bucket(p.bucket_ms)?,
                bin: p.bin.clone(),
            }
        }
        Chart::Journeys(_) => {
            unused(
                p.event_index.is_some()
                    || p.group.is_some()
                    || p.step.is_some()
                    || p.part.is_some()
                    || p.bucket_ms.is_some()
                    || p.bin.is_some(),
                "event_index/group/step/bucket_ms",
            )?;
            unused(p.variant.is_some() || p.converted.is_some(), "variant")?;
            let path = p.path.clone().unwrap_or_default();
            if path.is_empty() || path.len() > 10 {
                return err("point.path holds 1 to 10 events");
            }
            DataPoint::Journeys { path }
        }
        Chart::Experiment(_) => {
            unused(
                p.event_index.is_some()
                    || p.group.is_some()
                    || p.step.is_some()
                    || p.part.is_some()
                    || p.bucket_ms.is_some()
                    || p.bin.is_some()
                    || p.path.is_some(),
                "event_index/group/step/path",
            )?;
            DataPoint::Experiment {
                variant: p.variant.clone(),
                converted: p.converted,
            }
        }
    })
}

/// The most sessions a Microscope page holds.
pub const MAX_SESSION_PAGE: u32 = 100;

/// Checks the paging of a Microscope request.
pub fn parse_session_page(r: &MicroscopeRequest) -> Result<SessionPageRequest, QueryError> {
    let limit = match r.limit {
        None => 50,
        Some(n) if (1..=MAX_SESSION_PAGE).contains(&n) => n,
        Some(_) => return err(format!("limit is 1 to {MAX_SESSION_PAGE}")),
    };
    Ok(SessionPageRequest {
        limit: limit as usize,
        with_replays: r.with_replays,
        after: r
            .cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(decode_session_cursor)
            .transpose()?,
    })
}

const CURSOR_VERSION: &str = "m1";

pub fn encode_session_cursor(c: &SessionCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_VERSION}.{}.{}", c.moment_ms, c.row))
}

pub fn decode_session_cursor(text: &str) -> Result<SessionCursor, QueryError> {
    let bad = || QueryError("the cursor is not one this server gave out".into());
    let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let parts: Vec<&str> = text.split('.').collect();
    let [CURSOR_VERSION, moment, row] = parts.as_slice() else {
        return Err(bad());
    };
    Ok(SessionCursor {
        moment_ms: moment.parse().map_err(|_| bad())?,
        row: row.parse().map_err(|_| bad())?,
    })
}
