//! [`FileSource`]: billing as an export file (`ispmon billing import
//! FILE`), for when the cabinet cannot be reached or for the first load.
//! CSV with a header, or JSON lines, with the same keys: `billing_id`,
//! `folder`, `login`, `full_name`, `contract`, `contract_date`, `address`,
//! `phones` (`;`-separated, or a JSON array), `email`, `tariff`, `status`,
//! `ip`, `mac`, `balance`, `credit`, `connected`, `display`. Columns by
//! name, any case and order; unknown ones go to the card's `fields`.
//!
//! Good rows are kept and bad ones listed by line ([`FileSource::bad_rows`]).
//! The same sync runs over a file as over the cabinet, and the same rule
//! keeps it safe: a bad row is a card that failed, so its folder is not
//! completely listed and nobody in it is marked left. (A line that does not
//! parse at all has no folder; it makes every folder incomplete.) A file
//! is the whole of billing: a folder it does not name is gone, as a folder
//! gone from the cabinet's root. A file without the header, or listing
//! nobody, is refused as a whole: taken as is, it would mark everyone left.

use std::collections::{BTreeMap, HashMap};

use super::card::{blocked, parse_money, split_phones};
use super::{BillingError, BillingSource, Card, Folder, StatRow, TreeEntry};
use crate::cli::normalise_mac;

/// The folder of a row that names none.
pub const NO_FOLDER: &str = "(no folder)";

/// A row that was not taken, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BadRow {
    /// 1-based, as an editor shows it (the CSV header is line 1).
    pub line: usize,
    pub error: String,
}

/// An import file, parsed.
#[derive(Debug, Default)]
pub struct FileSource {
    folders: Vec<Folder>,
    /// Each folder's entries (good rows, and a failing entry per bad row).
    entries: HashMap<String, Vec<TreeEntry>>,
    cards: HashMap<String, Card>,
    /// The line of each good row, by billing id (to name duplicates).
    lines: HashMap<String, usize>,
    /// The bad rows by the id of their entry.
    failing: HashMap<String, BadRow>,
    /// Bad rows of no known folder: listed in every folder.
    unplaced: Vec<TreeEntry>,
    /// Why the file cannot be used at all.
    refused: Option<BillingError>,
    pub bad_rows: Vec<BadRow>,
}

/// One row as (column as written, value).
type Row = Vec<(String, String)>;

impl FileSource {
    /// Parses CSV (with a header) or JSON lines (when the first non-blank
    /// character is `{`).
    pub fn parse(text: &str) -> FileSource {
        let mut source = FileSource::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim_start().starts_with('{') {
            source.parse_json_lines(text);
        } else {
            source.parse_csv(text);
        }
        if source.refused.is_none() && source.cards.is_empty() {
            source.refuse("the file lists nobody");
        }
        source
    }

    /// The good records, by billing id.
    pub fn cards(&self) -> impl Iterator<Item = &Card> {
        self.cards.values()
    }

    fn refuse(&mut self, why: &str) {
        self.refused = Some(BillingError::Structure {
            page: "the import file".into(),
            missing: why.into(),
        });
    }

    fn parse_csv(&mut self, text: &str) {
        // Spreadsheets in Russian locales save with `;`.
        let first = text.lines().next().unwrap_or_default();
        let delimiter = if first.matches(';').count() > first.matches(',').count() {
            b';'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let header: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(str::to_string).collect(),
            Err(e) => return self.refuse(&format!("a readable header ({e})")),
        };
        let has = |name: &str| header.iter().any(|h| h.eq_ignore_ascii_case(name));
        if !has("billing_id") || !has("login") {
            return self.refuse("billing_id and login columns in the header");
        }
        for record in reader.records() {
            match record {
                Ok(r) => {
                    let line = r.position().map_or(0, |p| p.line() as usize);
                    let row = header
                        .iter()
                        .cloned()
                        .zip(r.iter().map(str::to_string))
                        .collect();
                    self.take(line, row);
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line() as usize);
                    self.bad(line, None, format!("not a CSV row: {e}"));
                }
            }
        }
    }

    fn parse_json_lines(&mut self, text: &str) {
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            if raw.trim().is_empty() {
                continue;
            }
            let object =
                match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(raw) {
                    Ok(o) => o,
                    Err(e) => {
                        self.bad(line, None, format!("not a JSON object: {e}"));
                        continue;
                    }
                };
            let row = object
                .into_iter()
                .map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::String(s) => s,
                        serde_json::Value::Null => String::new(),
                        serde_json::Value::Array(items) => items
                            .into_iter()
                            .map(|i| match i {
                                serde_json::Value::String(s) => s,
                                other => other.to_string(),
                            })
                            .collect::<Vec<_>>()
                            .join(";"),
                        other => other.to_string(),
                    };
                    (k, text)
                })
                .collect();
            self.take(line, row);
        }
    }

    fn folder(&mut self, name: &str) -> Folder {
        let name = if name.is_empty() { NO_FOLDER } else { name };
        if !self.entries.contains_key(name) {
            self.entries.insert(name.to_string(), Vec::new());
            self.folders.push(Folder {
                id: name.to_string(),
                name: name.to_string(),
            });
        }
        Folder {
            id: name.to_string(),
            name: name.to_string(),
        }
    }

    /// Records a bad row, as a failing entry of its folder (or of all).
    fn bad(&mut self, line: usize, folder: Option<&str>, error: String) {
        let entry = TreeEntry {
            id: format!("line:{line}"),
            display: format!("line {line}"),
            login: String::new(),
        };
        let bad = BadRow { line, error };
        self.failing.insert(entry.id.clone(), bad.clone());
        self.bad_rows.push(bad);
        match folder {
            Some(name) => {
                let folder = self.folder(name);
                self.entries.entry(folder.id).or_default().push(entry);
            }
            None => self.unplaced.push(entry),
        }
    }

    fn take(&mut self, line: usize, row: Row) {
        let folder = value(&row, "folder").to_string();
        match card_of(&row) {
            Ok((card, display)) => {
                if let Some(first) = self.lines.get(&card.billing_id) {
                    let error =
                        format!("billing_id {} is already on line {first}", card.billing_id);
                    return self.bad(line, Some(&folder), error);
                }
                let folder = self.folder(&folder);
                let entry = TreeEntry {
                    id: card.billing_id.clone(),
                    display,
                    login: card.login.clone(),
                };
                self.lines.insert(card.billing_id.clone(), line);
                self.entries.entry(folder.id).or_default().push(entry);
                self.cards.insert(card.billing_id.clone(), card);
            }
            Err(error) => self.bad(line, Some(&folder), error),
        }
    }
}

/// A column's value (by name, any case), or empty.
fn value<'a>(row: &'a Row, name: &str) -> &'a str {
    row.iter()
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map_or("", |(_, v)| v.trim())
}

const KNOWN: &[&str] = &[
    "billing_id",
    "folder",
    "login",
    "full_name",
    "contract",
    "contract_date",
    "address",
    "phones",
    "email",
    "tariff",
    "status",
    "ip",
    "mac",
    "balance",
    "credit",
    "connected",
    "display",
];

/// A row's card and display name, or why the row is bad.
fn card_of(row: &Row) -> Result<(Card, String), String> {
    let opt = |name: &str| Some(value(row, name).to_string()).filter(|v| !v.is_empty());
    let billing_id = opt("billing_id").ok_or("no billing_id")?;
    let login = opt("login").ok_or("no login")?;
    let mac = match opt("mac") {
        None => None,
        Some(m) => Some(normalise_mac(&m).ok_or_else(|| format!("not a MAC: {m}"))?),
    };
    let number = |name: &str| -> Result<Option<f64>, String> {
        match opt(name) {
            None => Ok(None),
            Some(v) => parse_money(&v)
                .map(Some)
                .ok_or_else(|| format!("not a number in {name}: {v}")),
        }
    };
    let status = value(row, "status").to_string();
    let fields = row
        .iter()
        .filter(|(k, _)| !KNOWN.iter().any(|n| k.trim().eq_ignore_ascii_case(n)))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect::<BTreeMap<_, _>>();
    let card = Card {
        balance: number("balance")?,
        credit: number("credit")?,
        full_name: opt("full_name"),
        contract: opt("contract"),
        contract_date: opt("contract_date"),
        address: opt("address"),
        phones: split_phones(value(row, "phones")).collect(),
        email: opt("email"),
        tariff: opt("tariff"),
        blocked: blocked(&status),
        status,
        ip: opt("ip"),
        mac,
        connected: opt("connected"),
        dedicated_ip: false,
        fields,
        billing_id,
        login,
    };
    let display = opt("display")
        .or_else(|| card.address.clone())
        .unwrap_or_else(|| card.login.clone());
    Ok((card, display))
}

#[async_trait::async_trait]
impl BillingSource for FileSource {
    async fn folders(&self) -> Result<Vec<Folder>, BillingError> {
        match &self.refused {
            Some(e) => Err(e.clone()),
            None => Ok(self.folders.clone()),
        }
    }

    async fn subscribers(&self, folder: &Folder) -> Result<Vec<TreeEntry>, BillingError> {
        let mut entries = self.entries.get(&folder.id).cloned().unwrap_or_default();
        entries.extend(self.unplaced.iter().cloned());
        Ok(entries)
    }

    async fn card(&self, entry: &TreeEntry) -> Result<Card, BillingError> {
        if let Some(bad) = self.failing.get(&entry.id) {
            return Err(BillingError::BadRow {
                line: bad.line,
                error: bad.error.clone(),
            });
        }
        self.cards
            .get(&entry.id)
            .cloned()
            .ok_or_else(|| BillingError::Io(format!("no row with billing_id {}", entry.id)))
    }

    async fn sessions(
        &self,
        _billing_id: &str,
        _from: chrono::NaiveDate,
        _to: chrono::NaiveDate,
    ) -> Result<Vec<StatRow>, BillingError> {
        Err(BillingError::Unsupported(
            "an import file has no session statistics".into(),
        ))
    }

    fn concurrency(&self) -> usize {
        // In memory: as wide as the sync cares to go.
        64
    }
}
