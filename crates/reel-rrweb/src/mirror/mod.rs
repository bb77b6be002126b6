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
//!
//! Rooms: this file holds the arena (node slots with generations, the id map, parent/sibling
//! links, removal); `apply` turns snapshots, mutations and inputs into arena changes;
//! `content` decides what a node keeps (tag names, text, the kept attributes, the string
//! budget); `node_ref` is the read-only view attribution walks.

mod apply;
mod content;
mod node_ref;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

pub use content::AttrName;
pub use node_ref::NodeRef;

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
