//! Incremental snapshot data (`type` 3): which `source` it is and what that source carries —
//! mutations, pointer moves and interactions, scrolls, viewport sizes, input state (never the
//! typed text), media, selections and pre-1.0 console records.

use std::ops::Range;

use super::MAX_LIST_ITEMS;
use super::nodes::{NodeTree, parse_attrs, parse_tree};
use super::{Interaction, Source};
use crate::devtools::ConsoleRecord;
use crate::json::{JsonStr, Parser, Res, for_each_field, for_each_item};

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
    Log(ConsoleRecord<'a>),
    /// A source whose content signals do not read (style sheets, canvas, fonts, ...), or an
    /// unknown one.
    Other(Source),
}

impl Incremental<'_> {
    pub fn source(&self) -> Source {
        match self {
            Self::Mutation(_) => Source::Mutation,
            Self::MouseMove(_) => Source::MouseMove,
            Self::TouchMove(_) => Source::TouchMove,
            Self::Drag(_) => Source::Drag,
            Self::MouseInteraction(_) => Source::MouseInteraction,
            Self::Scroll { .. } => Source::Scroll,
            Self::ViewportResize { .. } => Source::ViewportResize,
            Self::Input(_) => Source::Input,
            Self::MediaInteraction { .. } => Source::MediaInteraction,
            Self::Selection { .. } => Source::Selection,
            Self::Log(_) => Source::Log,
            Self::Other(source) => *source,
        }
    }
}

/// The `source` of an incremental snapshot event (its JSON text), read without building
/// anything else: for readers that act on a few sources only.
pub fn incremental_source(text: &str) -> Option<Source> {
    let mut source = None;
    for_each_field(&mut Parser::new(text), |p, key| {
        if key != "data" {
            return p.skip_value();
        }
        for_each_field(p, |p, key| match key {
            "source" => {
                source = p.int()?;
                Ok(())
            }
            _ => p.skip_value(),
        })?;
        Ok(())
    })
    .ok()?;
    source.map(Source::from_code)
}

fn parse_positions(p: &mut Parser<'_>) -> Res<Vec<Position>> {
    let mut out = Vec::new();
    for_each_item(p, MAX_LIST_ITEMS, |p| {
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
    console: ConsoleRecord<'a>,
}

pub(super) fn parse_incremental<'a>(
    p: &mut Parser<'a>,
    max_nodes: usize,
) -> Res<Option<Incremental<'a>>> {
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
            "ranges" => for_each_item(p, MAX_LIST_ITEMS, |p| {
                f.ranges += 1;
                p.skip_value()
            })?,
            "level" | "trace" | "payload" => {
                f.console.read_field(p, key)?;
            }
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

fn parse_adds<'a>(p: &mut Parser<'a>, m: &mut Mutation<'a>, max_nodes: usize) -> Res<()> {
    let Mutation { adds, tree, .. } = m;
    for_each_item(p, MAX_LIST_ITEMS, |p| {
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
    for_each_item(p, MAX_LIST_ITEMS, |p| {
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
    for_each_item(p, MAX_LIST_ITEMS, |p| {
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
    for_each_item(p, MAX_LIST_ITEMS, |p| {
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
