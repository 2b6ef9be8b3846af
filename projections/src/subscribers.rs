//! Subscribers from billing: the list, the folder tree's counts, the card's
//! fields and notes, and a full-text index (SQLite FTS5) that answers as
//! one types — a login, part of an address in Russian or in Latin letters
//! (`Московская 5а`, `московская 5 а`, `Moskovskaya 5a`), a contract, a
//! phone in any notation, an IP, a MAC.
//!
//! The index holds *terms* this module prepares (the same function for the
//! rows and for the query): words split at letter/digit boundaries *and*
//! kept whole (`5а` → `5а 5 а`), Cyrillic words also transliterated
//! (`московская` → `moskovskaya`), `ё` as `е`, phones as their ten national
//! digits, an IP and a MAC as one term each. A query matches when each of
//! its words matches whole or split, the last one as a prefix.

use std::collections::HashMap;

use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::{Decoded, Envelope, Projection};
use ispmon_events::subscriber::{apply_changes, BillingView, SubscriberEvent};

pub struct SubscribersProjection;

impl Projection for SubscribersProjection {
    fn name(&self) -> &'static str {
        "subscribers"
    }
    fn schema(&self) -> &'static str {
        include_str!("../../migrations/views/subscribers.sql")
    }
    fn tables(&self) -> &'static [&'static str] {
        &["subscribers", "subscribers_fts", "subscriber_notes"]
    }
    fn apply(&self, c: &Connection, ev: &Envelope<'_>) -> rusqlite::Result<()> {
        let Decoded::Subscriber(event) = &ev.event else {
            return Ok(());
        };
        let id = ev.id();
        use SubscriberEvent as E;
        match event {
            E::SubscriberImported { view } => write(c, id, view, ev.at()),
            E::SubscriberFieldsChanged { changes } => update(c, id, ev.at(), |v| {
                apply_changes(v, changes);
            }),
            E::SubscriberMoved { to, .. } => update(c, id, ev.at(), |v| v.folder = to.clone()),
            E::SubscriberBlocked { reason, .. } => {
                update(c, id, ev.at(), |v| v.blocked = Some(*reason))
            }
            E::SubscriberUnblocked { .. } => update(c, id, ev.at(), |v| v.blocked = None),
            E::SubscriberLeftBilling { .. } => {
                c.prepare_cached(
                    "UPDATE subscribers SET left_billing = 1, changed_at = ?2 WHERE billing_id = ?1",
                )?
                .execute(params![id, ev.at()])?;
                Ok(())
            }
            E::SubscriberReturned => {
                c.prepare_cached(
                    "UPDATE subscribers SET left_billing = 0, changed_at = ?2 WHERE billing_id = ?1",
                )?
                .execute(params![id, ev.at()])?;
                Ok(())
            }
            E::SubscriberNoteAdded { text } => {
                let author = ev.stored.meta().actor_login;
                c.prepare_cached(
                    "INSERT INTO subscriber_notes (seq, billing_id, at, author, text)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    ev.stored.seq as i64,
                    id,
                    ev.at(),
                    author,
                    text
                ])?;
                c.prepare_cached("UPDATE subscribers SET notes = notes + 1 WHERE billing_id = ?1")?
                    .execute([id])?;
                Ok(())
            }
            E::SubscriberTagsChanged { added, removed } => {
                let old: Option<String> = c
                    .prepare_cached("SELECT tags FROM subscribers WHERE billing_id = ?1")?
                    .query_row([id], |r| r.get(0))
                    .optional()?;
                let mut tags: std::collections::BTreeSet<String> = old
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(str::to_string)
                    .collect();
                for t in removed {
                    tags.remove(t);
                }
                tags.extend(added.iter().cloned());
                let joined = tags.into_iter().collect::<Vec<_>>().join(" ");
                c.prepare_cached("UPDATE subscribers SET tags = ?2 WHERE billing_id = ?1")?
                    .execute(params![id, joined])?;
                Ok(())
            }
        }
    }
}

fn get_view(c: &Connection, id: &str) -> rusqlite::Result<Option<BillingView>> {
    let json: Option<String> = c
        .prepare_cached("SELECT view FROM subscribers WHERE billing_id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    json.map(|j| serde_json::from_str(&j).map_err(|e| decode_err(e.to_string())))
        .transpose()
}

fn decode_err(e: String) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(std::io::Error::other(e)))
}

fn update(
    c: &Connection,
    id: &str,
    at: &str,
    f: impl FnOnce(&mut BillingView),
) -> rusqlite::Result<()> {
    let Some(mut view) = get_view(c, id)? else {
        return Ok(());
    };
    f(&mut view);
    write(c, id, &view, at)
}

/// Writes a subscriber's row and its index terms.
fn write(c: &Connection, id: &str, v: &BillingView, at: &str) -> rusqlite::Result<()> {
    let f = |k: &str| v.fields.get(k).cloned();
    let json = serde_json::to_string(v).map_err(|e| decode_err(e.to_string()))?;
    let display = f("display")
        .or_else(|| f("address"))
        .or_else(|| f("login"))
        .unwrap_or_default();
    // One upsert for an import and a change: `imported_at` is set once.
    let row: i64 = c
        .prepare_cached(
            "INSERT INTO subscribers (billing_id, login, folder_id, folder, display, full_name,
               address, contract, phones, ip, mac, tariff, status, blocked, view, fingerprint,
               imported_at, changed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17)
             ON CONFLICT (billing_id) DO UPDATE SET login = excluded.login,
               folder_id = excluded.folder_id, folder = excluded.folder,
               display = excluded.display, full_name = excluded.full_name,
               address = excluded.address, contract = excluded.contract,
               phones = excluded.phones, ip = excluded.ip, mac = excluded.mac,
               tariff = excluded.tariff, status = excluded.status, blocked = excluded.blocked,
               view = excluded.view, fingerprint = excluded.fingerprint,
               changed_at = excluded.changed_at
             RETURNING id",
        )?
        .query_row(
            params![
                id,
                f("login").unwrap_or_default(),
                v.folder.id,
                v.folder.name,
                display,
                f("full_name"),
                f("address"),
                f("contract"),
                f("phones"),
                f("ip"),
                f("mac"),
                f("tariff"),
                v.status,
                v.blocked.map(|b| b.as_str()),
                json,
                v.fingerprint(),
                at
            ],
            |r| r.get(0),
        )?;
    // The row's old terms (none on an import) give way to the new ones.
    c.prepare_cached("DELETE FROM subscribers_fts WHERE rowid = ?1")?
        .execute([row])?;
    c.prepare_cached("INSERT INTO subscribers_fts (rowid, terms) VALUES (?1, ?2)")?
        .execute(params![row, terms(v)])?;
    Ok(())
}

// ---- terms -----------------------------------------------------------

fn translit(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' | 'ё' | 'э' => "e",
        'ж' => "zh",
        'з' => "z",
        'и' => "i",
        'й' | 'ы' => "y",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ю' => "yu",
        'я' => "ya",
        _ => return None,
    })
}

/// Lower-case words of letters and digits (`ё` as `е`); anything else
/// separates.
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .replace('ё', "е")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// A word's parts at letter/digit boundaries (`5а` → `5`, `а`).
fn parts(word: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut last: Option<bool> = None;
    for c in word.chars() {
        let digit = c.is_ascii_digit();
        if last == Some(digit) {
            if let Some(p) = out.last_mut() {
                p.push(c);
            }
        } else {
            out.push(c.to_string());
        }
        last = Some(digit);
    }
    out
}

/// `text` in Latin letters as the index spells it (`Московская 5а` →
/// `moskovskaya 5a`): what a technician types without the Russian layout.
pub fn latin(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| translit(c).map_or_else(|| c.to_string(), str::to_string))
        .collect()
}

fn transliterated(word: &str) -> Option<String> {
    if !word.chars().any(|c| translit(c).is_some()) {
        return None;
    }
    Some(
        word.chars()
            .map(|c| translit(c).map_or_else(|| c.to_string(), str::to_string))
            .collect(),
    )
}

/// A phone's ten national digits (`8 (916) 123-45-67`, `+7 916 1234567`,
/// `9161234567` → `9161234567`); `None` for too few digits.
pub fn national_phone(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        11 if digits.starts_with('7') || digits.starts_with('8') => Some(digits[1..].to_string()),
        10 => Some(digits),
        7..=9 | 12..=15 => Some(digits),
        _ => None,
    }
}

fn push_text(out: &mut Vec<String>, text: &str) {
    for w in words(text) {
        let ps = parts(&w);
        if ps.len() > 1 {
            out.extend(ps.iter().cloned());
            for p in &ps {
                if let Some(t) = transliterated(p) {
                    out.push(t);
                }
            }
        }
        if let Some(t) = transliterated(&w) {
            out.push(t);
        }
        out.push(w);
    }
}

fn ip_term(ip: &str) -> String {
    format!("ip{}", ip.trim().replace(['.', ':'], "x"))
}

fn mac_term(mac: &str) -> String {
    mac.chars()
        .filter(char::is_ascii_hexdigit)
        .collect::<String>()
        .to_lowercase()
}

/// The index terms of a subscriber.
pub fn terms(v: &BillingView) -> String {
    let mut out = Vec::new();
    for k in [
        "login",
        "display",
        "full_name",
        "address",
        "contract",
        "email",
    ] {
        if let Some(t) = v.fields.get(k) {
            push_text(&mut out, t);
        }
    }
    if let Some(phones) = v.fields.get("phones") {
        for p in phones.split([',', ';']) {
            if let Some(n) = national_phone(p) {
                out.push(n);
            }
        }
    }
    if let Some(ip) = v.fields.get("ip") {
        out.push(ip_term(ip));
    }
    if let Some(mac) = v.fields.get("mac") {
        out.push(mac_term(mac));
    }
    out.join(" ")
}

fn quoted(term: &str, prefix: bool) -> String {
    format!(
        "\"{}\"{}",
        term.replace('"', ""),
        if prefix { "*" } else { "" }
    )
}

/// The FTS5 `MATCH` expression for what a person typed; `None` when it has
/// no word to look for.
pub fn match_expr(query: &str) -> Option<String> {
    expression(query, true)
}

/// [`match_expr`] with every word matched whole (no prefix): the matches a
/// search puts before those that only begin like what was typed.
pub fn whole_words_expr(query: &str) -> Option<String> {
    expression(query, false)
}

fn expression(query: &str, prefixes: bool) -> Option<String> {
    let q = query.trim();
    // One term kinds first: an IP (or its beginning), a MAC, a phone.
    // An IP's groups have at most three digits (`4857.0224.1986` is a
    // MAC in Cisco's notation, not an IP).
    let ip_like = !q.is_empty()
        && q.contains('.')
        && q.split('.')
            .all(|g| g.len() <= 3 && g.chars().all(|c| c.is_ascii_digit()));
    if ip_like {
        return Some(quoted(
            &ip_term(q),
            prefixes && q.parse::<std::net::Ipv4Addr>().is_err(),
        ));
    }
    let hex: String = q.chars().filter(char::is_ascii_hexdigit).collect();
    let mac_like = hex.len() == 12
        && q.chars()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '-' | '.'));
    if mac_like {
        return Some(quoted(&hex.to_lowercase(), false));
    }
    let phone_like = q
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '(' | ')' | '-'))
        && q.chars().filter(char::is_ascii_digit).count() >= 7
        && q.chars().any(|c| !c.is_ascii_digit());
    if phone_like {
        if let Some(n) = national_phone(q) {
            return Some(quoted(&n, prefixes));
        }
    }
    // Eleven digits from 7 or 8: a phone with its country or trunk prefix
    // (or a contract number: either matches).
    if q.len() == 11
        && q.chars().all(|c| c.is_ascii_digit())
        && (q.starts_with('7') || q.starts_with('8'))
    {
        return Some(format!(
            "({} OR {})",
            quoted(q, prefixes),
            quoted(&q[1..], prefixes)
        ));
    }
    let ws = words(q);
    let n = ws.len();
    let groups: Vec<String> = ws
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let last = prefixes && i + 1 == n;
            let ps = parts(w);
            if ps.len() > 1 {
                let split = ps
                    .iter()
                    .enumerate()
                    .map(|(j, p)| quoted(p, last && j + 1 == ps.len()))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                format!("({} OR ({split}))", quoted(w, last))
            } else {
                quoted(w, last)
            }
        })
        .collect();
    (!groups.is_empty()).then(|| groups.join(" AND "))
}

// ---- reads -------------------------------------------------------------

/// A subscriber as the list shows them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubscriberRow {
    pub billing_id: String,
    pub login: String,
    pub folder_id: String,
    pub folder: String,
    pub display: String,
    pub full_name: Option<String>,
    pub address: Option<String>,
    pub contract: Option<String>,
    pub phones: Option<String>,
    pub ip: Option<String>,
    pub mac: Option<String>,
    pub tariff: Option<String>,
    pub status: String,
    pub blocked: Option<String>,
    pub left_billing: bool,
    pub tags: Vec<String>,
    pub notes: usize,
    pub imported_at: String,
    pub changed_at: String,
}

const COLS: &str = "s.billing_id, s.login, s.folder_id, s.folder, s.display, s.full_name,
    s.address, s.contract, s.phones, s.ip, s.mac, s.tariff, s.status, s.blocked, s.left_billing,
    s.tags, s.notes, s.imported_at, s.changed_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SubscriberRow> {
    Ok(SubscriberRow {
        billing_id: r.get(0)?,
        login: r.get(1)?,
        folder_id: r.get(2)?,
        folder: r.get(3)?,
        display: r.get(4)?,
        full_name: r.get(5)?,
        address: r.get(6)?,
        contract: r.get(7)?,
        phones: r.get(8)?,
        ip: r.get(9)?,
        mac: r.get(10)?,
        tariff: r.get(11)?,
        status: r.get(12)?,
        blocked: r.get(13)?,
        left_billing: r.get(14)?,
        tags: r
            .get::<_, String>(15)?
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        notes: r.get::<_, i64>(16)? as usize,
        imported_at: r.get(17)?,
        changed_at: r.get(18)?,
    })
}

/// Which subscribers a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    #[default]
    Any,
    /// In billing and not blocked.
    Active,
    Blocked,
    Left,
}

impl StatusFilter {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "" | "any" => StatusFilter::Any,
            "active" => StatusFilter::Active,
            "blocked" => StatusFilter::Blocked,
            "left" => StatusFilter::Left,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Any => "any",
            StatusFilter::Active => "active",
            StatusFilter::Blocked => "blocked",
            StatusFilter::Left => "left",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            StatusFilter::Any => "1",
            StatusFilter::Active => "s.left_billing = 0 AND s.blocked IS NULL",
            StatusFilter::Blocked => "s.left_billing = 0 AND s.blocked IS NOT NULL",
            StatusFilter::Left => "s.left_billing = 1",
        }
    }
}

/// How a list is ordered (a search without a sort: best match first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Relevance,
    Display,
    Login,
    Folder,
    Status,
    Changed,
}

impl Sort {
    pub const ALL: [Sort; 6] = [
        Sort::Relevance,
        Sort::Display,
        Sort::Login,
        Sort::Folder,
        Sort::Status,
        Sort::Changed,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Display => "display",
            Sort::Login => "login",
            Sort::Folder => "folder",
            Sort::Status => "status",
            Sort::Changed => "changed",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            // A search by relevance is `ranked`; a list without one reads
            // as the tree does.
            Sort::Relevance | Sort::Display => "s.display, s.billing_id",
            Sort::Login => "s.login, s.billing_id",
            Sort::Folder => "s.folder, s.display, s.billing_id",
            Sort::Status => "s.left_billing, s.blocked IS NULL, s.blocked, s.display, s.billing_id",
            Sort::Changed => "s.changed_at DESC, s.billing_id",
        }
    }
}

/// A list request: `q` (full text), a folder, a status, an order and a page.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub q: String,
    pub folder: Option<String>,
    pub status: StatusFilter,
    pub sort: Sort,
    pub limit: usize,
    pub offset: usize,
}

/// A page of subscribers and whether more follow.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub rows: Vec<SubscriberRow>,
    pub more: bool,
}

/// How many of a search's matches (the first by id) are ranked by
/// relevance; the rest follow in id order.
pub const RANKED: usize = 500;

/// A search's ids in id order: the matches of `expr` that pass the list's
/// filters, narrowed by `tail` (SQL from `?3` on, with `args`). Unfiltered,
/// the full-text index alone answers.
fn matching_ids(
    c: &Connection,
    q: &ListQuery,
    expr: &str,
    tail: &str,
    args: &[Value],
) -> rusqlite::Result<Vec<i64>> {
    let sql = if q.folder.is_none() && q.status == StatusFilter::Any {
        format!(
            "SELECT f.rowid FROM subscribers_fts f
             WHERE subscribers_fts MATCH ?1 AND ?2 IS NULL {tail}"
        )
    } else {
        format!(
            "SELECT f.rowid FROM subscribers_fts f JOIN subscribers s ON s.id = f.rowid
             WHERE subscribers_fts MATCH ?1 AND (?2 IS NULL OR s.folder_id = ?2) AND {} {tail}",
            q.status.sql()
        )
    };
    let head = [Value::Text(expr.to_string()), q.folder.clone().into()];
    c.prepare_cached(&sql)?
        .query_map(rusqlite::params_from_iter(head.iter().chain(args)), |r| {
            r.get(0)
        })?
        .collect()
}

/// A search, best match first, without a relevance function: FTS5's bm25
/// counts, for each of a query's terms, every row that has it, and a
/// split house number or a login's one-letter part (`"д"`, `"9"*`) is in
/// nearly all of them. The order is by tiers, each in id order:
/// 1. the subscriber whose login is what was typed;
/// 2. matches of every word whole (`Ленина 1` before `Ленина 12`);
/// 3. matches that only begin like the last word.
///
/// The tiers order the first [`RANKED`] matches by id (and the login's
/// owner wherever it is); a page past them goes on in id order, each match
/// once.
fn ranked(c: &Connection, q: &ListQuery, expr: &str, limit: usize) -> rusqlite::Result<Page> {
    let want = limit + 1;
    let filter = format!("(?2 IS NULL OR s.folder_id = ?2) AND {}", q.status.sql());
    let login: Vec<i64> = c
        .prepare_cached(&format!(
            "SELECT s.id FROM subscribers s WHERE s.login IN (?1, lower(?1)) AND {filter}
             ORDER BY s.id"
        ))?
        .query_map(params![q.q.trim(), q.folder], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let first = matching_ids(
        c,
        q,
        expr,
        "ORDER BY f.rowid LIMIT ?3",
        &[Value::Integer(RANKED as i64)],
    )?;
    // Past the first RANKED the matches go on in id order.
    let bound = (first.len() == RANKED).then(|| first[RANKED - 1]);
    let whole: std::collections::HashSet<i64> = match whole_words_expr(&q.q) {
        Some(w) if w != expr => {
            let (tail, args) = match bound {
                Some(b) => ("AND f.rowid <= ?3", vec![Value::Integer(b)]),
                None => ("", Vec::new()),
            };
            matching_ids(c, q, &w, tail, &args)?.into_iter().collect()
        }
        _ => first.iter().copied().collect(),
    };
    let mut order = login.clone();
    let rest: Vec<i64> = first.into_iter().filter(|id| !login.contains(id)).collect();
    order.extend(rest.iter().filter(|id| whole.contains(id)));
    order.extend(rest.iter().filter(|id| !whole.contains(id)));
    let mut ids: Vec<i64> = order.iter().skip(q.offset).take(want).copied().collect();
    if let (Some(b), true) = (bound, ids.len() < want) {
        let skip = q.offset.saturating_sub(order.len());
        let login_json = serde_json::to_string(&login).map_err(|e| decode_err(e.to_string()))?;
        ids.extend(matching_ids(
            c,
            q,
            expr,
            "AND f.rowid > ?3 AND f.rowid NOT IN (SELECT value FROM json_each(?4))
             ORDER BY f.rowid LIMIT ?5 OFFSET ?6",
            &[
                Value::Integer(b),
                Value::Text(login_json),
                Value::Integer((want - ids.len()) as i64),
                Value::Integer(skip as i64),
            ],
        )?);
    }
    let mut rows = rows_by_id(c, &ids)?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    Ok(Page { rows, more })
}

/// The rows of `ids`, in that order.
fn rows_by_id(c: &Connection, ids: &[i64]) -> rusqlite::Result<Vec<SubscriberRow>> {
    let json = serde_json::to_string(ids).map_err(|e| decode_err(e.to_string()))?;
    let mut found: HashMap<i64, SubscriberRow> = c
        .prepare_cached(&format!(
            "SELECT {COLS}, s.id FROM subscribers s
             WHERE s.id IN (SELECT value FROM json_each(?1))"
        ))?
        .query_map([json], |r| Ok((r.get(19)?, row(r)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// Subscribers by `q`: full text when `q` has words, else everyone; then
/// the folder and status filters, the order and the page.
pub fn list(c: &Connection, q: &ListQuery) -> rusqlite::Result<Page> {
    let limit = q.limit.clamp(1, 500);
    let expr = match_expr(&q.q);
    let searching = expr.is_some();
    if let (Some(e), Sort::Relevance) = (&expr, q.sort) {
        return ranked(c, q, e, limit);
    }
    let from = if searching {
        "subscribers_fts f JOIN subscribers s ON s.id = f.rowid"
    } else {
        "subscribers s"
    };
    let sql = format!(
        "SELECT {COLS} FROM {from}
         WHERE {} AND (?1 IS NULL OR s.folder_id = ?1) AND {}
         ORDER BY {} LIMIT ?2 OFFSET ?3",
        if searching {
            "subscribers_fts MATCH ?4"
        } else {
            "?4 IS NULL"
        },
        q.status.sql(),
        q.sort.sql(),
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let mut rows: Vec<SubscriberRow> = stmt
        .query_map(
            params![q.folder, (limit + 1) as i64, q.offset as i64, expr],
            row,
        )?
        .collect::<rusqlite::Result<_>>()?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    Ok(Page { rows, more })
}

pub fn get(c: &Connection, billing_id: &str) -> rusqlite::Result<Option<SubscriberRow>> {
    c.prepare_cached(&format!(
        "SELECT {COLS} FROM subscribers s WHERE s.billing_id = ?1"
    ))?
    .query_row([billing_id], row)
    .optional()
}

/// The subscriber's whole view as billing showed it (every field).
pub fn view(c: &Connection, billing_id: &str) -> rusqlite::Result<Option<BillingView>> {
    get_view(c, billing_id)
}

/// Subscribers with this login (one, unless billing has it twice).
pub fn by_login(c: &Connection, login: &str) -> rusqlite::Result<Vec<SubscriberRow>> {
    c.prepare_cached(&format!(
        "SELECT {COLS} FROM subscribers s WHERE s.login = ?1 ORDER BY s.billing_id"
    ))?
    .query_map([login], row)?
    .collect()
}

/// Subscribers billing gives this MAC (lower-case colon form) or IP.
pub fn by_mac_or_ip(
    c: &Connection,
    mac: Option<&str>,
    ip: Option<&str>,
) -> rusqlite::Result<Vec<SubscriberRow>> {
    c.prepare_cached(&format!(
        "SELECT {COLS} FROM subscribers s WHERE s.mac = ?1 OR s.ip = ?2 ORDER BY s.billing_id LIMIT 20"
    ))?
    .query_map(params![mac, ip], row)?
    .collect()
}

/// A folder of the tree with its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FolderCount {
    pub folder_id: String,
    pub folder: String,
    pub subscribers: usize,
    pub blocked: usize,
    pub left: usize,
}

const FOLDERS_SQL: &str = "SELECT folder_id, MAX(folder), COUNT(*),
        SUM(blocked IS NOT NULL AND left_billing = 0), SUM(left_billing)
     FROM subscribers GROUP BY folder_id ORDER BY MAX(folder), folder_id";

pub fn folders(c: &Connection) -> rusqlite::Result<Vec<FolderCount>> {
    c.prepare_cached(FOLDERS_SQL)?
        .query_map([], |r| {
            Ok(FolderCount {
                folder_id: r.get(0)?,
                folder: r.get(1)?,
                subscribers: r.get::<_, i64>(2)? as usize,
                blocked: r.get::<_, i64>(3)? as usize,
                left: r.get::<_, i64>(4)? as usize,
            })
        })?
        .collect()
}

/// What a sync compares a subscriber with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub fingerprint: String,
    pub folder_id: String,
    pub left_billing: bool,
}

/// Every subscriber's fingerprint, folder and flag, by billing id.
pub fn known(c: &Connection) -> rusqlite::Result<HashMap<String, Known>> {
    c.prepare_cached("SELECT billing_id, fingerprint, folder_id, left_billing FROM subscribers")?
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Known {
                    fingerprint: r.get(1)?,
                    folder_id: r.get(2)?,
                    left_billing: r.get(3)?,
                },
            ))
        })?
        .collect()
}

/// A staff note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub at: String,
    pub author: String,
    pub text: String,
}

pub fn notes(c: &Connection, billing_id: &str) -> rusqlite::Result<Vec<Note>> {
    c.prepare_cached(
        "SELECT at, author, text FROM subscriber_notes WHERE billing_id = ?1 ORDER BY seq",
    )?
    .query_map([billing_id], |r| {
        Ok(Note {
            at: r.get(0)?,
            author: r.get(1)?,
            text: r.get(2)?,
        })
    })?
    .collect()
}

pub fn count(c: &Connection) -> rusqlite::Result<usize> {
    c.prepare_cached("SELECT COUNT(*) FROM subscribers")?
        .query_row([], |r| r.get::<_, i64>(0).map(|n| n as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_split_join_and_transliterate() {
        let mut ts = Vec::new();
        push_text(&mut ts, "Московская 5а, кв. 12");
        for t in [
            "московская",
            "moskovskaya",
            "5а",
            "5",
            "а",
            "a",
            "кв",
            "kv",
            "12",
        ] {
            assert!(ts.iter().any(|x| x == t), "{t} in {ts:?}");
        }
        assert_eq!(
            national_phone("8 (916) 123-45-67").as_deref(),
            Some("9161234567")
        );
        assert_eq!(
            national_phone("+7 916 1234567").as_deref(),
            Some("9161234567")
        );
        assert_eq!(national_phone("9161234567").as_deref(), Some("9161234567"));
        assert_eq!(national_phone("12-34"), None);
        assert_eq!(latin("Ёлочная 5а"), "elochnaya 5a");
    }

    #[test]
    fn queries_become_match_expressions() {
        assert_eq!(
            match_expr("Московская 5а").unwrap(),
            r#""московская" AND ("5а"* OR ("5" AND "а"*))"#
        );
        assert_eq!(match_expr("100.64.1.2").unwrap(), r#""ip100x64x1x2""#);
        assert_eq!(match_expr("100.64.1").unwrap(), r#""ip100x64x1"*"#);
        assert_eq!(
            match_expr("AA-BB-CC-DD-EE-FF").unwrap(),
            r#""aabbccddeeff""#
        );
        assert_eq!(match_expr("8 (916) 123-45-67").unwrap(), r#""9161234567"*"#);
        assert_eq!(
            match_expr("89161234567").unwrap(),
            r#"("89161234567"* OR "9161234567"*)"#
        );
        assert_eq!(match_expr("  ,, "), None);
        // A quote cannot break out of the term.
        assert_eq!(match_expr("a\"b").unwrap(), r#""a" AND "b"*"#);
    }

    fn view(id: &str, login: &str, address: &str, phones: &str) -> BillingView {
        let fields = [
            ("login", login),
            ("display", address),
            ("address", address),
            ("phones", phones),
            ("contract", "Д-2024/0153"),
            ("ip", "100.64.3.7"),
            ("mac", "00:1a:2b:3c:4d:5e"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        BillingView {
            folder: ispmon_events::subscriber::BillingFolder {
                id: format!("f{}", &id[..1]),
                name: "Центральный".into(),
            },
            fields,
            status: "Активен".into(),
            blocked: None,
        }
    }

    #[test]
    fn the_index_finds_a_subscriber_by_every_form_of_what_one_types() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(SubscribersProjection.schema()).unwrap();
        let at = "2026-12-01T00:00:00Z";
        write(
            &c,
            "1001",
            &view("1001", "r637_12", "Московская 5 а", "8 (916) 123-45-67"),
            at,
        )
        .unwrap();
        let mut other = view("2002", "ivanov", "Ёлочная 12, кв. 4", "+7 903 7654321");
        other.fields.insert("ip".into(), "100.64.9.9".into());
        other.fields.insert("contract".into(), "Д-2023/0200".into());
        other
            .fields
            .insert("mac".into(), "aa:bb:cc:dd:ee:ff".into());
        write(&c, "2002", &other, at).unwrap();
        let find = |q: &str| -> Vec<String> {
            list(
                &c,
                &ListQuery {
                    q: q.into(),
                    limit: 10,
                    ..Default::default()
                },
            )
            .unwrap()
            .rows
            .into_iter()
            .map(|r| r.billing_id)
            .collect()
        };
        for q in [
            "Московская 5а",
            "московская 5 а",
            "Moskovskaya 5a",
            "моск",
            "r637",
            "r637_12",
            "9161234567",
            "8 916 123-45-67",
            "+79161234567",
            "100.64.3.7",
            "001a2b3c4d5e",
            "00-1A-2B-3C-4D-5E",
            "2024/0153",
        ] {
            assert_eq!(find(q), vec!["1001".to_string()], "{q}");
        }
        for q in [
            "елочная 12",
            "Ёлочная",
            "elochnaya 12",
            "ivan",
            "aabb.ccdd.eeff",
        ] {
            assert_eq!(find(q), vec!["2002".to_string()], "{q}");
        }
        assert!(find("Московская 7").is_empty());
        assert_eq!(find("").len(), 2);
        // A change re-indexes: the old address no longer finds them.
        let mut moved = view("1001", "r637_12", "Садовая 3", "8 (916) 123-45-67");
        moved.status = "Пользователь отключен".into();
        write(&c, "1001", &moved, at).unwrap();
        assert!(find("Московская").is_empty());
        assert_eq!(find("садовая 3"), vec!["1001".to_string()]);
        assert_eq!(count(&c).unwrap(), 2);
        assert_eq!(known(&c).unwrap()["1001"].fingerprint, moved.fingerprint());
    }

    #[test]
    fn the_folder_trees_counts_read_an_index_not_the_rows() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(SubscribersProjection.schema()).unwrap();
        let plan = crate::tests::query_plan(&c, FOLDERS_SQL, []);
        assert!(
            plan.contains("USING COVERING INDEX subscribers_tree"),
            "{plan}"
        );
    }

    /// Past the ranked matches a search pages on in id order: every match
    /// once, none lost or repeated at the seam; the login's owner first
    /// wherever they are; whole words before prefixes.
    #[test]
    fn a_search_matching_more_than_are_ranked_pages_through_every_match_once() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(SubscribersProjection.schema()).unwrap();
        let at = "2026-12-01T00:00:00Z";
        let n = RANKED + 137;
        // Past the ranked ones by id: the subscriber whose login is "sadovaya".
        let owner = n - 3;
        for i in 0..n {
            let id = format!("{}", 10_000 + i);
            // Logins of letters alone: no digit of theirs matches a house.
            let login = if i == owner {
                "sadovaya".to_string()
            } else {
                i.to_string()
                    .bytes()
                    .map(|d| char::from(d - b'0' + b'a'))
                    .collect()
            };
            let v = view(&id, &login, &format!("Садовая {}", i % 90 + 1), "");
            write(&c, &id, &v, at).unwrap();
        }
        let page = |q: &str, offset: usize, limit: usize| {
            list(
                &c,
                &ListQuery {
                    q: q.into(),
                    limit,
                    offset,
                    ..Default::default()
                },
            )
            .unwrap()
        };
        assert_eq!(
            page("sadovaya", 0, 1).rows[0].billing_id,
            format!("{}", 10_000 + owner),
            "the login's owner first"
        );
        for q in ["садовая", "sadovaya"] {
            for limit in [50, 73, 500] {
                let mut seen = std::collections::BTreeSet::new();
                let mut offset = 0;
                loop {
                    let p = page(q, offset, limit);
                    for r in &p.rows {
                        assert!(
                            seen.insert(r.billing_id.clone()),
                            "{q}: {} twice",
                            r.billing_id
                        );
                    }
                    offset += p.rows.len();
                    if !p.more {
                        break;
                    }
                    assert_eq!(p.rows.len(), limit);
                }
                assert_eq!(seen.len(), n, "{q}: every match, pages of {limit}");
            }
        }
        // House 8 (i = 7, 97, …) before 80–89, which only begin with 8.
        let eights = (0..n).filter(|i| i % 90 + 1 == 8).count();
        let found = page("садовая 8", 0, 500).rows;
        let houses: Vec<&str> = found
            .iter()
            .map(|r| r.address.as_deref().unwrap())
            .collect();
        assert!(houses.len() > eights, "{houses:?}");
        assert!(
            houses[..eights].iter().all(|h| *h == "Садовая 8"),
            "{houses:?}"
        );
        assert!(
            houses[eights..].iter().all(|h| *h != "Садовая 8"),
            "{houses:?}"
        );
    }

    #[test]
    fn whole_word_expressions_have_no_prefixes() {
        assert_eq!(
            whole_words_expr("Московская 5а").unwrap(),
            r#""московская" AND ("5а" OR ("5" AND "а"))"#
        );
        assert_eq!(whole_words_expr("100.64.1").unwrap(), r#""ip100x64x1""#);
        assert_eq!(
            whole_words_expr("89161234567").unwrap(),
            r#"("89161234567" OR "9161234567")"#
        );
    }
}
