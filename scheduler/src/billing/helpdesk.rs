//! The billing cabinet's helpdesk (`billing-cabinet.md` §Helpdesk): its
//! values, and its pages parsed by meaning (pure, on `scraper`).
//!
//! - The list: the rows of `table#stat_table` that have cells; a ticket row
//!   has five: date, the id's link, the subject's link, (ignored), status.
//! - One ticket: `div.hdsk_main` with an `<h1>` `subject (Заявка №N)`, and
//!   its thread as `li` items whose last line is `sender DD.MM.YYYY
//!   HH:MM:SS`; `<br>` and CRLF are line breaks, entities are decoded.
//! - Statuses are read in Russian by their words, whatever their markup.
//!
//! A page without what is looked for is [`BillingError::Structure`] naming
//! the page and the missing part; an error box (`div.ideco_error`) on a page
//! answering a post is [`BillingError::Refused`].
//!
//! Every message gets a stable id ([`message_id`]: a hash of the ticket id,
//! sender, time and text), so reading a thread again never yields a new
//! message for an old one.

use std::collections::HashMap;

use scraper::node::Node;
use scraper::{ElementRef, Html, Selector};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::BillingError;

/// A helpdesk ticket's status as billing prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HelpdeskStatus {
    /// `Открыто`: the subscriber wrote last.
    Open,
    /// `Ожидает ответа`: answered, waiting for the subscriber.
    AwaitingReply,
    /// `Закрыто`.
    Closed,
    /// Any other word, as printed.
    Other(String),
}

impl HelpdeskStatus {
    /// The status a text names (`<font color=red>Открыто</font>` read as
    /// text: whitespace and case do not matter).
    pub fn parse(text: &str) -> HelpdeskStatus {
        let t = collapse(text).to_lowercase();
        if t.contains("закрыт") {
            HelpdeskStatus::Closed
        } else if t.contains("ожидает") {
            HelpdeskStatus::AwaitingReply
        } else if t.contains("открыт") {
            HelpdeskStatus::Open
        } else {
            HelpdeskStatus::Other(collapse(text))
        }
    }
}

/// One row of the ticket list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpdeskEntry {
    pub id: String,
    /// `DD.MM.YYYY HH:MM:SS` as printed.
    pub date: String,
    pub subject: String,
    pub status: HelpdeskStatus,
}

/// One message of a ticket's thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpdeskMessage {
    /// [`message_id`] of the rest.
    pub id: String,
    /// The address (a subscriber) or a staff name.
    pub sender: String,
    /// `DD.MM.YYYY HH:MM:SS`, the billing's local time.
    pub at: String,
    pub text: String,
}

/// One ticket with its thread, oldest message first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpdeskThread {
    pub id: String,
    /// The `<h1>` without its `(Заявка №N)`: usually the address.
    pub subject: String,
    /// When the page says (else the list does).
    pub status: Option<HelpdeskStatus>,
    pub messages: Vec<HelpdeskMessage>,
}

/// A message's stable id: the first 16 bytes of sha256 over the ticket
/// id, sender, time and text (each followed by a NUL), in hex.
pub fn message_id(ticket_id: &str, sender: &str, at: &str, text: &str) -> String {
    repeated_message_id(ticket_id, sender, at, text, 0)
}

/// The id of the `k`th message (from 0) of a thread that says the same as
/// earlier ones from the same sender at the same second: the page shows
/// nothing else that tells them apart, and a thread only grows, so the
/// count is as stable as the rest. The first one's id is [`message_id`].
pub fn repeated_message_id(
    ticket_id: &str,
    sender: &str,
    at: &str,
    text: &str,
    k: usize,
) -> String {
    let mut h = Sha256::new();
    for part in [ticket_id, sender, at, text] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    if k > 0 {
        h.update(k.to_string().as_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Whitespace (and no-break spaces) collapsed to single spaces, trimmed.
pub fn collapse(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '\u{a0}')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A message's text compared with another's: lines trimmed, CRLF as LF,
/// blank edges dropped (what the cabinet does to what it is sent).
pub fn same_text(a: &str, b: &str) -> bool {
    fn norm(t: &str) -> String {
        t.replace("\r\n", "\n")
            .lines()
            .map(collapse)
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string()
    }
    norm(a) == norm(b)
}

fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("selector {css}: {e}"))
}

/// An element's text with `<br>` as a line break; a newline right after a
/// `<br>` in the source is the same break, not another.
fn lines_of(el: ElementRef<'_>) -> String {
    let mut out = String::new();
    let mut after_br = false;
    for node in el.descendants() {
        match node.value() {
            Node::Text(t) => {
                let t: &str = t;
                let t = if after_br {
                    t.strip_prefix("\r\n")
                        .or_else(|| t.strip_prefix('\n'))
                        .unwrap_or(t)
                } else {
                    t
                };
                out.push_str(t);
                after_br = false;
            }
            Node::Element(e) if e.name() == "br" => {
                out.push('\n');
                after_br = true;
            }
            _ => {}
        }
    }
    out.replace("\r\n", "\n").replace('\r', "\n")
}

fn cells(row: ElementRef<'_>) -> Vec<ElementRef<'_>> {
    row.children()
        .filter_map(ElementRef::wrap)
        .filter(|c| c.value().name() == "td")
        .collect()
}

/// The error box's text, if the page has one.
pub fn page_error(html: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let text = doc
        .select(&sel("div.ideco_error"))
        .map(|e| collapse(&e.text().collect::<String>()))
        .find(|t| !t.is_empty());
    text
}

/// The ticket id a link points at (`…helpdesk?id=83154`), or its text.
fn id_of(cell: ElementRef<'_>) -> Option<String> {
    let a = cell.select(&sel("a")).next()?;
    let from_href = a.value().attr("href").and_then(|h| {
        let q = h.split_once('?')?.1;
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "id")
            .map(|(_, v)| v.trim().to_string())
    });
    let text = collapse(&a.text().collect::<String>());
    let id = from_href.unwrap_or(text);
    (!id.is_empty() && id.chars().all(|c| c.is_ascii_digit())).then_some(id)
}

/// The helpdesk list (`GET /cabinet/helpdesk`).
pub fn parse_helpdesk_list(html: &str, page: &str) -> Result<Vec<HelpdeskEntry>, BillingError> {
    let doc = Html::parse_document(html);
    let table = doc
        .select(&sel("table#stat_table"))
        .next()
        .ok_or_else(|| BillingError::structure(page, "table#stat_table (the ticket list)"))?;
    let mut out = Vec::new();
    for (n, row) in table.select(&sel("tr")).enumerate() {
        let cells = cells(row);
        if cells.is_empty() {
            continue; // the header
        }
        if cells.len() < 5 {
            return Err(BillingError::structure(
                page,
                &format!("five cells in row {} (it has {})", n + 1, cells.len()),
            ));
        }
        let id = id_of(cells[1]).ok_or_else(|| {
            BillingError::structure(page, &format!("a ticket id link in row {}", n + 1))
        })?;
        out.push(HelpdeskEntry {
            id,
            date: collapse(&cells[0].text().collect::<String>()),
            subject: collapse(&cells[2].text().collect::<String>()),
            status: HelpdeskStatus::parse(&cells[4].text().collect::<String>()),
        });
    }
    Ok(out)
}

/// `sender DD.MM.YYYY HH:MM:SS` → (sender, time).
fn sender_line(line: &str) -> Option<(String, String)> {
    let line = collapse(line);
    let chars: Vec<char> = line.chars().collect();
    if chars.len() < 19 {
        return None;
    }
    let at: String = chars[chars.len() - 19..].iter().collect();
    let shape = "DD.MM.YYYY HH:MM:SS";
    let ok = at.chars().zip(shape.chars()).all(|(c, s)| match s {
        'D' | 'M' | 'Y' | 'H' | 'S' => c.is_ascii_digit(),
        other => c == other,
    });
    if !ok {
        return None;
    }
    let sender: String = chars[..chars.len() - 19].iter().collect();
    Some((sender.trim().to_string(), at))
}

/// One ticket (`GET /cabinet/helpdesk?id=N`); `id` is the one asked for
/// (empty: whatever the page says, as after a create).
pub fn parse_helpdesk_ticket(
    html: &str,
    page: &str,
    id: &str,
) -> Result<HelpdeskThread, BillingError> {
    let doc = Html::parse_document(html);
    let main = doc
        .select(&sel("div.hdsk_main"))
        .next()
        .ok_or_else(|| BillingError::structure(page, "div.hdsk_main (the ticket)"))?;
    let h1 = main
        .select(&sel("h1"))
        .next()
        .ok_or_else(|| BillingError::structure(page, "the ticket's <h1> title"))?;
    let title = collapse(&h1.text().collect::<String>());
    let (subject, number) = match title.rfind('№') {
        Some(at) => {
            let number: String = title[at + '№'.len_utf8()..]
                .chars()
                .skip_while(|c| c.is_whitespace())
                .take_while(|c| c.is_ascii_digit())
                .collect();
            let subject = title[..at]
                .trim_end()
                .trim_end_matches(|c: char| c != '(')
                .trim_end_matches('(')
                .trim()
                .to_string();
            (subject, number)
        }
        None => (title.clone(), String::new()),
    };
    if number.is_empty() {
        return Err(BillingError::structure(
            page,
            "the ticket number (Заявка №N) in the title",
        ));
    }
    if !id.is_empty() && number != id {
        return Err(BillingError::structure(
            page,
            &format!("ticket {id} (the page shows ticket {number})"),
        ));
    }
    let status = main
        .select(&sel(".hdsk_status"))
        .next()
        .map(|s| HelpdeskStatus::parse(&s.text().collect::<String>()));
    let mut messages = Vec::new();
    let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
    for (n, li) in main.select(&sel("li")).enumerate() {
        let body = li.select(&sel("div")).next().unwrap_or(li);
        let text = lines_of(body);
        let mut lines: Vec<&str> = text.lines().collect();
        while lines.last().is_some_and(|l| collapse(l).is_empty()) {
            lines.pop();
        }
        let (sender, at) = lines.pop().and_then(sender_line).ok_or_else(|| {
            BillingError::structure(
                page,
                &format!("the sender and date line of message {}", n + 1),
            )
        })?;
        let text = lines
            .iter()
            .map(|l| l.trim())
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string();
        let k = seen
            .entry((sender.clone(), at.clone(), text.clone()))
            .or_default();
        let id = repeated_message_id(&number, &sender, &at, &text, *k);
        *k += 1;
        messages.push(HelpdeskMessage {
            id,
            sender,
            at,
            text,
        });
    }
    Ok(HelpdeskThread {
        id: number,
        subject,
        status,
        messages,
    })
}

/// Whether a page is the create form (`?filter_id=S`).
pub fn is_create_form(html: &str) -> bool {
    let doc = Html::parse_document(html);
    let found = doc.select(&sel("input[name=subj]")).next().is_some();
    found
}

#[cfg(test)]
#[path = "helpdesk_tests.rs"]
mod tests;
