//! Serialized DOM nodes, as a full snapshot's `node` tree and the subtrees of mutation adds
//! carry them: flattened into a [`NodeTree`] (pre-order, children pointing back to their
//! parent), read with an explicit stack so that no nesting depth recurses, at most
//! `max_nodes` per event.

use std::ops::Range;

use super::MAX_LIST_ITEMS;
use crate::json::{JsonStr, Parser, Res};

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
pub struct FullSnapshot<'a> {
    pub tree: NodeTree<'a>,
    /// `initialOffset` as (top, left).
    pub initial_offset: Option<(f64, f64)>,
}

pub(super) fn parse_full_snapshot<'a>(
    p: &mut Parser<'a>,
    max_nodes: usize,
) -> Res<Option<FullSnapshot<'a>>> {
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
pub(super) fn parse_tree<'a>(
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
pub(super) fn parse_attrs<'a>(p: &mut Parser<'a>, out: &mut Vec<Attr<'a>>) -> Res<Range<u32>> {
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
