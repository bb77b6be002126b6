//! A tolerant, typed reading of the parts of rrweb events that signals need.
//!
//! [`parse_event`] reads one event's JSON text into a [`ParsedEvent`] that borrows from the
//! text: strings stay [`JsonStr`] slices until someone decodes them, so a full snapshot's
//! inlined CSS is scanned once and never copied.
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

use std::ops::Range;

use crate::json::{JsonStr, Parser, Res};

/// Longest list (adds, removes, positions, requests, ...) read from one event; the rest is skipped.
pub const MAX_LIST_ITEMS: usize = 1_000_000;
/// Most console arguments read from one console record.
pub const MAX_CONSOLE_ARGS: usize = 64;

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

impl From<crate::EventKind> for EventType {
    fn from(kind: crate::EventKind) -> Self {
        use crate::EventKind as K;
        match kind {
            K::DomContentLoaded => Self::DomContentLoaded,
            K::Load => Self::Load,
            K::FullSnapshot => Self::FullSnapshot,
            K::IncrementalSnapshot => Self::IncrementalSnapshot,
            K::Meta => Self::Meta,
            K::Custom => Self::Custom,
            K::Plugin => Self::Plugin,
            K::Other(code) => Self::from_code(code),
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

/// rrweb-snapshot `NodeType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NodeType {
    Document,
    DocumentType,
    Element,
    Text,
    CData,
    Comment,
    #[default]
    Unknown,
    Other(i64),
}

impl NodeType {
    pub fn from_code(code: i64) -> Self {
        match code {
            0 => Self::Document,
            1 => Self::DocumentType,
            2 => Self::Element,
            3 => Self::Text,
            4 => Self::CData,
            5 => Self::Comment,
            other => Self::Other(other),
        }
    }
}

/// Index of "no parent" in a [`NodeTree`].
pub const NO_PARENT: u32 = u32::MAX;

/// One serialized node, flattened: its children follow it (pre-order) and point back to it.
#[derive(Debug, Clone, Default)]
pub struct SnapNode<'a> {
    pub id: Option<i64>,
    /// Index of the parent in the same [`NodeTree`], or [`NO_PARENT`].
    pub parent: u32,
    pub node_type: NodeType,
    /// `tagName` of elements.
    pub tag: JsonStr<'a>,
    /// Range in [`NodeTree::attributes`].
    pub attributes: Range<u32>,
    /// `textContent` of text, comment and CDATA nodes.
    pub text: JsonStr<'a>,
    pub is_style: bool,
    pub is_svg: bool,
    /// A child of its parent's shadow root.
    pub is_shadow: bool,
    pub is_shadow_host: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AttrValue<'a> {
    Str(JsonStr<'a>),
    Number(f64),
    Bool(bool),
    /// In a mutation: the attribute was removed.
    Null,
    /// An object (a style diff in mutations) or array.
    Structured,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attr<'a> {
    pub name: JsonStr<'a>,
    pub value: AttrValue<'a>,
}

/// Serialized nodes of one event, flattened in document order.
#[derive(Debug, Clone, Default)]
pub struct NodeTree<'a> {
    pub nodes: Vec<SnapNode<'a>>,
    pub attributes: Vec<Attr<'a>>,
    /// Nodes were left out because the event had more than the node limit.
    pub truncated: bool,
}

impl<'a> NodeTree<'a> {
    pub fn attrs(&self, node: &SnapNode<'a>) -> &[Attr<'a>] {
        self.attributes
            .get(node.attributes.start as usize..node.attributes.end as usize)
            .unwrap_or(&[])
    }
}

#[derive(Debug, Clone, Default)]
pub struct Meta<'a> {
    pub href: Option<JsonStr<'a>>,
    pub width: Option<f64>,
    pub height: Option<f64>,
}

#[derive(Debug, Clone, Default)]
pub struct FullSnapshot<'a> {
    pub tree: NodeTree<'a>,
    /// `initialOffset` as (top, left).
    pub initial_offset: Option<(f64, f64)>,
}

#[derive(Debug, Clone, Default)]
pub struct Add {
    pub parent_id: Option<i64>,
    pub next_id: Option<i64>,
    pub previous_id: Option<i64>,
    /// The added node and its serialized descendants, in [`Mutation::tree`]; the first is the
    /// added node itself. Empty when the node was not an object or over the limit.
    pub nodes: Range<u32>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Remove {
    pub parent_id: Option<i64>,
    pub id: Option<i64>,
    pub is_shadow: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TextChange<'a> {
    pub id: Option<i64>,
    /// `None` for `null`: the text became empty.
    pub value: Option<JsonStr<'a>>,
}

#[derive(Debug, Clone, Default)]
pub struct AttributeChange {
    pub id: Option<i64>,
    /// Range in [`Mutation::tree`]`.attributes`.
    pub attributes: Range<u32>,
}

#[derive(Debug, Clone, Default)]
pub struct Mutation<'a> {
    pub adds: Vec<Add>,
    pub removes: Vec<Remove>,
    pub texts: Vec<TextChange<'a>>,
    pub attributes: Vec<AttributeChange>,
    /// Nodes of all adds and attributes of all attribute changes.
    pub tree: NodeTree<'a>,
    pub is_attach_iframe: bool,
}

impl Mutation<'_> {
    /// Whether it changes anything at all.
    pub fn is_empty(&self) -> bool {
        self.adds.is_empty()
            && self.removes.is_empty()
            && self.texts.is_empty()
            && self.attributes.is_empty()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Position {
    pub x: Option<f64>,
    pub y: Option<f64>,
    pub id: Option<i64>,
    pub time_offset: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MouseInteractionData {
    pub kind: Interaction,
    pub id: Option<i64>,
    pub x: Option<f64>,
    pub y: Option<f64>,
    pub pointer_type: Option<i64>,
}

/// An input change. The typed text itself is deliberately not kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputChange {
    pub id: Option<i64>,
    pub is_checked: Option<bool>,
    pub user_triggered: Option<bool>,
    /// Length in bytes of the (JSON-encoded, possibly masked) text.
    pub text_len: Option<usize>,
}

#[derive(Debug, Clone)]
pub enum Incremental<'a> {
    Mutation(Mutation<'a>),
    MouseMove(Vec<Position>),
    TouchMove(Vec<Position>),
    Drag(Vec<Position>),
    MouseInteraction(MouseInteractionData),
    Scroll {
        id: Option<i64>,
        x: Option<f64>,
        y: Option<f64>,
    },
    ViewportResize {
        width: Option<f64>,
        height: Option<f64>,
    },
    Input(InputChange),
    MediaInteraction {
        id: Option<i64>,
        kind: Option<i64>,
    },
    Selection {
        ranges: usize,
    },
    /// Pre-1.0 console record; same shape as the console plugin's payload.
    Log(Console<'a>),
    /// A source whose content signals do not read (style sheets, canvas, fonts, ...), or an
    /// unknown one.
    Other(Source),
}

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

#[derive(Debug, Clone)]
pub enum Plugin<'a> {
    /// `rrweb/console@1`
    Console(Console<'a>),
    /// `rrweb/network@1`
    Network(Vec<Request<'a>>),
    Other {
        name: Option<JsonStr<'a>>,
    },
}

#[derive(Debug, Clone, Default)]
pub struct Custom<'a> {
    pub tag: Option<JsonStr<'a>>,
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

fn parse_full_snapshot<'a>(p: &mut Parser<'a>, max_nodes: usize) -> Res<Option<FullSnapshot<'a>>> {
    if !p.begin_object()? {
        return Ok(None);
    }
    let mut snap = FullSnapshot::default();
    let mut first = true;
    while let Some(key) = p.next_key(&mut first)? {
        match key.raw() {
            "node" => {
                // A second `node` key replaces the first.
                snap.tree = NodeTree::default();
                parse_tree(p, &mut snap.tree, max_nodes)?;
            }
            "initialOffset" => snap.initial_offset = parse_offset(p)?,
            _ => p.skip_value()?,
        }
    }
    Ok(Some(snap))
}

fn parse_offset(p: &mut Parser<'_>) -> Res<Option<(f64, f64)>> {
    if !p.begin_object()? {
        return Ok(None);
    }
    let (mut top, mut left) = (None, None);
    let mut first = true;
    while let Some(key) = p.next_key(&mut first)? {
        match key.raw() {
            "top" => top = p.number()?,
            "left" => left = p.number()?,
            _ => p.skip_value()?,
        }
    }
    Ok(Some((top.unwrap_or(0.0), left.unwrap_or(0.0))))
}

enum Frame {
    /// Reading the keys of node `.0` (or of a dropped node, [`NO_PARENT`]).
    Node(u32, bool),
    /// Reading the `childNodes` of node `.0`.
    Children(u32, bool),
}

/// Reads one serialized node and its descendants into `tree`, iteratively. Returns the index
/// of the node, or `None` when the value is not an object or the tree is full.
fn parse_tree<'a>(
    p: &mut Parser<'a>,
    tree: &mut NodeTree<'a>,
    max_nodes: usize,
) -> Res<Option<u32>> {
    if !p.begin_object()? {
        return Ok(None);
    }
    let new_node = |tree: &mut NodeTree<'a>, parent: u32| -> u32 {
        if tree.nodes.len() >= max_nodes {
            tree.truncated = true;
            return NO_PARENT;
        }
        tree.nodes.push(SnapNode {
            parent,
            ..SnapNode::default()
        });
        (tree.nodes.len() - 1) as u32
    };
    let root = new_node(tree, NO_PARENT);
    let mut stack = vec![Frame::Node(root, true)];
    while let Some(top) = stack.last_mut() {
        match top {
            Frame::Node(idx, first) => {
                let idx = *idx;
                let Some(key) = p.next_key(first)? else {
                    stack.pop();
                    continue;
                };
                if key.raw() == "childNodes" && p.peek() == Some(b'[') {
                    p.begin_array()?;
                    stack.push(Frame::Children(idx, true));
                } else if idx == NO_PARENT {
                    p.skip_value()?;
                } else {
                    parse_node_field(p, tree, idx, key)?;
                }
            }
            Frame::Children(parent, first) => {
                let parent = *parent;
                if !p.next_item(first)? {
                    stack.pop();
                    continue;
                }
                if p.peek() == Some(b'{') {
                    p.begin_object()?;
                    let idx = if parent == NO_PARENT {
                        NO_PARENT
                    } else {
                        new_node(tree, parent)
                    };
                    stack.push(Frame::Node(idx, true));
                } else {
                    p.skip_value()?;
                }
            }
        }
    }
    Ok((root != NO_PARENT).then_some(root))
}

fn parse_node_field<'a>(
    p: &mut Parser<'a>,
    tree: &mut NodeTree<'a>,
    idx: u32,
    key: JsonStr<'a>,
) -> Res<()> {
    let i = idx as usize;
    match key.raw() {
        "id" => tree.nodes[i].id = p.int()?,
        "type" => tree.nodes[i].node_type = p.int()?.map_or(NodeType::Unknown, NodeType::from_code),
        "tagName" => tree.nodes[i].tag = p.str_value()?.unwrap_or_default(),
        "textContent" => tree.nodes[i].text = p.str_value()?.unwrap_or_default(),
        "isStyle" => tree.nodes[i].is_style = p.boolean()?.unwrap_or(false),
        "isSVG" => tree.nodes[i].is_svg = p.boolean()?.unwrap_or(false),
        "isShadow" => tree.nodes[i].is_shadow = p.boolean()?.unwrap_or(false),
        "isShadowHost" => tree.nodes[i].is_shadow_host = p.boolean()?.unwrap_or(false),
        "attributes" => tree.nodes[i].attributes = parse_attrs(p, &mut tree.attributes)?,
        _ => p.skip_value()?,
    }
    Ok(())
}

/// An attribute map; entries are appended to `out`, the range of them is returned.
fn parse_attrs<'a>(p: &mut Parser<'a>, out: &mut Vec<Attr<'a>>) -> Res<Range<u32>> {
    let start = out.len() as u32;
    if !p.begin_object()? {
        return Ok(start..start);
    }
    let mut first = true;
    while let Some(name) = p.next_key(&mut first)? {
        let value = match p.peek() {
            Some(b'"') => AttrValue::Str(p.str_value()?.unwrap_or_default()),
            Some(b'n') if p.null() => AttrValue::Null,
            Some(b't' | b'f') => match p.boolean()? {
                Some(b) => AttrValue::Bool(b),
                None => AttrValue::Structured,
            },
            Some(b'-' | b'0'..=b'9') => match p.number()? {
                Some(n) => AttrValue::Number(n),
                None => AttrValue::Structured,
            },
            _ => {
                p.skip_value()?;
                AttrValue::Structured
            }
        };
        if out.len() < MAX_LIST_ITEMS * 4 {
            out.push(Attr { name, value });
        }
    }
    Ok(start..out.len() as u32)
}

/// Calls `item` for each element of an array (skipping the value if it is not one), at most
/// [`MAX_LIST_ITEMS`] times; further items are skipped.
fn for_each_item<'a>(
    p: &mut Parser<'a>,
    mut item: impl FnMut(&mut Parser<'a>) -> Res<()>,
) -> Res<()> {
    if !p.begin_array()? {
        return Ok(());
    }
    let mut first = true;
    let mut n = 0usize;
    while p.next_item(&mut first)? {
        if n < MAX_LIST_ITEMS {
            item(p)?;
        } else {
            p.skip_value()?;
        }
        n += 1;
    }
    Ok(())
}

/// Calls `field` for each key of an object (skipping the value if it is not one).
fn for_each_field<'a>(
    p: &mut Parser<'a>,
    mut field: impl FnMut(&mut Parser<'a>, &str) -> Res<()>,
) -> Res<bool> {
    if !p.begin_object()? {
        return Ok(false);
    }
    let mut first = true;
    while let Some(key) = p.next_key(&mut first)? {
        field(p, key.raw())?;
    }
    Ok(true)
}

fn parse_positions(p: &mut Parser<'_>) -> Res<Vec<Position>> {
    let mut out = Vec::new();
    for_each_item(p, |p| {
        let mut pos = Position::default();
        let is_object = for_each_field(p, |p, key| {
            match key {
                "x" => pos.x = p.number()?,
                "y" => pos.y = p.number()?,
                "id" => pos.id = p.int()?,
                "timeOffset" => pos.time_offset = p.number()?,
                _ => p.skip_value()?,
            }
            Ok(())
        })?;
        if is_object {
            out.push(pos);
        }
        Ok(())
    })?;
    Ok(out)
}

/// Everything an incremental snapshot's `data` may hold; which fields mean something depends
/// on `source`, which may come in any order, so all are read first.
#[derive(Default)]
struct IncrementalFields<'a> {
    source: Option<i64>,
    kind: Option<i64>,
    id: Option<i64>,
    x: Option<f64>,
    y: Option<f64>,
    pointer_type: Option<i64>,
    positions: Vec<Position>,
    mutation: Mutation<'a>,
    text_len: Option<usize>,
    is_checked: Option<bool>,
    user_triggered: Option<bool>,
    width: Option<f64>,
    height: Option<f64>,
    ranges: usize,
    console: Console<'a>,
}

fn parse_incremental<'a>(p: &mut Parser<'a>, max_nodes: usize) -> Res<Option<Incremental<'a>>> {
    let mut f = IncrementalFields::default();
    let is_object = for_each_field(p, |p, key| {
        match key {
            "source" => f.source = p.int()?,
            "type" => f.kind = p.int()?,
            "id" => f.id = p.int()?,
            "x" => f.x = p.number()?,
            "y" => f.y = p.number()?,
            "pointerType" => f.pointer_type = p.int()?,
            "positions" => f.positions = parse_positions(p)?,
            "adds" => parse_adds(p, &mut f.mutation, max_nodes)?,
            "removes" => parse_removes(p, &mut f.mutation.removes)?,
            "texts" => parse_texts(p, &mut f.mutation.texts)?,
            "attributes" => parse_attribute_changes(p, &mut f.mutation)?,
            "isAttachIframe" => f.mutation.is_attach_iframe = p.boolean()?.unwrap_or(false),
            "text" => f.text_len = p.str_value()?.map(|s| s.raw_len()),
            "isChecked" => f.is_checked = p.boolean()?,
            "userTriggered" => f.user_triggered = p.boolean()?,
            "width" => f.width = p.number()?,
            "height" => f.height = p.number()?,
            "ranges" => for_each_item(p, |p| {
                f.ranges += 1;
                p.skip_value()
            })?,
            "level" => f.console.level = p.str_value()?,
            "trace" => f.console.trace_len = count_items(p)?,
            "payload" => f.console.args = parse_console_args(p)?,
            _ => p.skip_value()?,
        }
        Ok(())
    })?;
    if !is_object {
        return Ok(None);
    }
    let Some(source) = f.source.map(Source::from_code) else {
        return Ok(None);
    };
    Ok(Some(match source {
        Source::Mutation => Incremental::Mutation(f.mutation),
        Source::MouseMove => Incremental::MouseMove(f.positions),
        Source::TouchMove => Incremental::TouchMove(f.positions),
        Source::Drag => Incremental::Drag(f.positions),
        Source::MouseInteraction => Incremental::MouseInteraction(MouseInteractionData {
            kind: Interaction::from_code(f.kind.unwrap_or(-1)),
            id: f.id,
            x: f.x,
            y: f.y,
            pointer_type: f.pointer_type,
        }),
        Source::Scroll => Incremental::Scroll {
            id: f.id,
            x: f.x,
            y: f.y,
        },
        Source::ViewportResize => Incremental::ViewportResize {
            width: f.width,
            height: f.height,
        },
        Source::Input => Incremental::Input(InputChange {
            id: f.id,
            is_checked: f.is_checked,
            user_triggered: f.user_triggered,
            text_len: f.text_len,
        }),
        Source::MediaInteraction => Incremental::MediaInteraction {
            id: f.id,
            kind: f.kind,
        },
        Source::Selection => Incremental::Selection { ranges: f.ranges },
        Source::Log => Incremental::Log(f.console),
        other => Incremental::Other(other),
    }))
}

fn count_items(p: &mut Parser<'_>) -> Res<usize> {
    let mut n = 0;
    for_each_item(p, |p| {
        n += 1;
        p.skip_value()
    })?;
    Ok(n)
}

fn parse_adds<'a>(p: &mut Parser<'a>, m: &mut Mutation<'a>, max_nodes: usize) -> Res<()> {
    let Mutation { adds, tree, .. } = m;
    for_each_item(p, |p| {
        let mut add = Add::default();
        let is_object = for_each_field(p, |p, key| {
            match key {
                "parentId" => add.parent_id = p.int()?,
                "nextId" => add.next_id = p.int()?,
                "previousId" => add.previous_id = p.int()?,
                "node" => {
                    let start = tree.nodes.len() as u32;
                    parse_tree(p, tree, max_nodes)?;
                    add.nodes = start..tree.nodes.len() as u32;
                }
                _ => p.skip_value()?,
            }
            Ok(())
        })?;
        if is_object {
            adds.push(add);
        }
        Ok(())
    })
}

fn parse_removes(p: &mut Parser<'_>, out: &mut Vec<Remove>) -> Res<()> {
    for_each_item(p, |p| {
        let mut r = Remove::default();
        if for_each_field(p, |p, key| {
            match key {
                "parentId" => r.parent_id = p.int()?,
                "id" => r.id = p.int()?,
                "isShadow" => r.is_shadow = p.boolean()?.unwrap_or(false),
                _ => p.skip_value()?,
            }
            Ok(())
        })? {
            out.push(r);
        }
        Ok(())
    })
}

fn parse_texts<'a>(p: &mut Parser<'a>, out: &mut Vec<TextChange<'a>>) -> Res<()> {
    for_each_item(p, |p| {
        let mut t = TextChange::default();
        if for_each_field(p, |p, key| {
            match key {
                "id" => t.id = p.int()?,
                "value" => t.value = p.str_value()?,
                _ => p.skip_value()?,
            }
            Ok(())
        })? {
            out.push(t);
        }
        Ok(())
    })
}

fn parse_attribute_changes<'a>(p: &mut Parser<'a>, m: &mut Mutation<'a>) -> Res<()> {
    let Mutation {
        attributes, tree, ..
    } = m;
    for_each_item(p, |p| {
        let mut change = AttributeChange::default();
        if for_each_field(p, |p, key| {
            match key {
                "id" => change.id = p.int()?,
                "attributes" => change.attributes = parse_attrs(p, &mut tree.attributes)?,
                _ => p.skip_value()?,
            }
            Ok(())
        })? {
            attributes.push(change);
        }
        Ok(())
    })
}

fn parse_console_args<'a>(p: &mut Parser<'a>) -> Res<Vec<ConsoleArg<'a>>> {
    let mut args = Vec::new();
    for_each_item(p, |p| {
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

fn parse_console<'a>(p: &mut Parser<'a>) -> Res<Console<'a>> {
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

fn parse_network<'a>(p: &mut Parser<'a>) -> Res<Vec<Request<'a>>> {
    let mut requests = Vec::new();
    for_each_field(p, |p, key| {
        if key != "requests" {
            return p.skip_value();
        }
        for_each_item(p, |p| {
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
        (Some(n), Some(raw)) if n.raw() == "rrweb/console@1" => {
            Plugin::Console(parse_console(&mut Parser::new(raw))?)
        }
        (Some(n), Some(raw)) if n.raw() == "rrweb/network@1" => {
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
            "tag" => c.tag = p.str_value()?,
            "payload" => c.payload = Some(p.raw_value()?),
            _ => p.skip_value()?,
        }
        Ok(())
    })?;
    Ok(is_object.then_some(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compact description of what was read, for table tests.
    fn summary(text: &str) -> String {
        let Some(e) = parse_event(text, None, 1000) else {
            return "none".into();
        };
        let head = format!("{}@{}", e.event_type.code(), e.timestamp);
        let s = |j: Option<JsonStr<'_>>| j.map_or("-".into(), |j| j.decode().into_owned());
        let body = match &e.data {
            Data::Empty => "empty".into(),
            Data::Other => "other".into(),
            Data::Meta(m) => format!("meta {} {:?}x{:?}", s(m.href), m.width, m.height),
            Data::FullSnapshot(f) => format!(
                "snapshot {} nodes, tags {:?}, offset {:?}",
                f.tree.nodes.len(),
                f.tree
                    .nodes
                    .iter()
                    .filter(|n| n.node_type == NodeType::Element)
                    .map(|n| n.tag.decode().into_owned())
                    .collect::<Vec<_>>(),
                f.initial_offset
            ),
            Data::Incremental(Incremental::Mutation(m)) => format!(
                "mutation adds {:?} removes {} texts {:?} attrs {} nodes {}",
                m.adds
                    .iter()
                    .map(|a| (a.parent_id, a.nodes.len()))
                    .collect::<Vec<_>>(),
                m.removes.len(),
                m.texts.iter().map(|t| s(t.value)).collect::<Vec<_>>(),
                m.attributes.len(),
                m.tree.nodes.len()
            ),
            Data::Incremental(Incremental::MouseInteraction(i)) => {
                format!("mouse {:?} {:?} {:?},{:?}", i.kind, i.id, i.x, i.y)
            }
            Data::Incremental(Incremental::MouseMove(p)) => format!("move {}", p.len()),
            Data::Incremental(Incremental::Input(i)) => format!("input {i:?}"),
            Data::Incremental(i) => format!("{i:?}"),
            Data::Plugin(Plugin::Console(c)) => format!(
                "console {} {:?} trace {}",
                s(c.level),
                c.args
                    .iter()
                    .map(|a| match a {
                        ConsoleArg::Str(j) => j.decode().into_owned(),
                        ConsoleArg::Raw(r) => format!("raw {r}"),
                    })
                    .collect::<Vec<_>>(),
                c.trace_len
            ),
            Data::Plugin(Plugin::Network(r)) => format!(
                "network {:?}",
                r.iter()
                    .map(|r| (s(r.method), s(r.name), r.status, s(r.error)))
                    .collect::<Vec<_>>()
            ),
            Data::Plugin(Plugin::Other { name }) => format!("plugin {}", s(*name)),
            Data::Custom(c) => format!("custom {} {:?}", s(c.tag), c.payload),
        };
        format!("{head} {body}")
    }

    #[test]
    fn parse_cases() {
        let cases: &[(&str, &str)] = &[
            (r#"{"type":0,"data":{},"timestamp":5}"#, "0@5 empty"),
            (
                r#"{"type":4,"data":{"href":"https://a.test/x?q=1","width":1280,"height":720.5},"timestamp":1.9}"#,
                "4@1 meta https://a.test/x?q=1 Some(1280.0)xSome(720.5)",
            ),
            (
                r#"{"data":{"href":"late type"},"timestamp":2,"type":4}"#,
                "4@2 meta late type NonexNone",
            ),
            (
                r#"{"type":2,"timestamp":3,"data":{"initialOffset":{"top":10,"left":0},"node":{"type":0,"id":1,"childNodes":[{"childNodes":[{"type":3,"id":3,"textContent":"x"}],"type":2,"tagName":"html","id":2,"attributes":{"lang":"en","_cssText":"a{b:\"c\"}"}}]}}}"#,
                "2@3 snapshot 3 nodes, tags [\"html\"], offset Some((10.0, 0.0))",
            ),
            (
                r#"{"type":3,"timestamp":4,"data":{"adds":[{"parentId":5,"nextId":null,"node":{"type":3,"id":9,"textContent":"a"}}],"source":0,"removes":[{"parentId":5,"id":8}],"texts":[{"id":7,"value":"t\u00e9"},{"id":7,"value":null}],"attributes":[{"id":5,"attributes":{"class":"x","style":{"color":"red"},"title":null}}]}}"#,
                "3@4 mutation adds [(Some(5), 1)] removes 1 texts [\"té\", \"-\"] attrs 1 nodes 1",
            ),
            (
                r#"{"type":3,"timestamp":5,"data":{"source":2,"type":2,"id":16,"x":30.5,"y":30}}"#,
                "3@5 mouse Click Some(16) Some(30.5),Some(30.0)",
            ),
            (
                r#"{"type":3,"timestamp":5,"data":{"source":2,"type":99,"id":"16"}}"#,
                "3@5 mouse Other(99) None None,None",
            ),
            (
                r#"{"type":3,"timestamp":6,"data":{"source":1,"positions":[{"x":1,"y":2,"id":3,"timeOffset":-10},{"x":4},5]}}"#,
                "3@6 move 2",
            ),
            (
                r#"{"type":3,"timestamp":7,"data":{"source":5,"text":"secret","isChecked":false,"id":26,"userTriggered":true}}"#,
                "3@7 input InputChange { id: Some(26), is_checked: Some(false), user_triggered: Some(true), text_len: Some(6) }",
            ),
            (
                r#"{"type":3,"timestamp":8,"data":{"source":3,"id":1,"x":0,"y":250}}"#,
                "3@8 Scroll { id: Some(1), x: Some(0.0), y: Some(250.0) }",
            ),
            (
                r#"{"type":3,"timestamp":8,"data":{"source":4,"width":390,"height":844}}"#,
                "3@8 ViewportResize { width: Some(390.0), height: Some(844.0) }",
            ),
            (
                r#"{"type":3,"timestamp":8,"data":{"source":14,"ranges":[{"start":1},{"start":2}]}}"#,
                "3@8 Selection { ranges: 2 }",
            ),
            (
                r#"{"type":3,"timestamp":8,"data":{"source":16,"define":{"name":"x-y"}}}"#,
                "3@8 Other(CustomElement)",
            ),
            (
                r#"{"type":3,"timestamp":8,"data":{"source":42}}"#,
                "3@8 Other(Other(42))",
            ),
            (r#"{"type":3,"timestamp":8,"data":{"id":3}}"#, "3@8 other"),
            (
                r#"{"type":6,"timestamp":9,"data":{"payload":{"level":"error","trace":["a.js:1:2"],"payload":["\"Uncaught Error: boom\"",{"x":1}]},"plugin":"rrweb/console@1"}}"#,
                "6@9 console error [\"\\\"Uncaught Error: boom\\\"\", \"raw {\\\"x\\\":1}\"] trace 1",
            ),
            (
                r#"{"type":6,"timestamp":9,"data":{"plugin":"rrweb/network@1","payload":{"requests":[{"name":"https://a.test/api","method":"POST","status":502,"startTime":1,"endTime":2,"duration":1,"initiatorType":"fetch"},{"name":"https://a.test/b","method":"GET","status":0,"error":"TypeError: Failed to fetch"},{"responseStatus":404}]}}}"#,
                "6@9 network [(\"POST\", \"https://a.test/api\", Some(502.0), \"-\"), (\"GET\", \"https://a.test/b\", Some(0.0), \"TypeError: Failed to fetch\"), (\"-\", \"-\", Some(404.0), \"-\")]",
            ),
            (
                r#"{"type":6,"timestamp":9,"data":{"plugin":"acme/thing@2","payload":{}}}"#,
                "6@9 plugin acme/thing@2",
            ),
            (
                r#"{"type":5,"timestamp":9,"data":{"tag":"checkout","payload":{"step":2}}}"#,
                "5@9 custom checkout Some(\"{\\\"step\\\":2}\")",
            ),
            (
                r#"{"type":7,"timestamp":9,"data":{"url":"x"}}"#,
                "7@9 other",
            ),
            (r#"{"type":8,"timestamp":9,"data":{}}"#, "8@9 other"),
            (r#"{"type":4,"timestamp":9,"data":"odd"}"#, "4@9 other"),
            (r#"{"type":4,"timestamp":9}"#, "4@9 other"),
            (
                r#"{"type":3,"timestamp":9,"data":{"source":0,"adds":[{"parentId":1,"node":{"type":2,"tagName":"p","id":2"#,
                "none",
            ),
            (r#"{"type":"3","timestamp":9,"data":{}}"#, "none"),
            (r#"{"type":3,"data":{}}"#, "none"),
            (r#"[1,2]"#, "none"),
            ("", "none"),
        ];
        for (text, want) in cases {
            assert_eq!(summary(text), *want, "{text}");
        }
    }

    #[test]
    fn node_limit_and_deep_nesting() {
        let depth = 100_000;
        let mut text = String::from(r#"{"type":2,"timestamp":1,"data":{"node":"#);
        for i in 0..depth {
            text.push_str(&format!(
                r#"{{"type":2,"tagName":"div","id":{},"childNodes":["#,
                i + 1
            ));
        }
        text.push_str(&"]}".repeat(depth));
        text.push_str("}}");
        let Some(ParsedEvent {
            data: Data::FullSnapshot(snap),
            ..
        }) = parse_event(&text, None, 500)
        else {
            panic!("a snapshot");
        };
        assert_eq!(snap.tree.nodes.len(), 500);
        assert!(snap.tree.truncated);
        assert_eq!(snap.tree.nodes[499].parent, 498);
        // Deep nesting of plain arrays inside a field is skipped the same way.
        let deep = format!(
            r#"{{"type":5,"timestamp":1,"data":{{"tag":"t","payload":{}{}}}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        assert!(matches!(
            parse_event(&deep, None, 10).map(|e| e.data),
            Some(Data::Custom(_))
        ));
    }

    #[test]
    fn known_type_is_not_read_again() {
        let e = parse_event(
            r#"{"type":"nonsense","timestamp":3,"data":{"href":"h"}}"#,
            Some(EventType::Meta),
            10,
        )
        .unwrap();
        assert!(matches!(e.data, Data::Meta(_)));
    }
}
