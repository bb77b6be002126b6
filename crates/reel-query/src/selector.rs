//! A small CSS selector subset, matched against the element a click was attributed to.
//!
//! Supported: compound selectors of a type (`button`, `*`), `#id`, `.class`, `[attr]`,
//! `[attr=value]` (also `^=`, `$=`, `*=`; values bare or quoted) and `:nth-of-type(n)`, joined
//! by descendant (space) and child (`>`) combinators: `div#cart > button.checkout`,
//! `form button[type=submit]`.
//!
//! What is matched: the clicked element itself (its tag, id, classes and the attributes reel
//! keeps — `href`, `role`, `aria-label`, `data-testid`, `title`, `alt`, `type`, `name`) and
//! the recorded CSS path above it (`[reel] Element Selector`, e.g. `body > div#main >
//! button.checkout:nth-of-type(2)`), which starts at the nearest ancestor with an id. Ancestors
//! are known only by what that path says (tag, id, up to three classes, position), so an
//! ancestor part that names an attribute, or an ancestor above the path's start, never matches.

use std::fmt;

/// A parsed selector: compounds from the outermost to the element, and how each joins the one
/// before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// The text as given (trimmed), to show and to store.
    source: String,
    compounds: Vec<Compound>,
    /// `combinators[i]` joins `compounds[i]` to `compounds[i + 1]`.
    combinators: Vec<Combinator>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Combinator {
    Descendant,
    Child,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Compound {
    /// Lower-case; `None` for `*` or no type.
    tag: Option<String>,
    id: Option<String>,
    classes: Vec<String>,
    attributes: Vec<AttributeTest>,
    nth_of_type: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AttributeTest {
    /// Lower-case.
    name: String,
    op: AttributeOp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum AttributeOp {
    Present,
    Equals(String),
    StartsWith(String),
    EndsWith(String),
    Contains(String),
}

/// Why a selector could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SelectorError(String);

/// The most characters a selector may have.
const MAX_SELECTOR_CHARS: usize = 500;
/// The most compounds a selector may have.
pub const MAX_COMPOUNDS: usize = 16;
/// The deepest recorded path matched (parts, the clicked element included): deeper paths match
/// no selector. Real pages nest tens of levels; reel's own paths start at the nearest ancestor
/// with an id and are shorter still.
pub const MAX_PATH_DEPTH: usize = 256;

impl Selector {
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let source = text.trim();
        if source.is_empty() {
            return Err(SelectorError("the selector is empty".into()));
        }
        if source.chars().count() > MAX_SELECTOR_CHARS {
            return Err(SelectorError(format!(
                "the selector is longer than {MAX_SELECTOR_CHARS} characters"
            )));
        }
        let mut p = Parser::new(source);
        let mut compounds = vec![p.compound(true)?];
        let mut combinators = Vec::new();
        loop {
            let spaced = p.skip_spaces();
            if p.done() {
                break;
            }
            let combinator = if p.eat('>') {
                p.skip_spaces();
                Combinator::Child
            } else if spaced {
                Combinator::Descendant
            } else {
                return Err(p.unexpected());
            };
            combinators.push(combinator);
            compounds.push(p.compound(true)?);
            if compounds.len() > MAX_COMPOUNDS {
                return Err(SelectorError(format!(
                    "a selector may have at most {MAX_COMPOUNDS} parts"
                )));
            }
        }
        Ok(Self {
            source: source.to_owned(),
            compounds,
            combinators,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Words an element matching the selector must have (its tag, id and classes, as
    /// [`element_tokens`] writes them): a backend can index them to find candidates.
    pub fn required_tokens(&self) -> Vec<String> {
        let last = self.compounds.last().expect("at least one compound");
        let mut tokens = Vec::new();
        if let Some(id) = &last.id {
            tokens.push(format!("#{id}"));
        }
        tokens.extend(last.classes.iter().map(|c| format!(".{c}")));
        if let Some(tag) = &last.tag {
            tokens.push(tag.clone());
        }
        tokens
    }

    /// Whether a clicked element matches.
    pub fn matches(&self, element: &ClickedElement<'_>) -> bool {
        self.matches_counting(element).0
    }

    /// [`Selector::matches`], with the number of compound tests it made: at most
    /// `parts × (path depth + 1)`, whatever the selector and the path.
    pub fn matches_counting(&self, element: &ClickedElement<'_>) -> (bool, usize) {
        let path = parse_path(element.path);
        let Some(own) = path.last() else {
            return (false, 0);
        };
        if path.len() > MAX_PATH_DEPTH {
            return (false, 0);
        }
        let target = Target {
            tag: element.tag.map(str::to_ascii_lowercase).or(own.tag.clone()),
            id: element
                .attribute("id")
                .map(str::to_owned)
                .or(own.id.clone()),
            classes: if element.classes.is_empty() {
                own.classes.clone()
            } else {
                element.classes.iter().map(|c| (*c).to_owned()).collect()
            },
            nth_of_type: own.nth_of_type,
            attributes: Some(element),
        };
        let mut nodes: Vec<Target<'_>> = path[..path.len() - 1]
            .iter()
            .map(|part| Target {
                tag: part.tag.clone(),
                id: part.id.clone(),
                classes: part.classes.clone(),
                nth_of_type: part.nth_of_type,
                attributes: None,
            })
            .collect();
        nodes.push(target);
        self.place(&nodes)
    }

    /// Whether the compounds can be placed on `nodes` (outermost first, the clicked element
    /// last), the last compound on the element. Dynamic programming over (compound, node):
    /// `placed[i]` says compound `q` can sit on node `i` with compounds `..q` placed above it as
    /// their combinators require. Each compound is tested once per node, so the work is
    /// `parts × depth` where backtracking took up to C(depth, parts).
    fn place(&self, nodes: &[Target<'_>]) -> (bool, usize) {
        let mut steps = 0;
        let mut placed: Vec<bool> = Vec::with_capacity(nodes.len());
        for (q, compound) in self.compounds.iter().enumerate() {
            let last = q + 1 == self.compounds.len();
            let mut next = vec![false; nodes.len()];
            // Whether compound q - 1 sits on some node strictly above the current one.
            let mut any_above = false;
            for (i, node) in nodes.iter().enumerate() {
                let above_ok = match q {
                    0 => true,
                    _ => match self.combinators[q - 1] {
                        Combinator::Child => i > 0 && placed[i - 1],
                        Combinator::Descendant => any_above,
                    },
                };
                if q > 0 {
                    any_above |= placed[i];
                }
                // The last compound belongs on the element; the others on ancestors.
                let node_ok = if last {
                    i + 1 == nodes.len()
                } else {
                    i + 1 < nodes.len()
                };
                if above_ok && node_ok {
                    steps += 1;
                    next[i] = compound.matches(node);
                }
            }
            placed = next;
        }
        (placed.last().copied().unwrap_or(false), steps)
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// A clicked element as the event store keeps it.
#[derive(Debug, Clone, Default)]
pub struct ClickedElement<'a> {
    /// `[reel] Element Selector`.
    pub path: &'a str,
    /// `[reel] Element Tag`.
    pub tag: Option<&'a str>,
    /// `[reel] Element Classes` (when kept; else the path's).
    pub classes: Vec<&'a str>,
    /// Attributes by lower-case name: id, href, role, aria-label, data-testid, title, alt, type,
    /// name.
    pub attributes: Vec<(&'a str, &'a str)>,
}

impl ClickedElement<'_> {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }
}

/// Event properties that hold a clicked element's attributes, by attribute name.
pub const ELEMENT_ATTRIBUTE_PROPERTIES: &[(&str, &str)] = &[
    ("id", "[reel] Element ID"),
    ("href", "[reel] Element Href"),
    ("role", "[reel] Element Role"),
    ("aria-label", "[reel] Element Aria Label"),
    ("data-testid", "[reel] Element Test ID"),
    ("title", "[reel] Element Title"),
    ("alt", "[reel] Element Alt"),
    ("type", "[reel] Element Type"),
    ("name", "[reel] Element Name"),
];

impl<'a> ClickedElement<'a> {
    /// Reads the element from an event's properties; `None` without a recorded path.
    pub fn from_properties(
        properties: &'a serde_json::Map<String, serde_json::Value>,
    ) -> Option<Self> {
        let text = |key: &str| properties.get(key).and_then(serde_json::Value::as_str);
        let path = text(crate::model::ELEMENT_SELECTOR_PROPERTY)?;
        Some(Self {
            path,
            tag: text("[reel] Element Tag"),
            classes: properties
                .get("[reel] Element Classes")
                .and_then(serde_json::Value::as_array)
                .map(|a| a.iter().filter_map(serde_json::Value::as_str).collect())
                .unwrap_or_default(),
            attributes: ELEMENT_ATTRIBUTE_PROPERTIES
                .iter()
                .filter_map(|(name, key)| text(key).map(|v| (*name, v)))
                .collect(),
        })
    }
}

/// The words an index keeps for a clicked element: its tag, `#id` and `.class`es, read from
/// its recorded path's last part (and the kept classes). [`Selector::required_tokens`] asks
/// for a subset of these.
pub fn element_tokens(element: &ClickedElement<'_>) -> Vec<String> {
    let path = parse_path(element.path);
    let Some(own) = path.last() else {
        return Vec::new();
    };
    let mut tokens = Vec::new();
    if let Some(tag) = element.tag.map(str::to_ascii_lowercase).or(own.tag.clone()) {
        tokens.push(tag);
    }
    if let Some(id) = element
        .attribute("id")
        .map(str::to_owned)
        .or(own.id.clone())
    {
        tokens.push(format!("#{id}"));
    }
    for class in own
        .classes
        .iter()
        .map(String::as_str)
        .chain(element.classes.iter().copied())
    {
        let token = format!(".{class}");
        if !tokens.contains(&token) {
            tokens.push(token);
        }
    }
    tokens
}

/// A node as far as a selector can see it.
struct Target<'a> {
    tag: Option<String>,
    id: Option<String>,
    classes: Vec<String>,
    nth_of_type: Option<u32>,
    /// The clicked element's attributes; ancestors have none.
    attributes: Option<&'a ClickedElement<'a>>,
}

impl Compound {
    fn matches(&self, t: &Target<'_>) -> bool {
        if let Some(tag) = &self.tag
            && t.tag.as_deref() != Some(tag)
        {
            return false;
        }
        if let Some(id) = &self.id
            && t.id.as_deref() != Some(id)
        {
            return false;
        }
        if !self.classes.iter().all(|c| t.classes.contains(c)) {
            return false;
        }
        if let Some(n) = self.nth_of_type {
            // Recorded paths write the position only when a sibling shares the tag: no
            // position means the only one.
            if t.nth_of_type.unwrap_or(1) != n {
                return false;
            }
        }
        self.attributes.iter().all(|test| {
            let value = match test.name.as_str() {
                "id" => t.id.clone(),
                "class" => (!t.classes.is_empty()).then(|| t.classes.join(" ")),
                name => t
                    .attributes
                    .and_then(|e| e.attribute(name))
                    .map(str::to_owned),
            };
            match (&test.op, value) {
                (_, None) => false,
                (AttributeOp::Present, Some(_)) => true,
                (AttributeOp::Equals(want), Some(v)) => &v == want,
                (AttributeOp::StartsWith(want), Some(v)) => v.starts_with(want.as_str()),
                (AttributeOp::EndsWith(want), Some(v)) => v.ends_with(want.as_str()),
                (AttributeOp::Contains(want), Some(v)) => v.contains(want.as_str()),
            }
        })
    }
}

/// The parts of a recorded path, outermost first. Unreadable parts read as nothing (a path that
/// cannot be read matches nothing).
fn parse_path(path: &str) -> Vec<Compound> {
    let mut parts = Vec::new();
    for piece in split_path(path) {
        let mut p = Parser::new(piece.trim());
        match p.compound(false) {
            Ok(c) if p.done() => parts.push(c),
            _ => return Vec::new(),
        }
    }
    parts
}

/// Splits a recorded path at its ` > ` separators, outside brackets and escapes.
fn split_path(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start, mut escaped, mut quote) = (0usize, 0usize, false, None::<char>);
    for (i, c) in path.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' | '\'' if quote == Some(c) => quote = None,
            '"' | '\'' if quote.is_none() => quote = Some(c),
            '[' | '(' if quote.is_none() => depth += 1,
            ']' | ')' if quote.is_none() => depth = depth.saturating_sub(1),
            '>' if quote.is_none() && depth == 0 => {
                out.push(&path[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&path[start..]);
    out
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, at: 0 }
    }

    fn done(&self) -> bool {
        self.at >= self.text.len()
    }

    fn peek(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.at += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn skip_spaces(&mut self) -> bool {
        let before = self.at;
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
        self.at > before
    }

    fn unexpected(&self) -> SelectorError {
        match self.peek() {
            Some(c) => SelectorError(format!(
                "unexpected {c:?} at position {} of the selector (supported: tag, #id, .class, \
                 [attr], [attr=value], :nth-of-type(n), descendant and > combinators)",
                self.text[..self.at].chars().count() + 1
            )),
            None => SelectorError("the selector ends too early".into()),
        }
    }

    /// A compound: `tag#id.class[attr=v]:nth-of-type(2)`. `strict`: a query (every part must
    /// be understood); a recorded path may hold more (`:nth-of-type` only is kept).
    fn compound(&mut self, strict: bool) -> Result<Compound, SelectorError> {
        let mut c = Compound::default();
        let start = self.at;
        if self.eat('*') {
        } else if self.peek().is_some_and(is_ident_start) {
            c.tag = Some(self.ident()?.to_ascii_lowercase());
        }
        loop {
            match self.peek() {
                Some('#') => {
                    self.at += 1;
                    c.id = Some(self.ident()?);
                }
                Some('.') => {
                    self.at += 1;
                    c.classes.push(self.ident()?);
                }
                Some('[') => {
                    self.at += 1;
                    let test = self.attribute()?;
                    // Recorded paths write odd ids as [id="..."].
                    if test.name == "id"
                        && let AttributeOp::Equals(v) = &test.op
                        && !strict
                    {
                        c.id = Some(v.clone());
                    } else {
                        c.attributes.push(test);
                    }
                }
                Some(':') => {
                    self.at += 1;
                    let name = self.ident()?;
                    if !name.eq_ignore_ascii_case("nth-of-type") || !self.eat('(') {
                        return Err(SelectorError(format!(
                            "the pseudo-class :{name} is not supported (only :nth-of-type(n))"
                        )));
                    }
                    let digits: String = self.text[self.at..]
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect();
                    self.at += digits.len();
                    let n = digits
                        .parse::<u32>()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| {
                            SelectorError(":nth-of-type needs a positive number".into())
                        })?;
                    if !self.eat(')') {
                        return Err(self.unexpected());
                    }
                    c.nth_of_type = Some(n);
                }
                _ => break,
            }
        }
        if self.at == start {
            return Err(self.unexpected());
        }
        Ok(c)
    }

    fn attribute(&mut self) -> Result<AttributeTest, SelectorError> {
        self.skip_spaces();
        let name = self.ident()?.to_ascii_lowercase();
        self.skip_spaces();
        let op = if self.eat(']') {
            return Ok(AttributeTest {
                name,
                op: AttributeOp::Present,
            });
        } else if self.eat('=') {
            0
        } else if let Some(kind @ ('^' | '$' | '*')) = self.peek() {
            self.at += 1;
            if !self.eat('=') {
                return Err(self.unexpected());
            }
            match kind {
                '^' => 1,
                '$' => 2,
                _ => 3,
            }
        } else {
            return Err(self.unexpected());
        };
        self.skip_spaces();
        let value = match self.peek() {
            Some(q @ ('"' | '\'')) => {
                self.at += 1;
                let mut value = String::new();
                loop {
                    match self.peek() {
                        None => {
                            return Err(SelectorError("an attribute value is not closed".into()));
                        }
                        Some('\\') => {
                            self.at += 1;
                            if let Some(c) = self.peek() {
                                value.push(c);
                                self.at += c.len_utf8();
                            }
                        }
                        Some(c) if c == q => {
                            self.at += 1;
                            break;
                        }
                        Some(c) => {
                            value.push(c);
                            self.at += c.len_utf8();
                        }
                    }
                }
                value
            }
            _ => self.ident()?,
        };
        self.skip_spaces();
        if !self.eat(']') {
            return Err(self.unexpected());
        }
        Ok(AttributeTest {
            name,
            op: match op {
                0 => AttributeOp::Equals(value),
                1 => AttributeOp::StartsWith(value),
                2 => AttributeOp::EndsWith(value),
                _ => AttributeOp::Contains(value),
            },
        })
    }

    /// A CSS identifier, with backslash escapes (`\:` and hex escapes like `\31 `) undone.
    fn ident(&mut self) -> Result<String, SelectorError> {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            if c == '\\' {
                self.at += 1;
                let hex: String = self.text[self.at..]
                    .chars()
                    .take_while(char::is_ascii_hexdigit)
                    .take(6)
                    .collect();
                if !hex.is_empty() {
                    self.at += hex.len();
                    if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        out.push(ch);
                    }
                    if self.peek() == Some(' ') {
                        self.at += 1;
                    }
                } else if let Some(ch) = self.peek() {
                    out.push(ch);
                    self.at += ch.len_utf8();
                }
            } else if is_ident_char(c) {
                out.push(c);
                self.at += c.len_utf8();
            } else {
                break;
            }
        }
        if out.is_empty() {
            Err(self.unexpected())
        } else {
            Ok(out)
        }
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '-' || c == '\\' || !c.is_ascii()
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-' || !c.is_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element<'a>(path: &'a str, attrs: &[(&'a str, &'a str)]) -> ClickedElement<'a> {
        ClickedElement {
            path,
            tag: None,
            classes: Vec::new(),
            attributes: attrs.to_vec(),
        }
    }

    #[test]
    fn matching_cases() {
        let checkout = "body > div#main > form.pay > button.btn.checkout:nth-of-type(2)";
        let attrs = [
            ("type", "submit"),
            ("data-testid", "pay-now"),
            ("href", "/a"),
        ];
        // (selector, path, matches)
        let cases: &[(&str, &str, bool)] = &[
            ("button.checkout", checkout, true),
            ("button", checkout, true),
            (".checkout", checkout, true),
            (".checkout.btn", checkout, true),
            ("button.checkout.other", checkout, false),
            ("a.checkout", checkout, false),
            ("BUTTON.checkout", checkout, true),
            ("div#main button.checkout", checkout, true),
            ("div#main > button", checkout, false),
            ("div#main > form > button", checkout, true),
            ("form.pay > button:nth-of-type(2)", checkout, true),
            ("button:nth-of-type(1)", checkout, false),
            ("body form button", checkout, true),
            ("html button", checkout, false),
            ("#main button", checkout, true),
            ("button[type=submit]", checkout, true),
            ("button[type=\"submit\"]", checkout, true),
            ("button[type=reset]", checkout, false),
            ("[data-testid^=pay]", checkout, true),
            ("[data-testid$=now]", checkout, true),
            ("[data-testid*=y-n]", checkout, true),
            ("[href]", checkout, true),
            ("[title]", checkout, false),
            ("form[data-testid] button", checkout, false),
            ("*", checkout, true),
            ("div#main *.checkout", checkout, true),
            // An id'd ancestor starts the path: what is above it is unknown.
            ("main button", "div#cart > button.checkout", false),
            ("button#pay", "button#pay", true),
            ("#pay", "div[id=\"pay\"]", true),
            ("div.x\\:y", "div.x\\:y", true),
            ("button", "", false),
            ("button", "not a > > path", false),
        ];
        for (selector, path, want) in cases {
            let s = Selector::parse(selector).unwrap_or_else(|e| panic!("{selector}: {e}"));
            assert_eq!(
                s.matches(&element(path, &attrs)),
                *want,
                "{selector} on {path}"
            );
        }
    }

    /// The definition, by backtracking: exponential in the worst case, fine on small inputs.
    fn naive(selector: &Selector, element: &ClickedElement<'_>) -> bool {
        fn above(s: &Selector, qi: usize, below: usize, nodes: &[Target<'_>]) -> bool {
            if qi == 0 {
                return true;
            }
            let compound = &s.compounds[qi - 1];
            match s.combinators[qi - 1] {
                Combinator::Child => {
                    below > 0
                        && compound.matches(&nodes[below - 1])
                        && above(s, qi - 1, below - 1, nodes)
                }
                Combinator::Descendant => (0..below)
                    .rev()
                    .any(|at| compound.matches(&nodes[at]) && above(s, qi - 1, at, nodes)),
            }
        }
        let path = parse_path(element.path);
        let Some((own, ancestors)) = path.split_last() else {
            return false;
        };
        let target = |c: &Compound, attributes| Target {
            tag: c.tag.clone(),
            id: c.id.clone(),
            classes: c.classes.clone(),
            nth_of_type: c.nth_of_type,
            attributes,
        };
        let last = selector.compounds.len() - 1;
        let nodes: Vec<Target<'_>> = ancestors.iter().map(|c| target(c, None)).collect();
        selector.compounds[last].matches(&target(own, Some(element)))
            && above(selector, last, nodes.len(), &nodes)
    }

    /// A small xorshift generator: the randomized test needs no dependency and repeats.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    #[test]
    fn agrees_with_backtracking_on_random_small_inputs() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let parts = [
            "div",
            "span",
            "div.a",
            "span.a",
            "div.b",
            "*",
            ".a",
            "div:nth-of-type(2)",
        ];
        let nodes = [
            "div",
            "span",
            "div.a",
            "span.a.b",
            "div.b",
            "p",
            "div:nth-of-type(2)",
        ];
        let mut matched = 0;
        for _ in 0..20_000 {
            let depth = 1 + rng.below(7);
            let path: Vec<&str> = (0..depth).map(|_| nodes[rng.below(nodes.len())]).collect();
            let path = path.join(" > ");
            let count = 1 + rng.below(5);
            let mut selector = String::new();
            for i in 0..count {
                if i > 0 {
                    selector.push_str([" ", " > "][rng.below(2)]);
                }
                selector.push_str(parts[rng.below(parts.len())]);
            }
            let s = Selector::parse(&selector).unwrap();
            let e = element(&path, &[]);
            let (got, steps) = s.matches_counting(&e);
            assert_eq!(got, naive(&s, &e), "{selector} on {path}");
            assert!(
                steps <= count * depth,
                "{selector} on {path}: {steps} steps"
            );
            matched += usize::from(got);
        }
        // Both answers occur often enough for the comparison to mean something.
        assert!((2_000..18_000).contains(&matched), "{matched} matched");
    }

    #[test]
    fn a_deep_path_and_a_long_selector_take_parts_times_depth_steps() {
        // 40 nested divs above a button; a 16-part selector that fails only at its first part
        // (no span above): backtracking tries C(40, 14) placements of the middle parts.
        let path = format!("{} > button", vec!["div"; 40].join(" > "));
        let selector = format!("span {} button", vec!["div"; 14].join(" "));
        let s = Selector::parse(&selector).unwrap();
        let (matched, steps) = s.matches_counting(&element(&path, &[]));
        assert!(!matched);
        assert!(steps <= 16 * 41, "{steps} steps");
        // The same with a span on top matches, in as few steps.
        let path = format!("span > {path}");
        let (matched, steps) = s.matches_counting(&element(&path, &[]));
        assert!(matched);
        assert!(steps <= 16 * 42, "{steps} steps");
        // Past the documented depth nothing matches, at no cost.
        let deep = format!("{} > button", vec!["div"; MAX_PATH_DEPTH].join(" > "));
        assert_eq!(
            Selector::parse("button")
                .unwrap()
                .matches_counting(&element(&deep, &[])),
            (false, 0)
        );
    }

    #[test]
    fn element_properties_beat_the_path() {
        let s = Selector::parse("button.primary#pay").unwrap();
        let e = ClickedElement {
            path: "body > button.btn",
            tag: Some("BUTTON"),
            classes: vec!["btn", "primary"],
            attributes: vec![("id", "pay")],
        };
        assert!(s.matches(&e));
        assert_eq!(element_tokens(&e), ["button", "#pay", ".btn", ".primary"]);
    }

    #[test]
    fn parse_errors() {
        let cases = [
            ("", "empty"),
            ("button:hover", ":hover is not supported"),
            ("a, b", "unexpected ','"),
            ("a >", "ends too early"),
            ("[x=\"open", "not closed"),
            (":nth-of-type(0)", "positive number"),
            ("a ~ b", "unexpected '~'"),
        ];
        for (text, want) in cases {
            let err = Selector::parse(text).expect_err(text).to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn required_tokens_are_among_the_element_tokens() {
        let s = Selector::parse("div > button#pay.checkout").unwrap();
        assert_eq!(s.required_tokens(), ["#pay", ".checkout", "button"]);
        let e = element("body > button#pay.checkout", &[]);
        let have = element_tokens(&e);
        assert!(
            s.required_tokens().iter().all(|t| have.contains(t)),
            "{have:?}"
        );
    }
}
