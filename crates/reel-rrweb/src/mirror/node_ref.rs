//! [`NodeRef`]: a read-only view of one mirrored node and its neighbours, for attribution.

use super::{AttrName, CHECKED, HIDDEN, Kind, Mirror, NONE, Node, SHADOW};

/// A read-only view of a mirrored node.
#[derive(Clone, Copy)]
pub struct NodeRef<'m> {
    pub(super) mirror: &'m Mirror,
    pub(super) idx: u32,
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

    /// A text node's text (at most [`MAX_TEXT_BYTES`](super::MAX_TEXT_BYTES); empty when not
    /// rendered).
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
