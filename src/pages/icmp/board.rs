//! The ICMP board in pages: problems first (down, unreachable, degraded),
//! then the rest, each group by name and address; filters by folder, state
//! and search, all in the query string so plain links work (htmx swaps the
//! board in place and pushes the URL). Also "check all/down" and the
//! dashboard's panel.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use ispmon_projections::folders::{self as folder_views, FolderRow};
use ispmon_projections::hosts::{self, BoardCounts, BoardFilter, FolderFilter, StateFilter};
use maud::{html, Markup};
use serde::Deserialize;

use super::folders::folder_forms;
use super::forms::{host_form, HostForm};
use super::{apply_latest, host_row, live};
use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::{t, Locale};
use crate::pages::components::{hidden_csrf, notice, query, FormErrors};
use crate::pages::layout::respond;
use crate::state::AppState;

/// Rows per page a user may choose; the first one after the default.
pub const PER_PAGE: [usize; 3] = [50, 100, 200];
const DEFAULT_PER_PAGE: usize = 100;
/// Longest search, in characters.
const MAX_SEARCH: usize = 100;
/// Hosts the dashboard's panel lists.
const DOWN_PANEL_ROWS: usize = 10;

#[derive(Deserialize, Default, Clone)]
pub struct BoardQuery {
    #[serde(default)]
    pub(super) folder: String,
    #[serde(default)]
    pub(super) state: String,
    #[serde(default)]
    pub(super) q: String,
    #[serde(default)]
    pub(super) page: String,
    #[serde(default)]
    pub(super) per: String,
    /// Before pages: one of `all`, `up`, `down`, `paused`, `none` or a
    /// folder id. Still understood, so old links keep working.
    #[serde(default)]
    pub(super) view: String,
}

/// What a board URL asks for, checked.
#[derive(Debug, Clone)]
pub(super) struct BoardView {
    pub filter: BoardFilter,
    /// 1-based; clamped to the last page once the total is known.
    pub page: usize,
    pub per: usize,
}

impl BoardView {
    /// Reads the query: an unknown state, a page that is not a whole number
    /// from 1, or a page size not offered is a 400 with the reason.
    pub fn parse(q: &BoardQuery) -> AppResult<Self> {
        let (mut folder, mut state) = (q.folder.as_str(), q.state.as_str());
        if folder.is_empty() && state.is_empty() {
            match q.view.as_str() {
                "" | "all" => {}
                s @ ("up" | "down" | "paused") => state = s,
                f => folder = f,
            }
        }
        let state = StateFilter::parse(state).ok_or_else(|| {
            let known: Vec<&str> = StateFilter::EVERY.iter().map(|s| s.as_str()).collect();
            AppError::BadRequest(format!(
                "unknown state filter '{state}': use one of {}",
                known.join(", ")
            ))
        })?;
        let page = match q.page.trim() {
            "" => 1,
            p => p.parse::<usize>().ok().filter(|p| *p >= 1).ok_or_else(|| {
                AppError::BadRequest(format!("page '{p}' is not a whole number from 1"))
            })?,
        };
        let per = match q.per.trim() {
            "" => DEFAULT_PER_PAGE,
            p => p
                .parse::<usize>()
                .ok()
                .filter(|p| PER_PAGE.contains(p))
                .ok_or_else(|| {
                    AppError::BadRequest(format!("rows per page must be 50, 100 or 200, not '{p}'"))
                })?,
        };
        let search = q.q.trim();
        if search.chars().count() > MAX_SEARCH {
            return Err(AppError::BadRequest(format!(
                "the search is at most {MAX_SEARCH} characters"
            )));
        }
        Ok(Self {
            filter: BoardFilter {
                folder: FolderFilter::parse(folder),
                state,
                search: search.to_string(),
            },
            page,
            per,
        })
    }

    /// The board's URL for this view with another folder, state or page
    /// (defaults left out, so links stay short).
    pub fn href(&self, folder: &FolderFilter, state: StateFilter, page: usize) -> String {
        let (page, per) = (page.to_string(), self.per.to_string());
        let state = if state == StateFilter::All {
            ""
        } else {
            state.as_str()
        };
        format!(
            "/icmp{}",
            query(&[
                ("folder", folder.as_str()),
                ("state", state),
                ("q", &self.filter.search),
                (
                    "per",
                    if self.per == DEFAULT_PER_PAGE {
                        ""
                    } else {
                        &per
                    }
                ),
                ("page", if page == "1" { "" } else { &page }),
            ])
        )
    }

    /// This view's URL at `page`.
    pub fn at(&self, page: usize) -> String {
        self.href(&self.filter.folder, self.filter.state, page)
    }

    fn is_filtered(&self) -> bool {
        self.filter != BoardFilter::default()
    }
}

/// The sidebar: states and folders with their counts; `oob` marks it for
/// an out-of-band swap. A link changes one filter and keeps the others.
pub(super) fn sidebar(
    ctx: &Ctx,
    counts: &BoardCounts,
    folders: &[FolderRow],
    v: &BoardView,
    oob: bool,
) -> Markup {
    let l = ctx.locale;
    let f = &v.filter;
    let state_link = |s: StateFilter| {
        let label = state_label(l, s);
        let href = v.href(&f.folder, s, 1);
        html! {
            a.folder.active[f.state == s] href=(href) hx-get=(href) {
                span { (label) } span.count { (counts.total(&FolderFilter::Any, s)) }
            }
        }
    };
    let folder_link = |folder: FolderFilter, label: &str| {
        let href = v.href(&folder, f.state, 1);
        html! {
            a.folder.active[f.folder == folder] href=(href) hx-get=(href) {
                span { (label) } span.count { (counts.total(&folder, StateFilter::All)) }
            }
        }
    };
    html! {
        aside.sidebar #icmp-sidebar hx-swap-oob=[oob.then_some("true")] {
            @for s in StateFilter::EVERY { (state_link(s)) }
            hr;
            (folder_link(FolderFilter::Any, t(l, "icmp.folder_any")))
            @for fo in folders { (folder_link(FolderFilter::Id(fo.folder_id.clone()), &fo.name)) }
            (folder_link(FolderFilter::NoFolder, t(l, "icmp.no_folder")))
        }
    }
}

/// The filter form: a plain GET form; htmx submits it on change too.
fn filter_form(ctx: &Ctx, folders: &[FolderRow], v: &BoardView) -> Markup {
    let l = ctx.locale;
    let f = &v.filter;
    html! {
        form.filters #board-filter method="get" action="/icmp" hx-get="/icmp" hx-trigger="submit, change" role="search" {
            input type="search" name="q" value=(f.search) maxlength=(MAX_SEARCH) placeholder=(t(l, "icmp.search_hint")) aria-label=(t(l, "icmp.search_hint"));
            select name="folder" aria-label=(t(l, "icmp.folder")) {
                option value="" { (t(l, "icmp.folder_any")) }
                @for fo in folders { option value=(fo.folder_id) selected[f.folder.as_str() == fo.folder_id] { (fo.name) } }
                option value="none" selected[f.folder == FolderFilter::NoFolder] { (t(l, "icmp.no_folder")) }
            }
            select name="state" aria-label=(t(l, "icmp.state")) {
                @for s in StateFilter::EVERY {
                    option value=(if s == StateFilter::All { "" } else { s.as_str() }) selected[f.state == s] {
                        (if s == StateFilter::All { t(l, "icmp.state_any") } else { state_label(l, s) })
                    }
                }
            }
            select name="per" aria-label=(t(l, "icmp.per_page")) {
                @for n in PER_PAGE { option value=(n) selected[v.per == n] { (n) " " (t(l, "icmp.per_page_unit")) } }
            }
            button type="submit" { (t(l, "icmp.show")) }
        }
    }
}

fn state_label(l: Locale, s: StateFilter) -> &'static str {
    t(
        l,
        match s {
            StateFilter::All => "icmp.all",
            StateFilter::Problems => "icmp.problems",
            StateFilter::Down => "icmp.state.down",
            StateFilter::Degraded => "icmp.state.degraded",
            StateFilter::Up => "icmp.state.up",
            StateFilter::Pending => "icmp.state.pending",
            StateFilter::Paused => "icmp.state.paused",
        },
    )
}

/// Pages: previous, the first, a few around this one, the last, next; each
/// a plain link that htmx follows in place.
fn board_pager(l: Locale, v: &BoardView, total: usize) -> Markup {
    let pages = total.div_ceil(v.per).max(1);
    let page = v.page;
    let mut shown: Vec<usize> = [
        1,
        page.saturating_sub(2),
        page.saturating_sub(1),
        page,
        page + 1,
        page + 2,
        pages,
    ]
    .into_iter()
    .filter(|p| (1..=pages).contains(p))
    .collect();
    shown.sort_unstable();
    shown.dedup();
    let link = |p: usize, label: Markup, rel: Option<&str>| {
        let href = v.at(p);
        html! { a href=(href) hx-get=(href) rel=[rel] { (label) } }
    };
    html! {
        nav.pager #board-pager aria-label=(t(l, "common.page")) {
            @if page > 1 { (link(page - 1, html! { "← " (t(l, "common.prev")) }, Some("prev"))) }
            @for (i, p) in shown.iter().enumerate() {
                @if i > 0 && shown[i - 1] + 1 < *p { span.gap { "…" } }
                @if *p == page { span.current aria-current="page" { (p) } } @else { (link(*p, html! { (p) }, None)) }
            }
            @if page < pages { (link(page + 1, html! { (t(l, "common.next")) " →" }, Some("next"))) }
        }
    }
}

/// What every viewer of one board URL (in one language) sees alike: the
/// sidebar, the list with its summary and pager, and what the live poller
/// needs; kept in [`crate::state::Memos::board`] per data version, so a
/// board many people keep open is read and rendered once per change.
pub struct BoardPart {
    /// The page shown (the one asked for, clamped to the last).
    page: usize,
    folders: Vec<FolderRow>,
    sidebar: Markup,
    list: Markup,
    /// The rows' short ids for the poller.
    on_screen: String,
    /// When the data was read (RFC 3339): the poller asks for changes since.
    since: String,
}

/// Reads and renders the shared part of the board at `v`.
async fn board_part(st: &AppState, ctx: &Ctx, v: &BoardView) -> AppResult<BoardPart> {
    let l = ctx.locale;
    let (filter, per, want) = (v.filter.clone(), v.per, v.page);
    let tel = st.core.telemetry.clone();
    // Taken before the read, so a change folded during it reaches the
    // poller rather than falling between the page and its first poll.
    let since = ispmon_events::store::now_rfc3339();
    // One read: counts, folders, the total and the page, clamped to the
    // last page (hosts come and go while someone pages).
    let (counts, folders, total, page, rows) = st
        .core
        .views
        .read(move |c| {
            let counts = hosts::board_counts(c)?;
            let total = hosts::total(c, &filter, &counts)?;
            let page = want.min(total.div_ceil(per).max(1));
            let mut rows = hosts::page(c, &filter, per, (page - 1) * per)?;
            apply_latest(&tel, &mut rows)?;
            Ok((counts, folder_views::list(c)?, total, page, rows))
        })
        .await?;
    let v = BoardView { page, ..v.clone() };
    let first = (page - 1) * per + 1;
    let list = html! {
        @if rows.is_empty() {
            p.empty {
                @if v.is_filtered() {
                    (t(l, "icmp.no_match")) " " a href="/icmp" hx-get="/icmp" { (t(l, "icmp.clear_filters")) }
                } @else { (t(l, "icmp.empty")) }
            }
        } @else {
            p.summary #board-summary {
                (t(l, "icmp.showing")) " " (first) "–" (first + rows.len() - 1) " " (t(l, "icmp.of")) " " (total)
            }
            div.table-wrap {
                table.data #hosts-table {
                    thead { tr {
                        th { (t(l, "icmp.state")) } th { (t(l, "icmp.name")) } th { "IP" }
                        th.wide-only { (t(l, "icmp.since")) } th { (t(l, "icmp.rtt")) } th { (t(l, "icmp.loss")) } th.wide-only { (t(l, "icmp.ack")) }
                    } }
                    tbody { @for h in &rows { (host_row(ctx, h, false)) } }
                }
            }
            @if total > per { (board_pager(l, &v, total)) }
        }
    };
    Ok(BoardPart {
        page,
        sidebar: sidebar(ctx, &counts, &folders, &v, false),
        folders,
        list,
        on_screen: live::on_screen(&rows),
        since,
    })
}

pub async fn board(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<BoardQuery>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let mut v = BoardView::parse(&q)?;
    let key = format!("{}{}", l.as_str(), v.at(v.page));
    let version = st.data_version();
    let part = st
        .memos
        .board
        .get_or_load(key, version, || board_part(&st, &ctx, &v))
        .await?;
    v.page = part.page;
    let folders = &part.folders;
    let body = html! {
        div.board #board hx-target="#board" hx-select="#board" hx-swap="outerHTML" hx-push-url="true" {
            (part.sidebar)
            section.hosts {
                h1 { (t(l, "icmp.title")) }
                div.actions {
                    a href="/icmp/export.csv" { (t(l, "icmp.export")) }
                    @if ctx.can_get("/icmp/import") { a href="/icmp/import" { (t(l, "icmp.import")) } }
                }
                @if ctx.can_post("/icmp/check") {
                    div.actions {
                        @for (scope, key) in [("all", "icmp.check_all"), ("down", "icmp.check_down")] {
                            form.inline method="post" action="/icmp/check" {
                                (hidden_csrf(&ctx.csrf))
                                input type="hidden" name="scope" value=(scope);
                                button.small type="submit" { (t(l, key)) }
                            }
                        }
                    }
                }
                (filter_form(&ctx, folders, &v))
                div #icmp-notice {}
                (part.list)
                (live::marker(&part.since, &v, &part.on_screen, 0))
                @if ctx.can_post("/icmp/hosts") { (host_form(&ctx, None, folders, &HostForm::default(), &FormErrors::default())) }
                @if ctx.can_post("/icmp/folders") { (folder_forms(&ctx, folders)) }
            }
        }
    };
    Ok(respond(&ctx, t(l, "icmp.title"), body))
}

/// What the dashboard's panel shows: the hosts down longest (at most
/// `DOWN_PANEL_ROWS`) and how many are down or unreachable.
pub struct DownPanel {
    hosts: Vec<ispmon_projections::hosts::HostRow>,
    count: usize,
}

/// Reads the panel's data (blocking: inside the dashboard's one read).
pub fn down_panel_data(c: &rusqlite::Connection) -> rusqlite::Result<DownPanel> {
    let count = hosts::board_counts(c)?.total(&FolderFilter::Any, StateFilter::Down);
    Ok(DownPanel {
        hosts: hosts::down(c, DOWN_PANEL_ROWS)?,
        count,
    })
}

/// The dashboard's panel: how many hosts are down or unreachable, the ones
/// down longest (a bounded list) and a link to all of them on the board.
pub fn down_panel(ctx: &Ctx, p: &DownPanel) -> Markup {
    let l = ctx.locale;
    let (down, n) = (&p.hosts, p.count);
    html! {
        h2 { a href="/icmp?state=down" { (t(l, "icmp.down_hosts")) " (" (n) ")" } }
        @if down.is_empty() { (notice(t(l, "icmp.all_up"))) } @else {
            table.data #down-hosts {
                tbody { @for h in down { (host_row(ctx, h, false)) } }
            }
            @if n > down.len() {
                p.small #down-more { a href="/icmp?state=down" { (t(l, "icmp.down_more")) " (" (n) ")" } }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    scope: String,
}

/// "Check all" / "check down hosts": starts the scheduler's sweep job over
/// that scope in the background; refused while the same scope is checked.
pub async fn check(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<CheckForm>,
) -> AppResult<Response> {
    use ispmon_scheduler::Scope;
    let scope = match f.scope.as_str() {
        "all" => Scope::All,
        "down" => Scope::Subset("down"),
        _ => return Err(AppError::Rejected("scope must be 'all' or 'down'".into())),
    };
    st.scheduler
        .run_now(ispmon_scheduler::sweep::JOB_NAME, scope, Some(ctx.meta()))
        .map_err(crate::pages::devices::scheduler_error)?;
    Ok(Redirect::to("/icmp").into_response())
}
