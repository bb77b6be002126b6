//! A tolerant, typed reading of the parts of rrweb events that signals and the timeline need.
//!
//! [`parse_event`] reads one event's JSON text into a [`ParsedEvent`] that borrows from the
//! text: strings stay [`JsonStr`] slices until someone decodes them, so a full snapshot's
//! inlined CSS is scanned once and never copied.
//!
//! Rooms:
//! - this file: the event and source codes, the event envelope ([`parse_event`]), Meta,
//!   Custom and Plugin data;
//! - `nodes`: serialized DOM nodes (a full snapshot's tree, the subtrees of mutation adds) and
//!   their attributes;
//! - `incremental`: incremental snapshot data (mutations, pointer and input activity, ...);
//! - console and network plugin payloads are read by [`crate::devtools`].
//!
//! Invariants:
//! - Never an error for what rrweb may grow: unknown event types, incremental sources, node
//!   types and fields become `Other` cases or are skipped. Only text that is not a JSON object
//!   with a numeric `type` and `timestamp` gives `None`.
//! - Never a panic, and bounded work on hostile input: node trees are read with an explicit
//!   stack (any nesting depth, no recursion), at most `max_nodes` nodes are kept per event, and
//!   lists are capped at [`MAX_LIST_ITEMS`].
//! - Typed input values are not exposed: an [`InputChange`] carries the length of the text,
//!   never the text.

mod incremental;
mod nodes;
#[cfg(test)]
mod tests;

use crate::devtools::{
    CONSOLE_PLUGIN, ConsoleRecord, NETWORK_PLUGIN, NetworkRequest, Recorded, parse_console,
    parse_network,
};
use crate::json::{JsonStr, Parser, Res, for_each_field};
use incremental::parse_incremental;
use nodes::parse_full_snapshot;

pub use incremental::{
    Add, AttributeChange, Incremental, InputChange, MouseInteractionData, Mutation, Position,
    Remove, TextChange, incremental_source,
};
pub use nodes::{Attr, AttrValue, FullSnapshot, NO_PARENT, NodeTree, NodeType, SnapNode};

/// Longest list (adds, removes, positions, requests, ...) read from one event; the rest is skipped.
pub const MAX_LIST_ITEMS: usize = 1_000_000;

/// rrweb `EventType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    DomContentLoaded,
    Load,
    FullSnapshot,
    IncrementalSnapshot,
    Meta,
    Custom,
    Plugin,
    Asset,
    Annotation,
    Other(i64),
}

impl EventType {
    pub fn from_code(code: i64) -> Self {
        match code {
            0 => Self::DomContentLoaded,
            1 => Self::Load,
            2 => Self::FullSnapshot,
            3 => Self::IncrementalSnapshot,
            4 => Self::Meta,
            5 => Self::Custom,
            6 => Self::Plugin,
            7 => Self::Asset,
            8 => Self::Annotation,
            other => Self::Other(other),
        }
    }

    pub fn code(self) -> i64 {
        match self {
            Self::DomContentLoaded => 0,
            Self::Load => 1,
            Self::FullSnapshot => 2,
            Self::IncrementalSnapshot => 3,
            Self::Meta => 4,
            Self::Custom => 5,
            Self::Plugin => 6,
            Self::Asset => 7,
            Self::Annotation => 8,
            Self::Other(code) => code,
        }
    }
}

/// rrweb `IncrementalSource` (`data.source` of an incremental snapshot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Mutation,
    MouseMove,
    MouseInteraction,
    Scroll,
    ViewportResize,
    Input,
    TouchMove,
    MediaInteraction,
    StyleSheetRule,
    CanvasMutation,
    Font,
    /// Console records of rrweb before 1.0 (later a plugin).
    Log,
    Drag,
    StyleDeclaration,
    Selection,
    AdoptedStyleSheet,
    CustomElement,
    Other(i64),
}

impl Source {
    pub fn from_code(code: i64) -> Self {
        match code {
            0 => Self::Mutation,
            1 => Self::MouseMove,
            2 => Self::MouseInteraction,
            3 => Self::Scroll,
            4 => Self::ViewportResize,
            5 => Self::Input,
            6 => Self::TouchMove,
            7 => Self::MediaInteraction,
            8 => Self::StyleSheetRule,
            9 => Self::CanvasMutation,
            10 => Self::Font,
            11 => Self::Log,
            12 => Self::Drag,
            13 => Self::StyleDeclaration,
            14 => Self::Selection,
            15 => Self::AdoptedStyleSheet,
            16 => Self::CustomElement,
            other => Self::Other(other),
        }
    }

    /// A user's activity: what active time and the timeline's inactive stretches count
    /// (pointer, scroll, resize, input, touch, media, drag).
    pub fn is_activity(self) -> bool {
        matches!(
            self,
            Self::MouseMove
                | Self::MouseInteraction
                | Self::Scroll
                | Self::ViewportResize
                | Self::Input
                | Self::TouchMove
                | Self::MediaInteraction
                | Self::Drag
        )
    }
}

/// rrweb `MouseInteractions` (`data.type` when the source is MouseInteraction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interaction {
    MouseUp,
    MouseDown,
    Click,
    ContextMenu,
    DblClick,
    Focus,
    Blur,
    TouchStart,
    TouchMoveDeparted,
    TouchEnd,
    TouchCancel,
    Other(i64),
}

impl Interaction {
    pub fn from_code(code: i64) -> Self {
        match code {
            0 => Self::MouseUp,
            1 => Self::MouseDown,
            2 => Self::Click,
            3 => Self::ContextMenu,
            4 => Self::DblClick,
            5 => Self::Focus,
            6 => Self::Blur,
            7 => Self::TouchStart,
            8 => Self::TouchMoveDeparted,
            9 => Self::TouchEnd,
            10 => Self::TouchCancel,
            other => Self::Other(other),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Meta<'a> {
    pub href: Option<JsonStr<'a>>,
    pub width: Option<f64>,
    pub height: Option<f64>,
}

#[derive(Debug, Clone)]
pub enum Plugin<'a> {
    /// `rrweb/console@1`
    Console(ConsoleRecord<'a>),
    /// `rrweb/network@1`
    Network(Vec<NetworkRequest<'a>>),
    Other {
        name: Option<JsonStr<'a>>,
    },
}

/// A custom event's data, as rrweb's `addCustomEvent(tag, payload)` records it.
#[derive(Debug, Clone, Default)]
pub struct Custom<'a> {
    pub tag: Option<Recorded<'a>>,
    /// The payload's JSON text.
    pub payload: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub enum Data<'a> {
    /// DomContentLoaded, Load: nothing in them.
    Empty,
    Meta(Meta<'a>),
    FullSnapshot(FullSnapshot<'a>),
    Incremental(Incremental<'a>),
    Custom(Custom<'a>),
    Plugin(Plugin<'a>),
    /// Asset, Annotation, unknown types, or data that was missing, not an object or malformed.
    Other,
}

#[derive(Debug, Clone)]
pub struct ParsedEvent<'a> {
    pub event_type: EventType,
    /// Epoch ms; floats truncated.
    pub timestamp: i64,
    pub data: Data<'a>,
}

/// Reads an event's JSON text. `known_type` skips reading `type` when the caller already has
/// it (from [`crate::Event::kind`]); the timestamp is then still read from the text.
/// `max_nodes` bounds the serialized nodes kept. `None` when the text is not an object with a
/// numeric `type` (unless known) and `timestamp`.
pub fn parse_event<'a>(
    text: &'a str,
    known_type: Option<EventType>,
    max_nodes: usize,
) -> Option<ParsedEvent<'a>> {
    let mut p = Parser::new(text);
    if !p.begin_object().ok()? {
        return None;
    }
    let mut event_type = known_type;
    let mut timestamp = None;
    let mut data = None;
    let mut deferred: Option<&'a str> = None;
    let mut first = true;
    while let Some(key) = p.next_key(&mut first).ok()? {
        match key.raw() {
            "type" if known_type.is_none() => {
                event_type = p.int().ok()?.map(EventType::from_code);
            }
            "timestamp" => timestamp = p.int().ok()?,
            "data" => match event_type {
                Some(t) => data = Some(parse_data(&mut p, t, max_nodes).unwrap_or(Data::Other)),
                // `type` comes later: read `data` once it is known.
                None => deferred = Some(p.raw_value().ok()?),
            },
            _ => p.skip_value().ok()?,
        }
    }
    let event_type = event_type?;
    let timestamp = timestamp?;
    let data = match (data, deferred) {
        (Some(d), _) => d,
        (None, Some(raw)) => {
            parse_data(&mut Parser::new(raw), event_type, max_nodes).unwrap_or(Data::Other)
        }
        (None, None) => match event_type {
            EventType::DomContentLoaded | EventType::Load => Data::Empty,
            _ => Data::Other,
        },
    };
    Some(ParsedEvent {
        event_type,
        timestamp,
        data,
    })
}

fn parse_data<'a>(p: &mut Parser<'a>, t: EventType, max_nodes: usize) -> Res<Data<'a>> {
    Ok(match t {
        EventType::DomContentLoaded | EventType::Load => {
            p.skip_value()?;
            Data::Empty
        }
        EventType::Meta => match parse_meta(p)? {
            Some(m) => Data::Meta(m),
            None => Data::Other,
        },
        EventType::FullSnapshot => match parse_full_snapshot(p, max_nodes)? {
            Some(s) => Data::FullSnapshot(s),
            None => Data::Other,
        },
        EventType::IncrementalSnapshot => match parse_incremental(p, max_nodes)? {
            Some(i) => Data::Incremental(i),
            None => Data::Other,
        },
        EventType::Custom => match parse_custom(p)? {
            Some(c) => Data::Custom(c),
            None => Data::Other,
        },
        EventType::Plugin => match parse_plugin(p)? {
            Some(pl) => Data::Plugin(pl),
            None => Data::Other,
        },
        EventType::Asset | EventType::Annotation | EventType::Other(_) => {
            p.skip_value()?;
            Data::Other
        }
    })
}

fn parse_meta<'a>(p: &mut Parser<'a>) -> Res<Option<Meta<'a>>> {
    if !p.begin_object()? {
        return Ok(None);
    }
    let mut meta = Meta::default();
    let mut first = true;
    while let Some(key) = p.next_key(&mut first)? {
        match key.raw() {
            "href" => meta.href = p.str_value()?,
            "width" => meta.width = p.number()?,
            "height" => meta.height = p.number()?,
            _ => p.skip_value()?,
        }
    }
    Ok(Some(meta))
}

fn parse_plugin<'a>(p: &mut Parser<'a>) -> Res<Option<Plugin<'a>>> {
    let mut name: Option<JsonStr<'a>> = None;
    let mut payload: Option<&'a str> = None;
    let is_object = for_each_field(p, |p, key| {
        match key {
            "plugin" => name = p.str_value()?,
            "payload" => payload = Some(p.raw_value()?),
            _ => p.skip_value()?,
        }
        Ok(())
    })?;
    if !is_object {
        return Ok(None);
    }
    let plugin = match (name, payload) {
        (Some(n), Some(raw)) if n.raw() == CONSOLE_PLUGIN => {
            Plugin::Console(parse_console(&mut Parser::new(raw))?)
        }
        (Some(n), Some(raw)) if n.raw() == NETWORK_PLUGIN => {
            Plugin::Network(parse_network(&mut Parser::new(raw))?)
        }
        _ => Plugin::Other { name },
    };
    Ok(Some(plugin))
}

fn parse_custom<'a>(p: &mut Parser<'a>) -> Res<Option<Custom<'a>>> {
    let mut c = Custom::default();
    let is_object = for_each_field(p, |p, key| {
        match key {
            "tag" => c.tag = Some(Recorded::read(p)?),
            "payload" => c.payload = Some(p.raw_value()?),
            _ => p.skip_value()?,
        }
        Ok(())
    })?;
    Ok(is_object.then_some(c))
}
