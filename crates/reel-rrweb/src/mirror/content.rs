//! What a mirrored node keeps: lower-cased tag names (common ones without allocating), text
//! (whitespace-only text as one static space, nothing for text that is not rendered), and only
//! the attributes attribution reads ([`AttrName`]), each at most [`MAX_ATTR_BYTES`], all
//! within the mirror's string budget.

use std::borrow::Cow;

use super::{MAX_ATTR_BYTES, Mirror};
use crate::model::AttrValue;

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

impl Mirror {
    pub(super) fn set_attr(&mut self, idx: u32, name: AttrName, value: Box<str>) {
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

    pub(super) fn remove_attr(&mut self, idx: u32, name: AttrName) {
        let attrs = &mut self.nodes[idx as usize].attrs;
        if let Some(i) = attrs.iter().position(|(n, _)| *n == name) {
            self.string_bytes -= attrs[i].1.len();
            attrs.remove(i);
        }
    }
}

pub(super) enum AttrUpdate {
    Set(Box<str>),
    Remove,
    Ignore,
}

pub(super) fn attr_value(value: AttrValue<'_>) -> AttrUpdate {
    match value {
        AttrValue::Str(s) => AttrUpdate::Set(s.decode_prefix(MAX_ATTR_BYTES).into()),
        AttrValue::Number(n) => AttrUpdate::Set(n.to_string().into()),
        AttrValue::Bool(true) => AttrUpdate::Set("".into()),
        AttrValue::Bool(false) | AttrValue::Null => AttrUpdate::Remove,
        AttrValue::Structured => AttrUpdate::Ignore,
    }
}

/// Text as stored: whitespace-only text becomes one (static) space.
pub(super) fn stored_text(text: Cow<'_, str>) -> Cow<'static, str> {
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
pub(super) fn is_unrendered_tag(tag: &str) -> bool {
    matches!(
        tag,
        "style" | "script" | "noscript" | "head" | "title" | "template" | "textarea"
    )
}

/// Lower-cased tag name; common ones without allocating.
pub(super) fn tag_name(raw: &str) -> Cow<'static, str> {
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
