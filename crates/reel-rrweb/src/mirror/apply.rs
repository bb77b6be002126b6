//! Applying the recording to the mirror, as rrweb's replayer does: a full snapshot replaces
//! the tree; a mutation removes, then adds (waiting for parents and next siblings the same
//! mutation brings), then changes texts and attributes; an input sets only the checked state.
//! Every node is created fresh under a live parent, so no sequence of adds makes a cycle.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use super::content::{AttrUpdate, attr_value, is_unrendered_tag, stored_text, tag_name};
use super::{
    ALIVE, AttrName, CHECKED, HIDDEN, Kind, MAX_TEXT_BYTES, Mirror, NONE, Node, SHADOW, Slot,
    TextSink, node_cost, owned_len,
};
use crate::model::{FullSnapshot, InputChange, Mutation, NO_PARENT, NodeTree, NodeType, SnapNode};

impl Mirror {
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
}

enum AddOutcome {
    Done,
    Wait(i64),
}

fn attrs_of<'t, 'a>(tree: &'t NodeTree<'a>, range: Range<u32>) -> &'t [crate::model::Attr<'a>] {
    tree.attributes
        .get(range.start as usize..range.end as usize)
        .unwrap_or(&[])
}
