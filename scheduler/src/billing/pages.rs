//! The cabinet's pages parsed: pure functions from a decoded page to what
//! it lists, on the `scraper` crate (an HTML5 parser: entities decoded,
//! tag case, attribute order and stray whitespace do not matter). Nothing
//! here knows of sessions or HTTP; each function takes the page's path to
//! name it in errors. The shapes are in `shared/facts/billing-cabinet.md`.
//!
//! Markers this module relies on, so a changed cabinet fails loudly rather
//! than looking empty:
//! - the login form: an `input` named `cab_login` or `cab_password`;
//! - the root: at least one tree node (`div.tree_node_folder` or
//!   `div.tree_node_user`: a cabinet always lists its staff accounts);
//! - a folder: its subscribers (`div.tree_user`), or else the tree's frame
//!   — any element whose class or id mentions `tree` (the open folder's
//!   own node, the tree container). An empty folder still shows it; an
//!   error page or a redesign does not;
//! - a card: `table#ideco_user_info` with a login row;
//! - statistics: `table#stat_table`.

use ego_tree::iter::Edge;
use scraper::node::Node;
use scraper::{ElementRef, Html, Selector};

use super::card::{card_from_rows, collapse, parse_money};
use super::{BillingError, Card, Folder, StatRow, TreeEntry};

/// The cabinet's encoding, unless the answer's Content-Type names another.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> String {
    let named = content_type.and_then(|ct| {
        ct.split(';')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
            .and_then(|(_, v)| {
                encoding_rs::Encoding::for_label(v.trim().trim_matches('"').as_bytes())
            })
    });
    let encoding = named.unwrap_or(encoding_rs::WINDOWS_1251);
    encoding.decode(bytes).0.into_owned()
}

fn sel(css: &str) -> Selector {
    // Only the constant selectors of this module go through here.
    Selector::parse(css).unwrap_or_else(|e| panic!("selector {css}: {e}"))
}

/// An element's text, entities decoded, `<br>` and the end of a block
/// (a row, a paragraph, a list item) as a line break (phones are often
/// one per line, or one per row of a table in the cell), the end of a
/// cell as a space.
pub fn text_of(el: ElementRef<'_>) -> String {
    let mut out = String::new();
    for edge in el.traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) if e.name() == "br" => out.push('\n'),
                _ => {}
            },
            Edge::Close(node) if node.id() != el.id() => {
                if let Node::Element(e) = node.value() {
                    match e.name() {
                        "tr" | "p" | "div" | "li" | "table" => out.push('\n'),
                        "td" | "th" => out.push(' '),
                        _ => {}
                    }
                }
            }
            Edge::Close(_) => {}
        }
    }
    out
}

/// The direct data cells of a row (headers, `th`, are not data).
fn cells(row: ElementRef<'_>) -> Vec<ElementRef<'_>> {
    cells_named(row, &["td"])
}

fn cells_named<'a>(row: ElementRef<'a>, names: &[&str]) -> Vec<ElementRef<'a>> {
    row.children()
        .filter_map(ElementRef::wrap)
        .filter(|c| names.contains(&c.value().name()))
        .collect()
}

/// A table's own rows: not those of a table nested in one of its cells.
fn own_rows<'a>(table: ElementRef<'a>) -> impl Iterator<Item = ElementRef<'a>> {
    let id = table.id();
    table.select(&ROWS).filter(move |tr| {
        tr.ancestors()
            .filter_map(ElementRef::wrap)
            .find(|a| a.value().name() == "table")
            .is_some_and(|t| t.id() == id)
    })
}

static ROWS: std::sync::LazyLock<Selector> = std::sync::LazyLock::new(|| sel("tr"));

/// The id a tree link points at: the segment after `userinfo` in its
/// path, when that is the last (`/cabinet/userinfo/123`,
/// `…/userinfo/123/?x`, `http://host/cabinet/userinfo/123`). A toggle, a
/// `#` or a script link points at none.
fn node_id(href: &str) -> Option<String> {
    let path = href.split(['?', '#']).next().unwrap_or_default();
    let segs: Vec<&str> = path
        .split('/')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    match segs.as_slice() {
        [.., dir, id] if dir.eq_ignore_ascii_case("userinfo") => Some(id.to_string()),
        _ => None,
    }
}

static LINKS: std::sync::LazyLock<Selector> = std::sync::LazyLock::new(|| sel("a[href]"));

/// Each tree node's link, once per id in page order: of the node's links
/// to a tree id, the first with text (an icon link before the name has
/// none), else the first.
fn node_links<'a>(doc: &'a Html, nodes: &Selector) -> Vec<(String, ElementRef<'a>)> {
    let mut ids = std::collections::HashSet::new();
    let mut out = Vec::new();
    for node in doc.select(nodes) {
        let links: Vec<(String, ElementRef<'a>)> = node
            .select(&LINKS)
            .filter_map(|a| Some((node_id(a.value().attr("href")?)?, a)))
            .collect();
        let pick = links
            .iter()
            .find(|(_, a)| !collapse(&text_of(*a)).is_empty())
            .or(links.first());
        if let Some((id, a)) = pick {
            if ids.insert(id.clone()) {
                out.push((id.clone(), *a));
            }
        }
    }
    out
}

/// Whether the page is the login form (what an expired session gets
/// instead of the page it asked for).
pub fn is_login_form(html: &str) -> bool {
    let doc = Html::parse_document(html);
    let found = doc
        .select(&sel("input[name=cab_login], input[name=cab_password]"))
        .next()
        .is_some();
    found
}

/// The login form's hidden fields (`cab_hash`, `cab_random_word`, and any
/// other the form carries), to post back.
pub fn login_hidden_fields(html: &str, page: &str) -> Result<Vec<(String, String)>, BillingError> {
    let doc = Html::parse_document(html);
    let fields: Vec<(String, String)> = doc
        .select(&sel("input"))
        .filter(|i| {
            i.value()
                .attr("type")
                .is_some_and(|t| t.eq_ignore_ascii_case("hidden"))
        })
        .filter_map(|i| {
            let name = i.value().attr("name")?;
            Some((
                name.to_string(),
                i.value().attr("value").unwrap_or_default().to_string(),
            ))
        })
        .collect();
    for needed in ["cab_hash", "cab_random_word"] {
        if !fields.iter().any(|(n, _)| n == needed) {
            return Err(BillingError::structure(
                page,
                &format!("hidden field {needed} in the login form"),
            ));
        }
    }
    Ok(fields)
}

/// The text of the page's `div.ideco_error`, if it has one.
pub fn login_error(html: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let text = doc
        .select(&sel("div.ideco_error"))
        .next()
        .map(|e| collapse(&text_of(e)));
    text
}

/// The root page's folders (staff accounts and servers left out).
pub fn parse_root(html: &str, page: &str) -> Result<Vec<Folder>, BillingError> {
    let doc = Html::parse_document(html);
    if doc
        .select(&sel("div.tree_node_folder, div.tree_node_user"))
        .next()
        .is_none()
    {
        return Err(BillingError::structure(
            page,
            "subscriber tree (div.tree_node_folder)",
        ));
    }
    let folders = node_links(&doc, &sel("div.tree_node_folder"))
        .into_iter()
        .map(|(id, a)| Folder {
            id,
            name: collapse(&text_of(a)),
        })
        .collect();
    Ok(folders)
}

/// A folder page's subscribers: link text `display name <login>` (the
/// login is the last `<…>`; a link without one is kept with an empty
/// login, so it is not taken for gone).
pub fn parse_folder(html: &str, page: &str) -> Result<Vec<TreeEntry>, BillingError> {
    let doc = Html::parse_document(html);
    let mut entries = Vec::new();
    for (id, a) in node_links(&doc, &sel("div.tree_user")) {
        let text = text_of(a);
        let (display, login) = match text.rfind('<') {
            Some(open) => match text[open..].find('>') {
                Some(close) => (&text[..open], &text[open + 1..open + close]),
                None => (text.as_str(), ""),
            },
            None => (text.as_str(), ""),
        };
        entries.push(TreeEntry {
            id,
            display: collapse(display),
            login: collapse(login),
        });
    }
    if entries.is_empty()
        && doc
            .select(&sel("[class*=tree], [id*=tree]"))
            .next()
            .is_none()
    {
        return Err(BillingError::structure(
            page,
            "subscriber tree (div.tree_user)",
        ));
    }
    Ok(entries)
}

/// A subscriber's card (`table#ideco_user_info`, and the dedicated-IP flag
/// from `table#ideco_user_addons`).
pub fn parse_card(html: &str, page: &str, billing_id: &str) -> Result<Card, BillingError> {
    let doc = Html::parse_document(html);
    let Some(info) = doc.select(&sel("table#ideco_user_info")).next() else {
        return Err(BillingError::structure(page, "table#ideco_user_info"));
    };
    // A label may be printed as a header cell.
    let rows: Vec<(String, String)> = own_rows(info)
        .filter_map(|tr| {
            let c = cells_named(tr, &["td", "th"]);
            (c.len() >= 2).then(|| (text_of(c[0]), text_of(c[1])))
        })
        .collect();
    // Any addon row that is not (label, value) means a dedicated IP.
    let dedicated_ip = doc
        .select(&sel("table#ideco_user_addons tr"))
        .map(|tr| cells(tr).len())
        .any(|n| n > 0 && n != 2);
    card_from_rows(page, billing_id, rows, dedicated_ip)
}

/// One page of session statistics: its rows and the links to its pages.
#[derive(Debug, Clone, PartialEq)]
pub struct StatPage {
    pub rows: Vec<StatRow>,
    /// Every `span.page_num a` link: (its text, the page number; its
    /// address as written).
    pub pages: Vec<(String, String)>,
    /// The page shown: the text of a `span.page_num` without a link.
    pub current: Option<String>,
}

/// A statistics page: rows of `table#stat_table` with 7 cells (headers and
/// totals have other shapes and are left out).
pub fn parse_stat(html: &str, page: &str) -> Result<StatPage, BillingError> {
    let doc = Html::parse_document(html);
    let Some(table) = doc.select(&sel("table#stat_table")).next() else {
        return Err(BillingError::structure(page, "table#stat_table"));
    };
    let mut rows = Vec::new();
    for tr in table.select(&sel("tr")) {
        let c = cells(tr);
        if c.len() != 7 {
            continue;
        }
        let t: Vec<String> = c.iter().map(|e| collapse(&text_of(*e))).collect();
        let number = |i: usize, what: &str| -> Result<f64, BillingError> {
            match t[i].as_str() {
                "" | "-" | "—" => Ok(0.0),
                s => parse_money(s).ok_or_else(|| {
                    BillingError::structure(page, &format!("number in the {what} cell: {s}"))
                }),
            }
        };
        rows.push(StatRow {
            mb_in: number(3, "MB in")?,
            mb_out: number(4, "MB out")?,
            sum: number(5, "sum")?,
            date: t[0].clone(),
            interval: t[1].clone(),
            description: t[2].clone(),
            user: t[6].clone(),
        });
    }
    let pages = doc
        .select(&sel("span.page_num a[href]"))
        .filter_map(|a| {
            let href = a.value().attr("href")?;
            Some((collapse(&text_of(a)), href.to_string()))
        })
        .collect();
    let current = doc
        .select(&sel("span.page_num"))
        .find(|s| s.select(&sel("a")).next().is_none())
        .map(|s| collapse(&text_of(s)));
    Ok(StatPage {
        rows,
        pages,
        current,
    })
}

#[cfg(test)]
#[path = "pages_tests.rs"]
mod tests;
