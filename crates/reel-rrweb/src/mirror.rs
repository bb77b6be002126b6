//! A bounded mirror of the recorded page's DOM, kept up to date from the event stream, so that
//! every click and input can be attributed to the element it happened on.
//!
//! What it applies, the way rrweb's replayer does:
//! - FullSnapshot: replaces the whole tree.
//! - Mutation: removes first, then adds (placed after `previousId`, else before `nextId`, else
//!   appended; adds whose parent or next sibling comes later in the same mutation wait for it),
//!   then text changes, then attribute changes (`null` removes; style diffs are ignored).
//!   An add of an id that already exists replaces that node and its subtree. An element or
//!   doctype added to a document replaces the document's current one (document replacement);
//!   a document added to an element (an iframe's content) replaces the previous one.
//! - Input: only the checked state. Typed values are never stored.
//! - Shadow roots and iframe documents are kept as children of their host / iframe element.
//!
//! Invariants:
//! - Bounded: at most `max_nodes` live nodes (beyond that, adds are refused and counted, the
//!   mirror degrades instead of growing); text nodes keep at most [`MAX_TEXT_BYTES`], attributes
//!   only a fixed set of names ([`AttrName`]) of at most [`MAX_ATTR_BYTES`] each, and all kept
//!   strings together at most `max_string_bytes` (beyond that, new nodes come without text and
//!   attributes). Memory follows the live DOM: removed nodes' slots and bytes are reused. Worst
//!   case: about 112 bytes per node slot plus the string budget.
//! - Always a forest: a node is created fresh and linked under an existing parent, so no
//!   sequence of mutations can make a cycle; removes and adds of unknown ids are ignored.
//! - No recursion anywhere: every walk uses parent/sibling links or an explicit stack.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::ops::Range;

use crate::model::{
    AttrValue, FullSnapshot, InputChange, Mutation, NO_PARENT, NodeTree, NodeType, SnapNode,
};

/// Default for the most nodes a mirror holds.
pub const DEFAULT_MAX_NODES: usize = 2_000_000;
/// Longest text kept per text node.
pub const MAX_TEXT_BYTES: usize = 1024;
/// Longest attribute value kept.
pub const MAX_ATTR_BYTES: usize = 512;
/// Default for the most bytes of text, attribute values and custom tag names kept in all.
pub const DEFAULT_MAX_STRING_BYTES: usize = 64 << 20;
/// Ids below this are looked up in a table, others in a hash map.
const DENSE_IDS: i64 = 1 << 20;
const NONE: u32 = u32::MAX;

const ALIVE: u8 = 1;
/// Not rendered as text on screen: itself or an ancestor is `style`, `script`, `head`, ...
const HIDDEN: u8 = 2;
const CHECKED: u8 = 4;
const SHADOW: u8 = 8;

/// What a mirrored node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Document,
    Doctype,
    Element,
    Text,
    /// Comments and unknown node types.
    Other,
}

/// The attributes the mirror keeps; everything else is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AttrName {
    Id,
    Class,
    Role,
    AriaLabel,
    /// `data-testid` or `data-test-id`.
    TestId,
    Title,
    Alt,
    Href,
    Download,
    Target,
    Type,
    OnClick,
    TabIndex,
    Placeholder,
    Name,
    /// Kept for button-like inputs' captions; attribution never shows it for other inputs.
    Value,
    For,
    ContentEditable,
}

impl AttrName {
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "id" => Self::Id,
            "class" => Self::Class,
            "role" => Self::Role,
            "aria-label" => Self::AriaLabel,
            "data-testid" | "data-test-id" => Self::TestId,
            "title" => Self::Title,
            "alt" => Self::Alt,
            "href" => Self::Href,
            "download" => Self::Download,
            "target" => Self::Target,
            "type" => Self::Type,
            "onclick" => Self::OnClick,
            "tabindex" => Self::TabIndex,
            "placeholder" => Self::Placeholder,
            "name" => Self::Name,
            "value" => Self::Value,
            "for" => Self::For,
            "contenteditable" => Self::ContentEditable,
            _ => return None,
        })
    }
}

/// Receives the text of every text node that becomes visible (inserted outside non-rendered
/// elements, or changed), at most [`MAX_TEXT_BYTES`] of it.
pub trait TextSink {
    fn visible_text(&mut self, text: &str);
}

impl TextSink for () {
    fn visible_text(&mut self, _text: &str) {}
}

#[derive(Debug, Clone)]
struct Node {
    id: i64,
    /// Bumped whenever the slot is freed, so stale indices can be told apart.
    generation: u32,
    /// The mutation during which the node was created.
    born: u32,
    parent: u32,
    first: u32,
    last: u32,
    prev: u32,
    next: u32,
    kind: Kind,
    flags: u8,
    tag: Cow<'static, str>,
    text: Cow<'static, str>,
    attrs: Vec<(AttrName, Box<str>)>,
}

impl Node {
    fn empty() -> Self {
        Self {
            id: 0,
            generation: 0,
            born: 0,
            parent: NONE,
            first: NONE,
            last: NONE,
            prev: NONE,
            next: NONE,
            kind: Kind::Other,
            flags: 0,
            tag: Cow::Borrowed(""),
            text: Cow::Borrowed(""),
            attrs: Vec::new(),
        }
    }
}

/// A mirrored node slot with the generation it had when it was looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    idx: u32,
    generation: u32,
}

#[derive(Debug)]
pub struct Mirror {
    nodes: Vec<Node>,
    free: Vec<u32>,
    dense: Vec<u32>,
    sparse: HashMap<i64, u32>,
    live: usize,
    max_nodes: usize,
    refused: u64,
    string_bytes: usize,
    max_string_bytes: usize,
    /// Live `label` elements, for `label[for=...]` look-ups, in slot order (deterministic).
    labels: BTreeSet<u32>,
    op: u32,
    scratch: Vec<Option<Slot>>,
}

impl Default for Mirror {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_NODES)
    }
}

impl Mirror {
    pub fn new(max_nodes: usize) -> Self {
        Self::with_limits(max_nodes, DEFAULT_MAX_STRING_BYTES)
    }

    /// A mirror of at most `max_nodes` nodes keeping at most `max_string_bytes` of strings.
    pub fn with_limits(max_nodes: usize, max_string_bytes: usize) -> Self {
        Self {
            nodes: Vec::new(),
            free: Vec::new(),
            dense: Vec::new(),
            sparse: HashMap::new(),
            live: 0,
            max_nodes,
            refused: 0,
            string_bytes: 0,
            max_string_bytes,
            labels: BTreeSet::new(),
            op: 0,
            scratch: Vec::new(),
        }
    }

    /// Live nodes.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Bytes of strings kept (text, attribute values, custom tag names).
    pub fn string_bytes(&self) -> usize {
        self.string_bytes
    }

    /// Nodes not added because the mirror was full, since it was created.
    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// Forgets the whole tree (a new page).
    pub fn clear(&mut self) {
        self.nodes.clear();
        self.free.clear();
        self.dense.clear();
        self.sparse.clear();
        self.labels.clear();
        self.live = 0;
        self.string_bytes = 0;
        // Very large tables from an earlier page are given back.
        if self.nodes.capacity() > 1 << 16 {
            self.nodes.shrink_to(1 << 16);
        }
        if self.dense.capacity() > 1 << 16 {
            self.dense.shrink_to(1 << 16);
        }
    }

    pub fn get(&self, id: i64) -> Option<NodeRef<'_>> {
        self.lookup(id).map(|idx| NodeRef { mirror: self, idx })
    }

    /// Live `label` elements.
    pub fn labels(&self) -> impl Iterator<Item = NodeRef<'_>> {
        self.labels.iter().map(|&idx| NodeRef { mirror: self, idx })
    }

    fn lookup(&self, id: i64) -> Option<u32> {
        let idx = if (0..DENSE_IDS).contains(&id) {
            *self.dense.get(id as usize)?
        } else {
            *self.sparse.get(&id)?
        };
        (idx != NONE).then_some(idx)
    }

    fn slot(&self, idx: u32) -> Slot {
        Slot {
            idx,
            generation: self.nodes[idx as usize].generation,
        }
    }

    fn is_current(&self, slot: Slot) -> bool {
        self.nodes
            .get(slot.idx as usize)
            .is_some_and(|n| n.generation == slot.generation && n.flags & ALIVE != 0)
    }

    fn map_id(&mut self, id: i64, idx: u32) {
        if (0..DENSE_IDS).contains(&id) {
            let i = id as usize;
            if self.dense.len() <= i {
                self.dense.resize(i + 1, NONE);
            }
            self.dense[i] = idx;
        } else {
            self.sparse.insert(id, idx);
        }
    }

    fn unmap_id(&mut self, id: i64, idx: u32) {
        if (0..DENSE_IDS).contains(&id) {
            if let Some(slot) = self.dense.get_mut(id as usize)
                && *slot == idx
            {
                *slot = NONE;
            }
        } else if self.sparse.get(&id) == Some(&idx) {
            self.sparse.remove(&id);
        }
    }

    /// Replaces the whole tree with a full snapshot's. `sink` gets the visible text.
    pub fn apply_full_snapshot(&mut self, snap: &FullSnapshot<'_>, sink: &mut impl TextSink) {
        self.clear();
        self.op = self.op.wrapping_add(1);
        let len = snap.tree.nodes.len() as u32;
        if len > 0 {
            self.insert_tree(&snap.tree, 0..len, None, None, sink);
        }
    }

    /// Applies a mutation. `sink` gets the text that became visible.
    pub fn apply_mutation(&mut self, m: &Mutation<'_>, sink: &mut impl TextSink) {
        self.op = self.op.wrapping_add(1);
        for r in &m.removes {
            if let Some(idx) = r.id.and_then(|id| self.lookup(id)) {
                self.remove_subtree(idx);
            }
        }
        self.apply_adds(m, sink);
        for t in &m.texts {
            let Some(idx) = t.id.and_then(|id| self.lookup(id)) else {
                continue;
            };
            let room = self.max_string_bytes.saturating_sub(self.string_bytes);
            let node = &mut self.nodes[idx as usize];
            if node.kind != Kind::Text {
                continue;
            }
            let hidden = node.flags & HIDDEN != 0;
            let old = owned_len(&node.text);
            let mut text = match t.value {
                Some(v) if !hidden => stored_text(v.decode_prefix(MAX_TEXT_BYTES)),
                _ => Cow::Borrowed(""),
            };
            if owned_len(&text) > room + old {
                text = Cow::Borrowed("");
            }
            let new = owned_len(&text);
            node.text = text;
            self.string_bytes = self.string_bytes - old + new;
            let node = &self.nodes[idx as usize];
            if !hidden && !node.text.trim().is_empty() {
                sink.visible_text(&node.text);
            }
        }
        for change in &m.attributes {
            let Some(idx) = change.id.and_then(|id| self.lookup(id)) else {
                continue;
            };
            if self.nodes[idx as usize].kind != Kind::Element {
                continue;
            }
            for attr in attrs_of(&m.tree, change.attributes.clone()) {
                let Some(name) = AttrName::from_name(attr.name.raw()) else {
                    continue;
                };
                match attr_value(attr.value) {
                    AttrUpdate::Set(v) => self.set_attr(idx, name, v),
                    AttrUpdate::Remove => self.remove_attr(idx, name),
                    AttrUpdate::Ignore => {}
                }
            }
        }
    }

    /// Applies an input change: only whether a checkbox/radio is checked.
    pub fn apply_input(&mut self, input: &InputChange) {
        let (Some(idx), Some(checked)) =
            (input.id.and_then(|id| self.lookup(id)), input.is_checked)
        else {
            return;
        };
        let node = &mut self.nodes[idx as usize];
        if checked {
            node.flags |= CHECKED;
        } else {
            node.flags &= !CHECKED;
        }
    }

    fn apply_adds(&mut self, m: &Mutation<'_>, sink: &mut impl TextSink) {
        let n = m.adds.len();
        let mut done = vec![false; n];
        // Adds waiting for a node (their parent, or their next sibling) that a later add brings.
        let mut waiting: HashMap<i64, Vec<usize>> = HashMap::new();
        let mut ready: Vec<usize> = Vec::new();
        let mut inserted_ids: Vec<i64> = Vec::new();
        for strict in [true, false] {
            let order: Vec<usize> = if strict {
                (0..n).collect()
            } else {
                // Whatever still waits: insert it where possible, in the order sent.
                let mut rest: Vec<usize> = waiting.drain().flat_map(|(_, v)| v).collect();
                rest.sort_unstable();
                rest.dedup();
                rest
            };
            for i in order {
                ready.push(i);
                while let Some(i) = ready.pop() {
                    if done[i] {
                        continue;
                    }
                    let collect = !waiting.is_empty();
                    match self.try_add(m, i, strict, collect.then_some(&mut inserted_ids), sink) {
                        AddOutcome::Wait(id) => waiting.entry(id).or_default().push(i),
                        AddOutcome::Done => {
                            done[i] = true;
                            for id in inserted_ids.drain(..) {
                                if let Some(list) = waiting.remove(&id) {
                                    ready.extend(list.into_iter().rev());
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    fn try_add(
        &mut self,
        m: &Mutation<'_>,
        i: usize,
        strict: bool,
        inserted_ids: Option<&mut Vec<i64>>,
        sink: &mut impl TextSink,
    ) -> AddOutcome {
        let add = &m.adds[i];
        let range = add.nodes.clone();
        let (Some(parent_id), Some(root)) = (add.parent_id, m.tree.nodes.get(range.start as usize))
        else {
            return AddOutcome::Done;
        };
        if self.lookup(parent_id).is_none() {
            return if strict {
                AddOutcome::Wait(parent_id)
            } else {
                AddOutcome::Done
            };
        }
        if strict
            && let Some(next) = add.next_id
            && self.lookup(next).is_none()
        {
            return AddOutcome::Wait(next);
        }
        // Re-adding an existing id replaces it. This may remove the parent itself (a node
        // added under its own descendant); the add is then dropped, as no parent is left.
        if let Some(old) = root.id.and_then(|id| self.lookup(id)) {
            self.remove_subtree(old);
        }
        let Some(parent) = self.lookup(parent_id) else {
            return AddOutcome::Done;
        };
        let before = add
            .previous_id
            .and_then(|id| self.lookup(id))
            .filter(|&prev| self.nodes[prev as usize].parent == parent)
            .map(|prev| self.nodes[prev as usize].next)
            .or_else(|| {
                add.next_id
                    .and_then(|id| self.lookup(id))
                    .filter(|&next| self.nodes[next as usize].parent == parent)
            })
            .unwrap_or(NONE);
        let parent_slot = self.slot(parent);
        self.insert_tree(&m.tree, range, Some(parent_slot), Some(before), sink);
        if let Some(ids) = inserted_ids {
            // What this add brought, for the adds waiting on it (from the insertion's map).
            for s in self.scratch.iter().flatten() {
                if self.is_current(*s) {
                    ids.push(self.nodes[s.idx as usize].id);
                }
            }
        }
        AddOutcome::Done
    }

    /// Inserts `range` of `tree` (a node and its descendants, pre-order). The first node goes
    /// under `parent` (`None`: it becomes a root) before `before` (`NONE`: appended); the others
    /// under their parent in the range.
    fn insert_tree(
        &mut self,
        tree: &NodeTree<'_>,
        range: Range<u32>,
        parent: Option<Slot>,
        before: Option<u32>,
        sink: &mut impl TextSink,
    ) {
        let mut map = std::mem::take(&mut self.scratch);
        map.clear();
        let start = range.start;
        for k in range {
            let Some(sn) = tree.nodes.get(k as usize) else {
                break;
            };
            let is_root = k == start;
            let parent_slot = if is_root {
                parent
            } else if sn.parent == NO_PARENT || sn.parent < start {
                None
            } else {
                map.get((sn.parent - start) as usize).copied().flatten()
            };
            let inserted = if is_root && parent.is_none() {
                self.insert_node(tree, sn, None, NONE, sink)
            } else {
                match parent_slot {
                    Some(ps) if self.is_current(ps) => {
                        let before = if is_root {
                            before.unwrap_or(NONE)
                        } else {
                            NONE
                        };
                        self.insert_node(tree, sn, Some(ps.idx), before, sink)
                    }
                    _ => None,
                }
            };
            map.push(inserted);
        }
        self.scratch = map;
    }

    /// Creates one node (no children yet) and links it.
    fn insert_node(
        &mut self,
        tree: &NodeTree<'_>,
        sn: &SnapNode<'_>,
        parent: Option<u32>,
        before: u32,
        sink: &mut impl TextSink,
    ) -> Option<Slot> {
        let id = sn.id?;
        if let Some(old) = self.lookup(id) {
            if self.nodes[old as usize].born == self.op {
                // The same id twice within one add or snapshot: keep the first.
                return None;
            }
            self.remove_subtree(old);
        }
        let parent = match parent {
            Some(p) if self.nodes[p as usize].flags & ALIVE != 0 => Some(p),
            Some(_) => return None,
            None => None,
        };
        let kind = match sn.node_type {
            NodeType::Document => Kind::Document,
            NodeType::DocumentType => Kind::Doctype,
            NodeType::Element => Kind::Element,
            NodeType::Text | NodeType::CData => Kind::Text,
            _ => Kind::Other,
        };
        let mut before = before;
        if let Some(p) = parent {
            // One document element and one doctype per document, one document per iframe.
            let replaced = match (self.nodes[p as usize].kind, kind) {
                (Kind::Document, Kind::Element | Kind::Doctype) => Some(kind),
                (Kind::Element, Kind::Document) => Some(Kind::Document),
                _ => None,
            };
            if let Some(replaced) = replaced {
                let mut child = self.nodes[p as usize].first;
                let mut steps = 0;
                while child != NONE && steps < 64 {
                    let next = self.nodes[child as usize].next;
                    if self.nodes[child as usize].kind == replaced {
                        if before == child {
                            before = next;
                        }
                        self.remove_subtree(child);
                    }
                    child = next;
                    steps += 1;
                }
            }
        }
        if self.live >= self.max_nodes {
            self.refused += 1;
            return None;
        }
        let parent_flags = parent.map_or(0, |p| self.nodes[p as usize].flags);
        let mut node = Node::empty();
        node.id = id;
        node.born = self.op;
        node.kind = kind;
        node.flags = ALIVE | (parent_flags & HIDDEN);
        if sn.is_shadow {
            node.flags |= SHADOW;
        }
        match kind {
            Kind::Element => {
                node.tag = tag_name(&sn.tag.decode_prefix(64));
                if is_unrendered_tag(&node.tag) {
                    node.flags |= HIDDEN;
                }
                for attr in attrs_of(tree, sn.attributes.clone()) {
                    let Some(name) = AttrName::from_name(attr.name.raw()) else {
                        continue;
                    };
                    if let AttrUpdate::Set(v) = attr_value(attr.value) {
                        if let Some(slot) = node.attrs.iter_mut().find(|(n, _)| *n == name) {
                            slot.1 = v;
                        } else {
                            node.attrs.push((name, v));
                        }
                    }
                }
            }
            Kind::Text => {
                if sn.is_style {
                    node.flags |= HIDDEN;
                }
                if node.flags & HIDDEN == 0 {
                    node.text = stored_text(sn.text.decode_prefix(MAX_TEXT_BYTES));
                }
            }
            _ => {}
        }
        let mut cost = node_cost(&node);
        if self.string_bytes + cost > self.max_string_bytes {
            // Out of string budget: the node is kept, without its text and attributes.
            node.text = Cow::Borrowed("");
            node.attrs.clear();
            cost = node_cost(&node);
        }
        self.string_bytes += cost;
        let is_label = kind == Kind::Element && node.tag == "label";
        let visible_text = kind == Kind::Text && node.flags & HIDDEN == 0;
        let idx = match self.free.pop() {
            Some(idx) => {
                node.generation = self.nodes[idx as usize].generation;
                self.nodes[idx as usize] = node;
                idx
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        self.live += 1;
        self.map_id(id, idx);
        if is_label {
            self.labels.insert(idx);
        }
        if let Some(p) = parent {
            self.link(idx, p, before);
        }
        if visible_text && !self.nodes[idx as usize].text.trim().is_empty() {
            sink.visible_text(&self.nodes[idx as usize].text);
        }
        Some(self.slot(idx))
    }

    /// Links `idx` as a child of `parent`, before `before` (a child of `parent`) or last.
    fn link(&mut self, idx: u32, parent: u32, before: u32) {
        let before = if before != NONE && self.nodes[before as usize].parent == parent {
            before
        } else {
            NONE
        };
        let prev = if before == NONE {
            self.nodes[parent as usize].last
        } else {
            self.nodes[before as usize].prev
        };
        {
            let n = &mut self.nodes[idx as usize];
            n.parent = parent;
            n.prev = prev;
            n.next = before;
        }
        if prev == NONE {
            self.nodes[parent as usize].first = idx;
        } else {
            self.nodes[prev as usize].next = idx;
        }
        if before == NONE {
            self.nodes[parent as usize].last = idx;
        } else {
            self.nodes[before as usize].prev = idx;
        }
    }

    fn unlink(&mut self, idx: u32) {
        let (parent, prev, next) = {
            let n = &self.nodes[idx as usize];
            (n.parent, n.prev, n.next)
        };
        if parent == NONE {
            return;
        }
        if prev == NONE {
            self.nodes[parent as usize].first = next;
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next == NONE {
            self.nodes[parent as usize].last = prev;
        } else {
            self.nodes[next as usize].prev = prev;
        }
        let n = &mut self.nodes[idx as usize];
        n.parent = NONE;
        n.prev = NONE;
        n.next = NONE;
    }

    /// Removes a node and everything under it, freeing their slots.
    fn remove_subtree(&mut self, idx: u32) {
        self.unlink(idx);
        let mut stack = vec![idx];
        while let Some(i) = stack.pop() {
            let mut child = self.nodes[i as usize].first;
            while child != NONE {
                stack.push(child);
                child = self.nodes[child as usize].next;
            }
            let id = self.nodes[i as usize].id;
            self.string_bytes -= node_cost(&self.nodes[i as usize]);
            self.unmap_id(id, i);
            self.labels.remove(&i);
            let generation = self.nodes[i as usize].generation.wrapping_add(1);
            self.nodes[i as usize] = Node {
                generation,
                ..Node::empty()
            };
            self.free.push(i);
            self.live -= 1;
        }
    }

    fn set_attr(&mut self, idx: u32, name: AttrName, value: Box<str>) {
        let attrs = &mut self.nodes[idx as usize].attrs;
        let slot = attrs.iter().position(|(n, _)| *n == name);
        let old = slot.map_or(0, |i| attrs[i].1.len());
        if self.string_bytes - old + value.len() > self.max_string_bytes {
            return;
        }
        self.string_bytes = self.string_bytes - old + value.len();
        match slot {
            Some(i) => attrs[i].1 = value,
            None => attrs.push((name, value)),
        }
    }

    fn remove_attr(&mut self, idx: u32, name: AttrName) {
        let attrs = &mut self.nodes[idx as usize].attrs;
        if let Some(i) = attrs.iter().position(|(n, _)| *n == name) {
            self.string_bytes -= attrs[i].1.len();
            attrs.remove(i);
        }
    }

    /// Asserts the links and the id map are consistent (tests only).
    #[cfg(test)]
    pub(crate) fn check_links(&self) {
        for (i, n) in self.nodes.iter().enumerate() {
            if n.flags & ALIVE == 0 {
                continue;
            }
            assert_eq!(self.lookup(n.id), Some(i as u32), "id map of {}", n.id);
            if n.parent != NONE {
                let p = &self.nodes[n.parent as usize];
                assert!(p.flags & ALIVE != 0);
            }
            let mut c = n.first;
            let mut last = NONE;
            while c != NONE {
                assert_eq!(self.nodes[c as usize].parent, i as u32);
                assert_eq!(self.nodes[c as usize].prev, last);
                last = c;
                c = self.nodes[c as usize].next;
            }
            assert_eq!(n.last, last);
        }
        let alive = self.nodes.iter().filter(|n| n.flags & ALIVE != 0).count();
        assert_eq!(alive, self.live, "live count");
        let bytes: usize = self.nodes.iter().map(node_cost).sum();
        assert_eq!(bytes, self.string_bytes, "string bytes");
        assert!(self.string_bytes <= self.max_string_bytes);
        assert!(self.live <= self.max_nodes);
    }
}

enum AddOutcome {
    Done,
    Wait(i64),
}

enum AttrUpdate {
    Set(Box<str>),
    Remove,
    Ignore,
}

// Whether the string is owned is the point, so it has to be the `Cow`.
#[allow(clippy::ptr_arg)]
fn owned_len(s: &Cow<'static, str>) -> usize {
    match s {
        Cow::Owned(s) => s.len(),
        Cow::Borrowed(_) => 0,
    }
}

/// Bytes of strings a node keeps (static ones are free).
fn node_cost(n: &Node) -> usize {
    owned_len(&n.tag) + owned_len(&n.text) + n.attrs.iter().map(|(_, v)| v.len()).sum::<usize>()
}

fn attr_value(value: AttrValue<'_>) -> AttrUpdate {
    match value {
        AttrValue::Str(s) => AttrUpdate::Set(s.decode_prefix(MAX_ATTR_BYTES).into()),
        AttrValue::Number(n) => AttrUpdate::Set(n.to_string().into()),
        AttrValue::Bool(true) => AttrUpdate::Set("".into()),
        AttrValue::Bool(false) | AttrValue::Null => AttrUpdate::Remove,
        AttrValue::Structured => AttrUpdate::Ignore,
    }
}

fn attrs_of<'t, 'a>(tree: &'t NodeTree<'a>, range: Range<u32>) -> &'t [crate::model::Attr<'a>] {
    tree.attributes
        .get(range.start as usize..range.end as usize)
        .unwrap_or(&[])
}

/// Text as stored: whitespace-only text becomes one (static) space.
fn stored_text(text: Cow<'_, str>) -> Cow<'static, str> {
    if text.trim().is_empty() {
        if text.is_empty() {
            Cow::Borrowed("")
        } else {
            Cow::Borrowed(" ")
        }
    } else {
        Cow::Owned(text.into_owned())
    }
}

/// Elements whose text is not rendered on screen (or is an input's value, for `textarea`).
fn is_unrendered_tag(tag: &str) -> bool {
    matches!(
        tag,
        "style" | "script" | "noscript" | "head" | "title" | "template" | "textarea"
    )
}

/// Lower-cased tag name; common ones without allocating.
fn tag_name(raw: &str) -> Cow<'static, str> {
    const COMMON: &[&str] = &[
        "a",
        "abbr",
        "article",
        "aside",
        "b",
        "body",
        "br",
        "button",
        "canvas",
        "code",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "em",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "head",
        "header",
        "hr",
        "html",
        "i",
        "iframe",
        "img",
        "input",
        "label",
        "legend",
        "li",
        "link",
        "main",
        "meta",
        "nav",
        "noscript",
        "ol",
        "option",
        "p",
        "path",
        "picture",
        "pre",
        "script",
        "section",
        "select",
        "small",
        "source",
        "span",
        "strong",
        "style",
        "sub",
        "summary",
        "sup",
        "svg",
        "table",
        "tbody",
        "td",
        "template",
        "textarea",
        "th",
        "thead",
        "title",
        "tr",
        "u",
        "ul",
        "video",
        "audio",
        "g",
        "use",
        "circle",
        "rect",
        "figure",
        "figcaption",
        "fieldset",
        "time",
        "mark",
        "blockquote",
        "object",
        "embed",
    ];
    if let Some(&known) = COMMON.iter().find(|&&t| t == raw) {
        return Cow::Borrowed(known);
    }
    Cow::Owned(raw.trim().to_ascii_lowercase())
}

/// A read-only view of a mirrored node.
#[derive(Clone, Copy)]
pub struct NodeRef<'m> {
    mirror: &'m Mirror,
    idx: u32,
}

impl std::fmt::Debug for NodeRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeRef")
            .field("id", &self.id())
            .field("kind", &self.kind())
            .field("tag", &self.tag())
            .finish()
    }
}

impl PartialEq for NodeRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.mirror, other.mirror) && self.idx == other.idx
    }
}

impl<'m> NodeRef<'m> {
    fn node(&self) -> &'m Node {
        &self.mirror.nodes[self.idx as usize]
    }

    fn at(&self, idx: u32) -> Option<NodeRef<'m>> {
        (idx != NONE).then_some(NodeRef {
            mirror: self.mirror,
            idx,
        })
    }

    pub fn id(&self) -> i64 {
        self.node().id
    }

    pub fn kind(&self) -> Kind {
        self.node().kind
    }

    /// Lower-case tag name of an element; empty for other nodes.
    pub fn tag(&self) -> &'m str {
        &self.node().tag
    }

    pub fn attr(&self, name: AttrName) -> Option<&'m str> {
        self.node()
            .attrs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| &**v)
    }

    /// A text node's text (at most [`MAX_TEXT_BYTES`]; empty when not rendered).
    pub fn text(&self) -> &'m str {
        &self.node().text
    }

    /// Inside an element whose text is not rendered (`style`, `script`, `head`, `textarea`...).
    pub fn is_unrendered(&self) -> bool {
        self.node().flags & HIDDEN != 0
    }

    /// Last recorded checked state of a checkbox or radio.
    pub fn is_checked(&self) -> bool {
        self.node().flags & CHECKED != 0
    }

    /// In a shadow root of its parent.
    pub fn is_shadow(&self) -> bool {
        self.node().flags & SHADOW != 0
    }

    pub fn parent(&self) -> Option<NodeRef<'m>> {
        self.at(self.node().parent)
    }

    pub fn first_child(&self) -> Option<NodeRef<'m>> {
        self.at(self.node().first)
    }

    pub fn next_sibling(&self) -> Option<NodeRef<'m>> {
        self.at(self.node().next)
    }

    pub fn prev_sibling(&self) -> Option<NodeRef<'m>> {
        self.at(self.node().prev)
    }

    /// The next node after this one in document order within `root`'s subtree, entering
    /// children when `descend` is true.
    pub fn next_in(&self, root: NodeRef<'m>, descend: bool) -> Option<NodeRef<'m>> {
        if descend && let Some(c) = self.first_child() {
            return Some(c);
        }
        let mut at = *self;
        loop {
            if at == root {
                return None;
            }
            if let Some(s) = at.next_sibling() {
                return Some(s);
            }
            at = at.parent()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Data, Incremental, parse_event};

    /// Applies events (JSON texts) to a mirror with room for `max` nodes; returns it and the
    /// visible texts seen.
    fn run(max: usize, events: &[&str]) -> (Mirror, Vec<String>) {
        struct Texts(Vec<String>);
        impl TextSink for Texts {
            fn visible_text(&mut self, t: &str) {
                self.0.push(t.trim().to_owned());
            }
        }
        let mut mirror = Mirror::new(max);
        let mut texts = Texts(Vec::new());
        for e in events {
            let parsed = parse_event(e, None, usize::MAX).expect("event");
            match &parsed.data {
                Data::FullSnapshot(s) => mirror.apply_full_snapshot(s, &mut texts),
                Data::Incremental(Incremental::Mutation(m)) => mirror.apply_mutation(m, &mut texts),
                Data::Incremental(Incremental::Input(i)) => mirror.apply_input(i),
                _ => {}
            }
            mirror.check_links();
        }
        (mirror, texts.0)
    }

    /// The tree under node `id` as compact text: `tag#id[children]`, text nodes as 'text'.
    fn render(m: &Mirror, id: i64) -> String {
        let Some(n) = m.get(id) else {
            return "-".into();
        };
        let mut out = String::new();
        fn one(n: NodeRef<'_>, out: &mut String) {
            match n.kind() {
                Kind::Document => out.push_str(&format!("doc{}", n.id())),
                Kind::Doctype => out.push('!'),
                Kind::Element => out.push_str(&format!("{}{}", n.tag(), n.id())),
                Kind::Text => out.push_str(&format!("'{}'", n.text().trim())),
                Kind::Other => out.push('?'),
            }
        }
        // Iterative pre-order with brackets.
        let mut at = Some(n);
        let mut depth = 0i32;
        while let Some(cur) = at {
            one(cur, &mut out);
            if let Some(c) = cur.first_child() {
                out.push('[');
                depth += 1;
                at = Some(c);
                continue;
            }
            let mut up = cur;
            loop {
                if up == n {
                    at = None;
                    break;
                }
                if let Some(s) = up.next_sibling() {
                    out.push(' ');
                    at = Some(s);
                    break;
                }
                match up.parent() {
                    Some(p) => {
                        out.push(']');
                        depth -= 1;
                        up = p;
                    }
                    None => {
                        at = None;
                        break;
                    }
                }
            }
        }
        assert_eq!(depth, 0);
        out
    }

    const SNAP: &str = r#"{"type":2,"timestamp":1,"data":{"node":{"type":0,"id":1,"childNodes":[
        {"type":1,"id":2,"name":"html"},
        {"type":2,"tagName":"html","id":3,"attributes":{},"childNodes":[
          {"type":2,"tagName":"head","id":4,"attributes":{},"childNodes":[
            {"type":2,"tagName":"style","id":5,"attributes":{"_cssText":"b{}"},"childNodes":[{"type":3,"id":6,"textContent":"b { color: red }","isStyle":true}]},
            {"type":2,"tagName":"title","id":7,"attributes":{},"childNodes":[{"type":3,"id":8,"textContent":"Shop"}]}]},
          {"type":2,"tagName":"body","id":9,"attributes":{},"childNodes":[
            {"type":2,"tagName":"div","id":10,"attributes":{"id":"main","class":"a b","style":"x"},"childNodes":[
              {"type":3,"id":11,"textContent":"Hello"},
              {"type":2,"tagName":"textarea","id":12,"attributes":{"value":"secret"},"childNodes":[{"type":3,"id":13,"textContent":"secret"}]}]}]}]}]},
        "initialOffset":{"top":0,"left":0}}}"#;

    fn mutation(body: &str) -> String {
        format!(
            r#"{{"type":3,"timestamp":2,"data":{{"source":0,"texts":[],"attributes":[],"removes":[],"adds":[],{body}}}}}"#
        )
    }

    #[test]
    fn snapshot_builds_the_tree_and_reports_visible_text() {
        let (m, texts) = run(100, &[SNAP]);
        assert_eq!(
            render(&m, 1),
            "doc1[! html3[head4[style5[''] title7['']] body9[div10['Hello' textarea12['']]]]]"
        );
        assert_eq!(texts, ["Hello"]);
        assert_eq!(m.len(), 13);
        let div = m.get(10).unwrap();
        assert_eq!(div.attr(AttrName::Id), Some("main"));
        assert_eq!(div.attr(AttrName::Class), Some("a b"));
        assert!(m.get(8).unwrap().is_unrendered());
    }

    #[test]
    fn mutation_cases() {
        /// (name, mutation bodies applied after SNAP, node to render, expected tree, texts seen
        /// after SNAP)
        type Case<'a> = (&'a str, &'a [&'a str], i64, &'a str, &'a [&'a str]);
        let cases: &[Case<'_>] = &[
            (
                "append, insert before next, after previous",
                &[
                    r#""adds":[{"parentId":10,"nextId":null,"node":{"type":2,"tagName":"p","id":20,"attributes":{}}},
                               {"parentId":10,"nextId":20,"node":{"type":2,"tagName":"i","id":21,"attributes":{}}},
                               {"parentId":10,"previousId":11,"nextId":null,"node":{"type":2,"tagName":"b","id":22,"attributes":{}}}]"#,
                ],
                10,
                "div10['Hello' b22 textarea12[''] i21 p20]",
                &[],
            ),
            (
                "child before its parent in one mutation",
                &[
                    r#""adds":[{"parentId":30,"nextId":null,"node":{"type":3,"id":31,"textContent":"Buy"}},
                               {"parentId":10,"nextId":null,"node":{"type":2,"tagName":"button","id":30,"attributes":{}}}]"#,
                ],
                30,
                "button30['Buy']",
                &["Buy"],
            ),
            (
                "next sibling arrives later",
                &[
                    r#""adds":[{"parentId":9,"nextId":41,"node":{"type":2,"tagName":"p","id":40,"attributes":{}}},
                               {"parentId":9,"nextId":null,"node":{"type":2,"tagName":"p","id":41,"attributes":{}}}]"#,
                ],
                9,
                "body9[div10['Hello' textarea12['']] p40 p41]",
                &[],
            ),
            (
                "removes come before adds; remove drops the subtree",
                &[
                    r#""adds":[{"parentId":9,"nextId":null,"node":{"type":2,"tagName":"p","id":11,"attributes":{}}}],
                       "removes":[{"parentId":9,"id":10}]"#,
                ],
                9,
                "body9[p11]",
                &[],
            ),
            (
                "node added under its own descendant is dropped, no cycle",
                &[
                    r#""adds":[{"parentId":11,"nextId":null,"node":{"type":2,"tagName":"div","id":10,"attributes":{}}}]"#,
                ],
                9,
                "body9",
                &[],
            ),
            (
                "unknown ids, negative and huge ids",
                &[r#""removes":[{"parentId":1,"id":999},{"id":-5}],
                       "adds":[{"parentId":777,"nextId":null,"node":{"type":2,"tagName":"p","id":50,"attributes":{}}},
                               {"parentId":10,"nextId":null,"node":{"type":2,"tagName":"p","id":-3,"attributes":{}}},
                               {"parentId":-3,"nextId":null,"node":{"type":2,"tagName":"p","id":9223372036854775807,"attributes":{}}}],
                       "texts":[{"id":12345,"value":"x"}],
                       "attributes":[{"id":4242,"attributes":{"class":"x"}}]"#],
                10,
                "div10['Hello' textarea12[''] p-3[p9223372036854775807]]",
                &[],
            ),
            (
                "text change and attribute removal",
                &[
                    r#""texts":[{"id":11,"value":"Bye"},{"id":6,"value":"hidden css"}],
                       "attributes":[{"id":10,"attributes":{"class":null,"style":{"color":"red"},"title":"T"}}]"#,
                ],
                10,
                "div10['Bye' textarea12['']]",
                &["Bye"],
            ),
            (
                "document replacement",
                &[
                    r#""adds":[{"parentId":1,"nextId":null,"node":{"type":2,"tagName":"html","id":60,"attributes":{}}},
                               {"parentId":60,"nextId":null,"node":{"type":2,"tagName":"body","id":61,"attributes":{}}},
                               {"parentId":1,"nextId":60,"node":{"type":1,"name":"html","id":62}}]"#,
                ],
                1,
                "doc1[! html60[body61]]",
                &[],
            ),
            (
                "iframe document, then a new one replacing it",
                &[
                    r#""adds":[{"parentId":10,"nextId":null,"node":{"type":2,"tagName":"iframe","id":70,"attributes":{}}}]"#,
                    r#""adds":[{"parentId":70,"nextId":null,"node":{"type":0,"id":71,"childNodes":[{"type":2,"tagName":"html","id":72,"attributes":{},"childNodes":[{"type":3,"id":73,"textContent":"inner"}]}]}}],"isAttachIframe":true"#,
                    r#""adds":[{"parentId":70,"nextId":null,"node":{"type":0,"id":74,"childNodes":[]}}],"isAttachIframe":true"#,
                ],
                70,
                "iframe70[doc74]",
                &["inner"],
            ),
            (
                "same id twice in one added tree keeps the first",
                &[
                    r#""adds":[{"parentId":10,"nextId":null,"node":{"type":2,"tagName":"ul","id":80,"attributes":{},"childNodes":[{"type":2,"tagName":"li","id":80,"attributes":{}},{"type":2,"tagName":"li","id":81,"attributes":{}}]}}]"#,
                ],
                80,
                "ul80[li81]",
                &[],
            ),
            (
                "shadow children stay under their host",
                &[
                    r#""adds":[{"parentId":10,"nextId":null,"node":{"type":2,"tagName":"div","id":90,"attributes":{},"isShadowHost":true}},
                               {"parentId":90,"nextId":null,"node":{"type":2,"tagName":"span","id":91,"attributes":{},"isShadow":true}},
                               {"parentId":91,"nextId":null,"node":{"type":3,"textContent":"shadow text","id":92}}]"#,
                ],
                90,
                "div90[span91['shadow text']]",
                &["shadow text"],
            ),
        ];
        for (name, bodies, root, want, want_texts) in cases {
            let mut events = vec![SNAP.to_owned()];
            events.extend(bodies.iter().map(|b| mutation(b)));
            let refs: Vec<&str> = events.iter().map(String::as_str).collect();
            let (m, texts) = run(1000, &refs);
            assert_eq!(render(&m, *root), *want, "{name}");
            assert_eq!(&texts[1..], *want_texts, "{name}");
        }
    }

    #[test]
    fn node_cap_degrades_instead_of_growing() {
        let adds: Vec<String> = (100..200)
            .map(|i| {
                format!(
                    r#"{{"parentId":9,"nextId":null,"node":{{"type":2,"tagName":"p","id":{i},"attributes":{{}}}}}}"#
                )
            })
            .collect();
        let m = mutation(&format!(r#""adds":[{}]"#, adds.join(",")));
        let (mirror, _) = run(20, &[SNAP, &m]);
        assert_eq!(mirror.len(), 20);
        assert_eq!(mirror.refused(), 93);
        // Removing frees room again.
        let rm = mutation(r#""removes":[{"parentId":1,"id":3}]"#);
        let (mirror, _) = run(20, &[SNAP, &m, &rm]);
        assert_eq!(mirror.len(), 2);
    }

    #[test]
    fn string_budget_degrades_instead_of_growing() {
        let adds: Vec<String> = (100..200)
            .map(|i| {
                format!(
                    r#"{{"parentId":9,"nextId":null,"node":{{"type":2,"tagName":"p","id":{i},"attributes":{{"class":"{}"}},"childNodes":[{{"type":3,"id":{},"textContent":"{}"}}]}}}}"#,
                    "c".repeat(50),
                    i + 1000,
                    "t".repeat(100)
                )
            })
            .collect();
        let m = mutation(&format!(r#""adds":[{}]"#, adds.join(",")));
        let mut mirror = Mirror::with_limits(1000, 2000);
        let mut texts = 0;
        struct Count<'a>(&'a mut usize);
        impl TextSink for Count<'_> {
            fn visible_text(&mut self, _: &str) {
                *self.0 += 1;
            }
        }
        for e in [SNAP, &m] {
            match parse_event(e, None, usize::MAX).unwrap().data {
                Data::FullSnapshot(s) => mirror.apply_full_snapshot(&s, &mut Count(&mut texts)),
                Data::Incremental(Incremental::Mutation(mu)) => {
                    mirror.apply_mutation(&mu, &mut Count(&mut texts))
                }
                _ => {}
            }
            mirror.check_links();
        }
        assert!(mirror.string_bytes() <= 2000);
        assert_eq!(mirror.len(), 13 + 200, "nodes are kept");
        assert!(texts < 20, "{texts} texts kept");
        // Freed bytes are available again.
        let rm = mutation(r#""removes":[{"parentId":9,"id":100},{"parentId":9,"id":101}]"#);
        if let Data::Incremental(Incremental::Mutation(mu)) =
            parse_event(&rm, None, 100).unwrap().data
        {
            mirror.apply_mutation(&mu, &mut ());
        }
        mirror.check_links();
    }

    #[test]
    fn input_keeps_only_checked_state() {
        let input = r#"{"type":3,"timestamp":3,"data":{"source":5,"id":12,"text":"typed","isChecked":true}}"#;
        let (m, _) = run(100, &[SNAP, input]);
        assert!(m.get(12).unwrap().is_checked());
        assert_eq!(m.get(12).unwrap().attr(AttrName::Value), Some("secret"));
    }

    #[test]
    fn deep_trees_need_no_stack() {
        let depth = 100_000;
        let mut text = String::from(r#"{"type":2,"timestamp":1,"data":{"node":"#);
        for i in 0..depth {
            text.push_str(&format!(
                r#"{{"type":2,"tagName":"div","id":{},"attributes":{{}},"childNodes":["#,
                i + 1
            ));
        }
        text.push_str(&"]}".repeat(depth));
        text.push_str("}}");
        let (m, _) = run(DEFAULT_MAX_NODES, &[&text]);
        assert_eq!(m.len(), depth);
        let (m, _) = run(1000, &[&text]);
        assert_eq!(m.len(), 1000);
        // Removing the root frees everything without recursion.
        let rm = mutation(r#""removes":[{"parentId":0,"id":2}]"#);
        let (m, _) = run(DEFAULT_MAX_NODES, &[&text, &rm]);
        assert_eq!(m.len(), 1);
    }
}
