//! Console and network records, as rrweb's `rrweb/console@1` and `rrweb/network@1` plugins
//! (and pre-1.0 rrweb's incremental log source) write them.

use crate::json::{JsonStr, Parser, Res, for_each_field, for_each_item};
use crate::model::MAX_LIST_ITEMS;

/// Most console arguments read from one console record.
pub const MAX_CONSOLE_ARGS: usize = 64;

/// A console argument: rrweb's console plugin records each as a JSON-stringified value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ConsoleArg<'a> {
    Str(JsonStr<'a>),
    /// Anything that was not a string, as its JSON text.
    Raw(&'a str),
}

#[derive(Debug, Clone, Default)]
pub struct Console<'a> {
    pub level: Option<JsonStr<'a>>,
    pub args: Vec<ConsoleArg<'a>>,
    pub trace_len: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    pub name: Option<JsonStr<'a>>,
    pub method: Option<JsonStr<'a>>,
    /// `status`, or `responseStatus` as other network plugins call it.
    pub status: Option<f64>,
    pub start_time: Option<f64>,
    pub end_time: Option<f64>,
    pub duration: Option<f64>,
    pub initiator_type: Option<JsonStr<'a>>,
    /// `error` as text; `Some("")` when present but not a string.
    pub error: Option<JsonStr<'a>>,
}

pub(crate) fn count_items(p: &mut Parser<'_>) -> Res<usize> {
    let mut n = 0;
    for_each_item(p, MAX_LIST_ITEMS, |p| {
        n += 1;
        p.skip_value()
    })?;
    Ok(n)
}

pub(crate) fn parse_console_args<'a>(p: &mut Parser<'a>) -> Res<Vec<ConsoleArg<'a>>> {
    let mut args = Vec::new();
    for_each_item(p, MAX_LIST_ITEMS, |p| {
        let arg = if p.peek() == Some(b'"') {
            ConsoleArg::Str(p.str_value()?.unwrap_or_default())
        } else {
            ConsoleArg::Raw(p.raw_value()?)
        };
        if args.len() < MAX_CONSOLE_ARGS {
            args.push(arg);
        }
        Ok(())
    })?;
    Ok(args)
}

pub(crate) fn parse_console<'a>(p: &mut Parser<'a>) -> Res<Console<'a>> {
    let mut c = Console::default();
    for_each_field(p, |p, key| {
        match key {
            "level" => c.level = p.str_value()?,
            "trace" => c.trace_len = count_items(p)?,
            "payload" => c.args = parse_console_args(p)?,
            _ => p.skip_value()?,
        }
        Ok(())
    })?;
    Ok(c)
}

pub(crate) fn parse_network<'a>(p: &mut Parser<'a>) -> Res<Vec<Request<'a>>> {
    let mut requests = Vec::new();
    for_each_field(p, |p, key| {
        if key != "requests" {
            return p.skip_value();
        }
        for_each_item(p, MAX_LIST_ITEMS, |p| {
            let mut r = Request::default();
            if for_each_field(p, |p, key| {
                match key {
                    "name" => r.name = p.str_value()?,
                    "method" => r.method = p.str_value()?,
                    "status" | "responseStatus" => {
                        if let Some(s) = p.number()? {
                            r.status = Some(s);
                        }
                    }
                    "startTime" => r.start_time = p.number()?,
                    "endTime" => r.end_time = p.number()?,
                    "duration" => r.duration = p.number()?,
                    "initiatorType" => r.initiator_type = p.str_value()?,
                    "error" => {
                        if p.null() {
                        } else if p.peek() == Some(b'"') {
                            r.error = p.str_value()?;
                        } else {
                            let raw = p.raw_value()?;
                            if raw != "false" {
                                r.error = Some(JsonStr::default());
                            }
                        }
                    }
                    _ => p.skip_value()?,
                }
                Ok(())
            })? {
                requests.push(r);
            }
            Ok(())
        })
    })?;
    Ok(requests)
}
