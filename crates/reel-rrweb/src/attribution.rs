//! Element attribution: what a click or an input happened on, described from the [`Mirror`].
//!
//! [`describe`] takes the node id an event was recorded on. A text node stands for its parent
//! element, and a target inside an interactive element is attributed to that element (a
//! `<span>` in a `<button>` is a click on the button), looking up at most
//! [`MAX_PROMOTION_DEPTH`] ancestors and never past `body`.
//!
//! Privacy: text that is entirely masked (only `*` and whitespace, as rrweb's masking leaves it)
//! is left out of the element's text, so a masked value never becomes a label; input values are
//! not in the mirror at all, and an input's `value` attribute is used only as the caption of a
//! button-like input (`type=submit|button|reset`).
//!
//! Everything is bounded: the text walk visits at most [`MAX_TEXT_NODES`] nodes, the selector at
//! most [`MAX_SELECTOR_PARTS`] elements, sibling counts at most [`MAX_SIBLINGS`] siblings.

use crate::mirror::{AttrName, Kind, Mirror, NodeRef};
use crate::text::{collapse, ellipsize, is_masked, push_collapsed, strip_url};

/// Longest element text kept, in characters.
pub const MAX_TEXT_CHARS: usize = 200;
/// Ancestors looked at for an interactive element around a click target.
pub const MAX_PROMOTION_DEPTH: usize = 16;
/// Nodes visited when collecting an element's text.
pub const MAX_TEXT_NODES: usize = 5000;
/// Elements in a selector path.
pub const MAX_SELECTOR_PARTS: usize = 24;
/// Siblings counted for `:nth-of-type`.
pub const MAX_SIBLINGS: usize = 10_000;
/// Longest attribute value reported.
const MAX_VALUE_CHARS: usize = 256;
/// Classes reported per element.
const MAX_CLASSES: usize = 16;
/// Longest label in readable names.
const MAX_LABEL_CHARS: usize = 60;

/// A description of one element, as derived events report it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// The attributed element's node id (an interactive ancestor of the target, or the target).
    pub node_id: i64,
    /// The node the event was recorded on.
    pub target_id: i64,
    pub tag: String,
    pub id: Option<String>,
    pub classes: Vec<String>,
    /// Visible text, whitespace collapsed, at most [`MAX_TEXT_CHARS`]; masked text left out.
    pub text: Option<String>,
    pub role: Option<String>,
    pub aria_label: Option<String>,
    /// `data-testid` (or `data-test-id`).
    pub test_id: Option<String>,
    pub title: Option<String>,
    pub alt: Option<String>,
    /// Without query string and fragment.
    pub href: Option<String>,
    /// Has an `href` attribute, even one that is only a fragment (`#help`, kept as no `href`).
    pub has_href: bool,
    /// `type` of an input or button.
    pub input_type: Option<String>,
    pub name: Option<String>,
    pub placeholder: Option<String>,
    /// `a[download]`.
    pub download: bool,
    /// `target` of a link or form.
    pub link_target: Option<String>,
    pub contenteditable: bool,
    /// A CSS selector from the nearest ancestor with an id (or `body`) down to the element.
    pub selector: String,
    /// Whether the element looks interactive (see [`is_interactive`]).
    pub interactive: bool,
    /// A readable label (see [`Element::label`]), at most 60 characters.
    pub label: Option<String>,
}

impl Element {
    /// What to call the element in readable names: "button", "link", "field", "checkbox", ...,
    /// else its tag.
    pub fn noun(&self) -> &str {
        let role = self.role.as_deref().unwrap_or("");
        let ty = self.input_type.as_deref().unwrap_or("");
        match (self.tag.as_str(), role) {
            (_, "button") => "button",
            (_, "link") => "link",
            (_, "checkbox" | "switch") => "checkbox",
            (_, "radio") => "radio button",
            (_, "tab") => "tab",
            (_, "menuitem" | "menuitemcheckbox" | "menuitemradio") => "menu item",
            (_, "option") => "option",
            (_, "textbox" | "searchbox" | "combobox") => "field",
            ("a", _) if self.has_href => "link",
            ("button", _) => "button",
            ("input", _) => match ty {
                "button" | "submit" | "reset" | "image" => "button",
                "checkbox" => "checkbox",
                "radio" => "radio button",
                _ => "field",
            },
            ("textarea" | "select", _) => "field",
            ("img", _) => "image",
            ("", _) => "element",
            (tag, _) => tag,
        }
    }

    /// Whether it takes typed input (clicking it only focuses it).
    pub fn is_field(&self) -> bool {
        self.noun() == "field" || self.contenteditable
    }
}

/// Describes the element an event on node `target_id` belongs to; `None` when the node is
/// unknown or is not (in) an element.
pub fn describe(mirror: &Mirror, target_id: i64) -> Option<Element> {
    let target = mirror.get(target_id)?;
    let element = match target.kind() {
        Kind::Element => target,
        Kind::Text => target.parent().filter(|p| p.kind() == Kind::Element)?,
        _ => return None,
    };
    let chosen = interactive_ancestor(element).unwrap_or(element);
    let mut described = describe_node(mirror, chosen);
    described.target_id = target_id;
    Some(described)
}

/// The element itself if interactive, else its nearest interactive ancestor below `body`.
fn interactive_ancestor(element: NodeRef<'_>) -> Option<NodeRef<'_>> {
    let mut at = Some(element);
    for _ in 0..=MAX_PROMOTION_DEPTH {
        let node = at?;
        if node.kind() != Kind::Element || matches!(node.tag(), "body" | "html") {
            return None;
        }
        if is_interactive(node) {
            return Some(node);
        }
        at = node.parent();
    }
    None
}

/// Whether an element looks interactive: `a[href]`, `button`, `input`, `select`, `textarea`,
/// `label`, `summary`, an interactive ARIA role, an `onclick` attribute or a `tabindex`.
pub fn is_interactive(node: NodeRef<'_>) -> bool {
    if node.kind() != Kind::Element {
        return false;
    }
    match node.tag() {
        "a" if node.attr(AttrName::Href).is_some() => return true,
        "button" | "input" | "select" | "textarea" | "label" | "summary" => return true,
        _ => {}
    }
    if let Some(role) = node.attr(AttrName::Role)
        && role.split_ascii_whitespace().any(|r| {
            matches!(
                r,
                "button"
                    | "link"
                    | "menuitem"
                    | "menuitemcheckbox"
                    | "menuitemradio"
                    | "tab"
                    | "checkbox"
                    | "radio"
                    | "switch"
                    | "option"
            )
        })
    {
        return true;
    }
    node.attr(AttrName::OnClick).is_some() || node.attr(AttrName::TabIndex).is_some()
}

fn value(node: NodeRef<'_>, name: AttrName) -> Option<String> {
    let v = collapse(node.attr(name)?, MAX_VALUE_CHARS);
    (!v.is_empty()).then_some(v)
}

/// Describes `node` itself (no promotion).
pub fn describe_node(mirror: &Mirror, node: NodeRef<'_>) -> Element {
    let tag = node.tag().to_owned();
    let input_type = value(node, AttrName::Type).map(|t| t.to_ascii_lowercase());
    let mut e = Element {
        node_id: node.id(),
        target_id: node.id(),
        id: value(node, AttrName::Id),
        classes: node
            .attr(AttrName::Class)
            .unwrap_or("")
            .split_ascii_whitespace()
            .take(MAX_CLASSES)
            .map(|c| ellipsize(c, 64))
            .collect(),
        text: None,
        role: value(node, AttrName::Role),
        aria_label: value(node, AttrName::AriaLabel),
        test_id: value(node, AttrName::TestId),
        title: value(node, AttrName::Title),
        alt: value(node, AttrName::Alt),
        href: node
            .attr(AttrName::Href)
            .map(|h| strip_url(h, 2048).to_owned())
            .filter(|h| !h.is_empty()),
        has_href: node.attr(AttrName::Href).is_some(),
        input_type,
        name: value(node, AttrName::Name),
        placeholder: value(node, AttrName::Placeholder),
        download: node.attr(AttrName::Download).is_some(),
        link_target: value(node, AttrName::Target),
        contenteditable: node
            .attr(AttrName::ContentEditable)
            .is_some_and(|v| !v.eq_ignore_ascii_case("false")),
        selector: selector(node),
        interactive: is_interactive(node),
        label: None,
        tag,
    };
    // The whole page's text says nothing about a click on the page background.
    if !matches!(e.tag.as_str(), "body" | "html") {
        let text = visible_text(node);
        e.text = (!text.is_empty()).then_some(text);
    }
    e.label = label(mirror, node, &e).map(|l| ellipsize(&l, MAX_LABEL_CHARS));
    e
}

/// The element's rendered text: its text nodes in document order, without unrendered parts
/// (`style`, `script`, `textarea`...), nested documents, or masked text.
pub fn visible_text(root: NodeRef<'_>) -> String {
    let mut out = String::new();
    let mut chars = 0;
    let mut at = root.first_child();
    let mut visited = 0;
    while let Some(node) = at {
        visited += 1;
        if visited > MAX_TEXT_NODES {
            break;
        }
        let mut descend = false;
        match node.kind() {
            Kind::Text => {
                let t = node.text();
                if !is_masked(t) && !push_collapsed(&mut out, t, MAX_TEXT_CHARS, &mut chars) {
                    break;
                }
            }
            Kind::Element => descend = !node.is_unrendered(),
            _ => {}
        }
        at = node.next_in(root, descend);
    }
    out.truncate(out.trim_end().len());
    out
}

/// The readable label. Fields (inputs, textareas, selects): `aria-label`, the text of a
/// `label[for=id]` or of an enclosing `label`, `placeholder`, `name`, `title`, `id`. Others:
/// their text, `aria-label`, `title`, `alt`, a button input's caption, the `alt` of an image
/// inside, `placeholder`, `name`, `id`.
fn label(mirror: &Mirror, node: NodeRef<'_>, e: &Element) -> Option<String> {
    if e.noun() == "field" {
        return e
            .aria_label
            .clone()
            .or_else(|| label_for(mirror, e.id.as_deref()?))
            .or_else(|| enclosing_label(node))
            .or_else(|| e.placeholder.clone())
            .or_else(|| e.name.clone())
            .or_else(|| e.title.clone())
            .or_else(|| e.id.clone());
    }
    let button_caption = || {
        matches!(e.input_type.as_deref(), Some("submit" | "button" | "reset"))
            .then(|| value(node, AttrName::Value))
            .flatten()
    };
    e.text
        .clone()
        .or_else(|| e.aria_label.clone())
        .or_else(|| e.title.clone())
        .or_else(|| e.alt.clone())
        .or_else(button_caption)
        .or_else(|| e.id.as_deref().and_then(|id| label_for(mirror, id)))
        .or_else(|| image_alt(node))
        .or_else(|| e.placeholder.clone())
        .or_else(|| e.name.clone())
        .or_else(|| e.id.clone())
}

fn label_for(mirror: &Mirror, id: &str) -> Option<String> {
    mirror
        .labels()
        .take(10_000)
        .find(|l| l.attr(AttrName::For) == Some(id))
        .map(visible_text)
        .filter(|t| !t.is_empty())
}

fn enclosing_label(node: NodeRef<'_>) -> Option<String> {
    let mut at = node.parent();
    for _ in 0..8 {
        let n = at?;
        if n.kind() != Kind::Element {
            return None;
        }
        if n.tag() == "label" {
            let t = visible_text(n);
            return (!t.is_empty()).then_some(t);
        }
        at = n.parent();
    }
    None
}

fn image_alt(root: NodeRef<'_>) -> Option<String> {
    let mut at = root.first_child();
    for _ in 0..200 {
        let node = at?;
        if node.kind() == Kind::Element
            && node.tag() == "img"
            && let Some(alt) = value(node, AttrName::Alt)
        {
            return Some(alt);
        }
        at = node.next_in(root, node.kind() == Kind::Element);
    }
    None
}

/// A CSS selector path such as `div#main > ul.items > li:nth-of-type(2) > button.buy`: from the
/// nearest ancestor with an id (included, as `tag#id`), else from `body`/`html` or the top of
/// a document or shadow root, down to the element.
pub fn selector(node: NodeRef<'_>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut at = Some(node);
    while let Some(n) = at {
        if n.kind() != Kind::Element || parts.len() >= MAX_SELECTOR_PARTS {
            break;
        }
        let tag = n.tag();
        let mut part = css_tag(tag);
        if let Some(id) = n.attr(AttrName::Id).filter(|id| !id.is_empty()) {
            if is_css_ident(id) {
                part.push('#');
                part.push_str(id);
            } else {
                part.push_str(&format!(
                    "[id=\"{}\"]",
                    id.replace('\\', "\\\\").replace('"', "\\\"")
                ));
            }
            parts.push(part);
            break;
        }
        if tag == "body" || tag == "html" {
            parts.push(part);
            break;
        }
        for class in n
            .attr(AttrName::Class)
            .unwrap_or("")
            .split_ascii_whitespace()
            .filter(|c| is_css_ident(c))
            .take(3)
        {
            part.push('.');
            part.push_str(class);
        }
        if let Some(k) = nth_of_type(n) {
            part.push_str(&format!(":nth-of-type({k})"));
        }
        parts.push(part);
        if n.is_shadow() {
            // A selector does not cross into a shadow root.
            break;
        }
        at = n.parent();
    }
    parts.reverse();
    parts.join(" > ")
}

/// `Some(position)` (1-based) when the parent has more than one child with this tag.
fn nth_of_type(node: NodeRef<'_>) -> Option<usize> {
    let parent = node.parent()?;
    let mut position = 0;
    let mut count = 0;
    let mut at = parent.first_child();
    let mut seen = 0;
    while let Some(s) = at {
        seen += 1;
        if seen > MAX_SIBLINGS {
            break;
        }
        if s.kind() == Kind::Element && s.tag() == node.tag() {
            count += 1;
            if s == node {
                position = count;
            }
        }
        at = s.next_sibling();
    }
    (count > 1 && position > 0).then_some(position)
}

fn is_css_ident(s: &str) -> bool {
    let bytes = s.as_bytes();
    let starts_well = match bytes {
        [b'-', second, ..] => second.is_ascii_alphabetic() || *second == b'_',
        [first, ..] => first.is_ascii_alphabetic() || *first == b'_',
        [] => false,
    };
    starts_well
        && bytes
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
}

/// A tag name usable in a selector (custom or odd names cleaned up, `*` when nothing is left).
fn css_tag(tag: &str) -> String {
    if is_css_ident(tag) {
        return tag.to_owned();
    }
    let cleaned: String = tag
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(64)
        .collect();
    if is_css_ident(&cleaned) {
        cleaned
    } else {
        "*".to_owned()
    }
}

#[cfg(test)]
#[path = "attribution_tests.rs"]
mod tests;
