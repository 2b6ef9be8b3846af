//! The board's queries: one page of hosts in the board's order (problems
//! first — down, unreachable, degraded — then the rest, each group by name
//! and address) under a filter of folder, state and search, and the counts
//! that `host_counts` keeps so the sidebar never counts 10,000 rows.

use rusqlite::types::Value;
use rusqlite::Connection;

use ispmon_events::host::HostState;

use super::{row, HostRow, COLS};

/// Which hosts by state. Paused hosts are only in `All` and `Paused`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    All,
    /// Down, unreachable or degraded.
    Problems,
    /// Down or unreachable (not answering).
    Down,
    Degraded,
    Up,
    Pending,
    Paused,
}

impl StateFilter {
    /// Every filter, in the order the sidebar lists them.
    pub const EVERY: [StateFilter; 7] = [
        StateFilter::All,
        StateFilter::Problems,
        StateFilter::Down,
        StateFilter::Degraded,
        StateFilter::Up,
        StateFilter::Pending,
        StateFilter::Paused,
    ];

    /// The query-string value (`""` is `all`); `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        Self::EVERY
            .into_iter()
            .find(|f| f.as_str() == s)
            .or((s.is_empty()).then_some(StateFilter::All))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StateFilter::All => "all",
            StateFilter::Problems => "problems",
            StateFilter::Down => "down",
            StateFilter::Degraded => "degraded",
            StateFilter::Up => "up",
            StateFilter::Pending => "pending",
            StateFilter::Paused => "paused",
        }
    }

    /// The `host_counts` buckets it covers (`None`: every bucket).
    fn buckets(self) -> Option<&'static [&'static str]> {
        Some(match self {
            StateFilter::All => return None,
            StateFilter::Problems => &["down", "unreachable", "degraded"],
            StateFilter::Down => &["down", "unreachable"],
            StateFilter::Degraded => &["degraded"],
            StateFilter::Up => &["up"],
            StateFilter::Pending => &["pending"],
            StateFilter::Paused => &["paused"],
        })
    }

    /// Its condition, on the indexed `board_rank` first.
    fn sql(self) -> &'static str {
        match self {
            StateFilter::All => "1",
            StateFilter::Problems => "board_rank < 3",
            StateFilter::Down => "board_rank < 2",
            StateFilter::Degraded => "board_rank = 2",
            StateFilter::Up => "board_rank = 3 AND paused = 0 AND state = 'up'",
            StateFilter::Pending => "board_rank = 3 AND paused = 0 AND state = 'pending'",
            StateFilter::Paused => "board_rank = 3 AND paused = 1",
        }
    }

    /// Whether a host of this state and pause is in the filter.
    pub fn admits(self, state: HostState, paused: bool) -> bool {
        let bucket = if paused { "paused" } else { state.as_str() };
        self.buckets().is_none_or(|b| b.contains(&bucket))
    }
}

/// Which hosts by folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderFilter {
    Any,
    /// Hosts in no folder.
    NoFolder,
    Id(String),
}

impl FolderFilter {
    /// The query-string value: `""` any, `none` no folder, else a folder id.
    pub fn parse(s: &str) -> Self {
        match s {
            "" => FolderFilter::Any,
            "none" => FolderFilter::NoFolder,
            id => FolderFilter::Id(id.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            FolderFilter::Any => "",
            FolderFilter::NoFolder => "none",
            FolderFilter::Id(id) => id,
        }
    }

    /// Whether a host in `folder` is in the filter.
    pub fn admits(&self, folder: Option<&str>) -> bool {
        match self {
            FolderFilter::Any => true,
            FolderFilter::NoFolder => folder.is_none(),
            FolderFilter::Id(id) => folder == Some(id.as_str()),
        }
    }
}

/// What the board shows: folder, state and a search (a name containing it,
/// or an address starting with it; case does not matter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardFilter {
    pub folder: FolderFilter,
    pub state: StateFilter,
    pub search: String,
}

impl Default for BoardFilter {
    fn default() -> Self {
        Self {
            folder: FolderFilter::Any,
            state: StateFilter::All,
            search: String::new(),
        }
    }
}

impl BoardFilter {
    /// Whether `h` is in the filter (for rows that changed after a page was
    /// rendered).
    pub fn admits(&self, h: &HostRow) -> bool {
        let search = self.search.trim().to_lowercase();
        self.folder.admits(h.folder_id.as_deref())
            && self.state.admits(h.state, h.paused)
            && (search.is_empty()
                || h.name.to_lowercase().contains(&search)
                || h.ip.to_lowercase().starts_with(&search))
    }

    /// The WHERE clause and its parameters.
    fn sql(&self) -> (String, Vec<Value>) {
        let mut sql = String::from(self.state.sql());
        let mut params = Vec::new();
        match &self.folder {
            FolderFilter::Any => {}
            FolderFilter::NoFolder => sql.push_str(" AND folder_id IS NULL"),
            FolderFilter::Id(id) => {
                sql.push_str(" AND folder_id = ?");
                params.push(Value::Text(id.clone()));
            }
        }
        let search = self.search.trim();
        if !search.is_empty() {
            let escaped = like_escape(search);
            sql.push_str(r" AND (name LIKE ? ESCAPE '\' OR ip LIKE ? ESCAPE '\')");
            params.push(Value::Text(format!("%{escaped}%")));
            params.push(Value::Text(format!("{escaped}%")));
        }
        (sql, params)
    }
}

/// The page query under `cond`: the inner query walks the board's index
/// (skipping `OFFSET` index entries, not rows); the outer loads the page.
fn page_sql(cond: &str) -> String {
    format!(
        "SELECT {COLS} FROM hosts WHERE rowid IN (
             SELECT rowid FROM hosts WHERE {cond}
             ORDER BY board_rank, name COLLATE NOCASE, ip LIMIT ? OFFSET ?)
         ORDER BY board_rank, name COLLATE NOCASE, ip"
    )
}

/// Escapes LIKE's wildcards (and the escape character itself).
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// One page of the board: at most `limit` hosts from `offset` in the board's
/// order; only the page's rows are loaded.
pub fn page(
    c: &Connection,
    f: &BoardFilter,
    limit: usize,
    offset: usize,
) -> rusqlite::Result<Vec<HostRow>> {
    let (cond, mut params) = f.sql();
    params.push(Value::Integer(limit as i64));
    params.push(Value::Integer(offset as i64));
    let mut s = c.prepare_cached(&page_sql(&cond))?;
    let rows = s.query_map(rusqlite::params_from_iter(params), row)?;
    rows.collect()
}

/// How many hosts the filter admits: from `counts` without a search, else
/// counted.
pub fn total(c: &Connection, f: &BoardFilter, counts: &BoardCounts) -> rusqlite::Result<usize> {
    if f.search.trim().is_empty() {
        return Ok(counts.total(&f.folder, f.state));
    }
    let (cond, params) = f.sql();
    c.prepare_cached(&format!("SELECT COUNT(*) FROM hosts WHERE {cond}"))?
        .query_row(rusqlite::params_from_iter(params), |r| r.get(0))
}

/// Hosts per folder and bucket, as `host_counts` keeps them.
#[derive(Debug, Clone, Default)]
pub struct BoardCounts {
    /// (folder id or `""`, bucket: a state or `paused`, hosts).
    rows: Vec<(String, String, usize)>,
}

impl BoardCounts {
    /// Hosts in `folder` admitted by `state`.
    pub fn total(&self, folder: &FolderFilter, state: StateFilter) -> usize {
        self.rows
            .iter()
            .filter(|(key, bucket, _)| {
                let folder_ok = match folder {
                    FolderFilter::Any => true,
                    FolderFilter::NoFolder => key.is_empty(),
                    FolderFilter::Id(id) => key == id,
                };
                folder_ok && state.buckets().is_none_or(|b| b.contains(&bucket.as_str()))
            })
            .map(|(_, _, n)| n)
            .sum()
    }
}

pub fn board_counts(c: &Connection) -> rusqlite::Result<BoardCounts> {
    let mut s = c.prepare_cached("SELECT folder_key, bucket, n FROM host_counts WHERE n > 0")?;
    let rows = s.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as usize))
    })?;
    Ok(BoardCounts {
        rows: rows.collect::<rusqlite::Result<_>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A views file with the hosts schema and `hosts`: (name, ip, state,
    /// paused, folder).
    fn board(hosts: &[(&str, &str, &str, bool, Option<&str>)]) -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(include_str!("../../../migrations/views/hosts_v2.sql"))
            .unwrap();
        for (i, (name, ip, state, paused, folder)) in hosts.iter().enumerate() {
            c.execute(
                "INSERT INTO hosts (host_id, ip, name, folder_id, paused, state, state_since, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 't', 't', 't')",
                rusqlite::params![format!("id{i}"), ip, name, folder, paused, state],
            )
            .unwrap();
        }
        c
    }

    fn names(rows: &[HostRow]) -> Vec<&str> {
        rows.iter().map(|h| h.name.as_str()).collect()
    }

    fn filter(folder: &str, state: &str, search: &str) -> BoardFilter {
        BoardFilter {
            folder: FolderFilter::parse(folder),
            state: StateFilter::parse(state).unwrap(),
            search: search.into(),
        }
    }

    #[test]
    fn problems_come_first_then_the_rest_by_name_and_pages_follow_on() {
        let c = board(&[
            ("b-up", "127.0.0.2", "up", false, None),
            ("A-up", "127.0.0.1", "up", false, None),
            ("z-down", "127.0.0.9", "down", false, None),
            ("m-degraded", "127.0.0.5", "degraded", false, None),
            ("k-unreachable", "127.0.0.7", "unreachable", false, None),
            ("c-paused-down", "127.0.0.3", "down", true, None),
        ]);
        let all = BoardFilter::default();
        assert_eq!(
            names(&page(&c, &all, 3, 0).unwrap()),
            ["z-down", "k-unreachable", "m-degraded"]
        );
        assert_eq!(
            names(&page(&c, &all, 3, 3).unwrap()),
            ["A-up", "b-up", "c-paused-down"],
            "the rest by name, case aside; a paused host is not a problem"
        );
        assert!(page(&c, &all, 3, 6).unwrap().is_empty());
    }

    #[test]
    fn folder_state_and_search_filters_agree_with_their_counts() {
        let c = board(&[
            ("core-1", "10.0.0.1", "down", false, Some("f1")),
            ("core-2", "10.0.0.2", "up", false, Some("f1")),
            ("edge-1", "10.1.0.1", "degraded", false, Some("f2")),
            ("edge-2", "10.1.0.2", "pending", false, None),
            ("lab_1", "192.168.0.1", "up", true, None),
        ]);
        let counts = board_counts(&c).unwrap();
        let cases: &[(&str, &str, &str, &[&str])] = &[
            ("", "problems", "", &["core-1", "edge-1"]),
            ("", "down", "", &["core-1"]),
            ("", "up", "", &["core-2"]),
            ("", "paused", "", &["lab_1"]),
            ("", "pending", "", &["edge-2"]),
            ("f1", "", "", &["core-1", "core-2"]),
            ("none", "", "", &["edge-2", "lab_1"]),
            ("f1", "up", "", &["core-2"]),
            ("", "", "EDGE", &["edge-1", "edge-2"]),
            ("", "", "10.1.", &["edge-1", "edge-2"]),
            ("", "", "0.1", &[]),
            ("", "", "b_", &["lab_1"]),
            ("", "", "%", &[]),
            ("nope", "", "", &[]),
        ];
        for (folder, state, search, want) in cases {
            let f = filter(folder, state, search);
            let rows = page(&c, &f, 100, 0).unwrap();
            assert_eq!(names(&rows), *want, "{f:?}");
            assert_eq!(total(&c, &f, &counts).unwrap(), want.len(), "{f:?}");
            assert!(rows.iter().all(|h| f.admits(h)), "{f:?}");
        }
    }

    #[test]
    fn the_counts_follow_state_pause_folder_and_removal() {
        let c = board(&[
            ("a", "10.0.0.1", "up", false, Some("f1")),
            ("b", "10.0.0.2", "up", false, Some("f1")),
        ]);
        let n = |folder: &str, state: &str| {
            board_counts(&c).unwrap().total(
                &FolderFilter::parse(folder),
                StateFilter::parse(state).unwrap(),
            )
        };
        assert_eq!((n("f1", "up"), n("", "problems")), (2, 0));
        c.execute("UPDATE hosts SET state = 'down' WHERE name = 'a'", [])
            .unwrap();
        assert_eq!((n("f1", "up"), n("", "down")), (1, 1));
        c.execute("UPDATE hosts SET paused = 1 WHERE name = 'a'", [])
            .unwrap();
        assert_eq!((n("", "down"), n("", "paused")), (0, 1));
        c.execute("UPDATE hosts SET folder_id = NULL WHERE name = 'b'", [])
            .unwrap();
        assert_eq!((n("f1", ""), n("none", "up")), (1, 1));
        c.execute("DELETE FROM hosts WHERE name = 'a'", []).unwrap();
        assert_eq!((n("", ""), n("f1", "")), (1, 0));
    }

    #[test]
    fn a_page_is_read_in_index_order_without_sorting_every_host() {
        let c = board(&[]);
        for f in [
            filter("", "", ""),
            filter("f1", "problems", ""),
            filter("none", "up", ""),
        ] {
            let (cond, params) = f.sql();
            let mut params = params;
            params.extend([Value::Integer(100), Value::Integer(0)]);
            let plan =
                crate::tests::query_plan(&c, &page_sql(&cond), rusqlite::params_from_iter(params));
            assert!(
                plan.contains("USING COVERING INDEX hosts_board"),
                "{f:?}: {plan}"
            );
            assert!(
                plan.matches("TEMP B-TREE").count() <= 1,
                "only the page's rows are sorted: {f:?}: {plan}"
            );
        }
    }

    #[test]
    fn an_unknown_state_filter_is_not_taken_for_all() {
        assert_eq!(StateFilter::parse(""), Some(StateFilter::All));
        assert_eq!(StateFilter::parse("problems"), Some(StateFilter::Problems));
        assert_eq!(StateFilter::parse("sideways"), None);
    }
}
