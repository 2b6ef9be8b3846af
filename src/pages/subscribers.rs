//! Subscribers from billing: the folder tree with counts and a search box
//! that answers as one types (htmx, debounced) over the full-text index;
//! blocked subscribers red, those who left billing grey; paginated and
//! sortable. The card joins billing, the NAS session, the edge port from
//! Search Port with its history, notes, tags and the timeline from the log.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Form;
use ispmon_events::subscriber::SubscriberCommand;
use ispmon_projections::subscribers::{ListQuery, Sort, StatusFilter, SubscriberRow};
use ispmon_scheduler::subscriber_figures::Figures;
use maud::{html, Markup};
use serde::Deserialize;

use super::components::{error_box, hidden_csrf, notice, query, when, FormErrors};
use super::layout::respond;
use super::search::mac_card;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::{t, Locale};
use crate::state::AppState;
use crate::subscribers::{self as subs, Card, MAX_QUERY, PER_PAGE};

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ListParams {
    pub q: String,
    pub folder: String,
    pub status: String,
    pub sort: String,
    pub page: String,
}

impl ListParams {
    /// The list request, or the field that is wrong.
    pub fn to_query(&self, per_page: usize) -> Result<ListQuery, (&'static str, String)> {
        let status = StatusFilter::parse(self.status.trim()).ok_or((
            "status",
            "the status is any, active, blocked or left".to_string(),
        ))?;
        let sort = if self.sort.trim().is_empty() {
            Sort::default()
        } else {
            Sort::parse(self.sort.trim()).ok_or((
                "sort",
                "sort by relevance, display, login, folder, status or changed".to_string(),
            ))?
        };
        let page: usize = if self.page.trim().is_empty() {
            1
        } else {
            match self.page.trim().parse() {
                Ok(n) if (1..=10_000).contains(&n) => n,
                _ => return Err(("page", "the page is a number from 1".to_string())),
            }
        };
        if self.q.chars().count() > MAX_QUERY {
            return Err(("q", format!("a search is at most {MAX_QUERY} characters")));
        }
        let folder = self.folder.trim();
        Ok(ListQuery {
            q: self.q.trim().to_string(),
            folder: (!folder.is_empty()).then(|| folder.to_string()),
            status,
            sort,
            limit: per_page,
            offset: (page - 1) * per_page,
        })
    }

    fn href(&self, page: usize, sort: Option<&str>) -> String {
        let p = page.to_string();
        format!(
            "/subscribers{}",
            query(&[
                ("q", self.q.trim()),
                ("folder", self.folder.trim()),
                ("status", self.status.trim()),
                ("sort", sort.unwrap_or(self.sort.trim())),
                ("page", if page > 1 { &p } else { "" }),
            ])
        )
    }
}

fn status_word(r: &SubscriberRow) -> &'static str {
    if r.left_billing {
        "left"
    } else if r.blocked.is_some() {
        "blocked"
    } else {
        "active"
    }
}

fn status_label(l: Locale, r: &SubscriberRow) -> &'static str {
    match status_word(r) {
        "left" => t(l, "subs.left"),
        "blocked" => t(l, "subs.blocked"),
        _ => t(l, "subs.active"),
    }
}

/// "1 234,56" with the sync's time.
pub fn money(v: f64) -> String {
    let neg = v < 0.0;
    let cents = (v.abs() * 100.0).round() as u64;
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push('\u{a0}');
        }
        grouped.push(c);
    }
    format!("{}{grouped},{:02}", if neg { "−" } else { "" }, cents % 100)
}

fn unix(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|t| when(&t.to_rfc3339()))
        .unwrap_or_default()
}

fn search_box(l: Locale, p: &ListParams) -> Markup {
    html! {
        form.search-subscribers method="get" action="/subscribers" role="search"
            hx-get="/subscribers" hx-trigger="input changed delay:250ms from:#subs-q, change from:#subs-status, submit"
            hx-target="#subs-results" hx-select="#subs-results" hx-swap="outerHTML" hx-push-url="true" {
            input #subs-q type="search" name="q" value=(p.q) maxlength=(MAX_QUERY) autofocus
                placeholder=(t(l, "subs.hint")) aria-label=(t(l, "subs.hint"));
            @if !p.folder.trim().is_empty() { input type="hidden" name="folder" value=(p.folder); }
            select #subs-status name="status" aria-label=(t(l, "subs.status")) {
                @for (v, key) in [("", "subs.any"), ("active", "subs.active"), ("blocked", "subs.blocked"), ("left", "subs.left")] {
                    option value=(v) selected[p.status.trim() == v] { (t(l, key)) }
                }
            }
            button type="submit" { (t(l, "search.go")) }
        }
    }
}

fn results(
    l: Locale,
    p: &ListParams,
    q: &ListQuery,
    rows: &[(SubscriberRow, Option<Figures>)],
    more: bool,
) -> Markup {
    let page = q.offset / q.limit.max(1) + 1;
    let sort_link = |key: &'static str, s: Sort| {
        let active = q.sort == s;
        html! { a href=(p.href(1, Some(s.as_str()))) aria-current=[active.then_some("true")] { (t(l, key)) } }
    };
    html! {
        div #subs-results {
            @if rows.is_empty() {
                (notice(if q.q.is_empty() { t(l, "subs.none") } else { t(l, "subs.nothing") }))
            } @else {
                div.table-wrap {
                    table.data #subs-table {
                        thead { tr {
                            th { (sort_link("subs.display", Sort::Display)) }
                            th { (sort_link("subs.login", Sort::Login)) }
                            th.hide-narrow { (t(l, "subs.full_name")) }
                            th.hide-narrow { (sort_link("subs.folder", Sort::Folder)) }
                            th { (sort_link("subs.status", Sort::Status)) }
                            th.num { (t(l, "subs.balance")) }
                        } }
                        tbody {
                            @for (r, f) in rows {
                                tr class={ "sub " (status_word(r)) } data-status=(status_word(r)) {
                                    td { a href={ "/subscribers/" (urlencoding::encode(&r.billing_id)) } { (r.display) } }
                                    td { code.login { (r.login) } }
                                    td.hide-narrow { (r.full_name.as_deref().unwrap_or("")) }
                                    td.hide-narrow { (r.folder) }
                                    td { span class={ "badge " (status_word(r)) } title=(r.status) { (status_label(l, r)) } }
                                    td.num { @if let Some(b) = f.and_then(|f| f.balance) { (money(b)) } }
                                }
                            }
                        }
                    }
                }
                nav.pager {
                    @if page > 1 { a href=(p.href(page - 1, None)) rel="prev" { "← " (t(l, "common.prev")) } }
                    span { (t(l, "common.page")) " " (page) }
                    @if more { a href=(p.href(page + 1, None)) rel="next" { (t(l, "common.next")) " →" } }
                }
            }
        }
    }
}

pub async fn list(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let l = ctx.locale;
    let folders = subs::folders(&st).await?;
    let q = match p.to_query(PER_PAGE) {
        Ok(q) => q,
        Err((_, reason)) => {
            let body = html! { div #subs-results { (error_box(&reason)) } };
            return Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                respond(&ctx, t(l, "subs.title"), body),
            )
                .into_response());
        }
    };
    let (page, figures) = subs::list(&st, q.clone()).await?;
    let rows: Vec<(SubscriberRow, Option<Figures>)> = page.rows.into_iter().zip(figures).collect();
    let total: usize = folders.iter().map(|f| f.subscribers).sum();
    let all_href = ListParams {
        folder: String::new(),
        page: String::new(),
        ..p.clone()
    }
    .href(1, None);
    let body = html! {
        section #subscribers {
            h1 { (t(l, "subs.title")) }
            div.split {
                nav.folder-tree #billing-folders aria-label=(t(l, "subs.folders")) {
                    h2 { (t(l, "subs.folders")) }
                    @if folders.is_empty() {
                        p.muted { (t(l, "subs.no_folders")) }
                    } @else {
                        ul {
                            li { a href=(all_href) aria-current=[p.folder.trim().is_empty().then_some("true")] { (t(l, "subs.all")) } " " span.muted { (total) } }
                            @for f in folders.iter() {
                                @let href = ListParams { folder: f.folder_id.clone(), page: String::new(), ..p.clone() }.href(1, None);
                                li data-folder=(f.folder_id) {
                                    a href=(href) aria-current=[(p.folder.trim() == f.folder_id).then_some("true")] { (f.folder) }
                                    " " span.muted { (f.subscribers) }
                                    @if f.blocked > 0 { " " span.badge.blocked title=(t(l, "subs.blocked")) { (f.blocked) } }
                                    @if f.left > 0 { " " span.badge.left title=(t(l, "subs.left")) { (f.left) } }
                                }
                            }
                        }
                    }
                }
                div.grow {
                    (search_box(l, &p))
                    (results(l, &p, &q, &rows, page.more))
                }
            }
        }
    };
    Ok(respond(&ctx, t(l, "subs.title"), body).into_response())
}

fn field_label(l: Locale, key: &str) -> String {
    match key {
        "login" => t(l, "subs.login").into(),
        "full_name" => t(l, "subs.full_name").into(),
        "contract" => t(l, "subs.contract").into(),
        "contract_date" => t(l, "subs.contract_date").into(),
        "address" => t(l, "subs.address").into(),
        "phones" => t(l, "subs.phones").into(),
        "email" => "E-mail".into(),
        "tariff" => t(l, "subs.tariff").into(),
        "ip" => "IP".into(),
        "mac" => "MAC".into(),
        "connected" => t(l, "subs.connected").into(),
        "display" => t(l, "subs.display").into(),
        "dedicated_ip" => t(l, "subs.dedicated_ip").into(),
        other => other.to_string(),
    }
}

fn card_page(ctx: &Ctx, c: &Card, errors: &FormErrors) -> Markup {
    let l = ctx.locale;
    let r = &c.row;
    let id = urlencoding::encode(&r.billing_id).into_owned();
    html! {
        section #subscriber data-billing-id=(r.billing_id) {
            p.muted.small { a href="/subscribers" { "← " (t(l, "subs.title")) } " · " (r.folder) }
            h1 { (r.display) " " span class={ "badge " (status_word(r)) } data-status=(status_word(r)) { (status_label(l, r)) } }
            @if r.left_billing { (notice(t(l, "subs.left_notice"))) }
            div.actions {
                a href={ "/search?q=" (urlencoding::encode(&r.login)) } { (t(l, "subs.open_search")) }
                a href={ "/audit/entity/Subscriber/" (id) } { (t(l, "subs.audit")) }
                a.button.small #new-ticket href={ "/tickets/new?subscriber_id=" (id) } { (t(l, "tickets.new")) }
                @if ctx.can_get("/requests/new") { a.button.small #new-request href={ "/requests/new?subscriber_id=" (id) } { (t(l, "requests.new")) } }
            }
            div.cards {
                article.card #billing {
                    h2 { (t(l, "subs.billing")) }
                    dl.facts {
                        dt { (t(l, "subs.status")) } dd.status { (r.status) }
                        dt { (t(l, "subs.balance")) }
                        dd #balance {
                            @match &c.figures {
                                Some(f) => {
                                    @if let Some(b) = f.balance { strong class=[(b < 0.0).then_some("neg")] { (money(b)) } }
                                    @if let Some(cr) = f.credit { " · " (t(l, "subs.credit")) " " (money(cr)) }
                                    span.muted.small { " " (t(l, "subs.as_of")) " " (unix(f.synced_at)) }
                                }
                                None => { span.muted { "—" } }
                            }
                        }
                        @for (k, v) in &c.fields {
                            dt { (field_label(l, k)) } dd data-field=(k) { (v) }
                        }
                    }
                }
                article.card #online {
                    h2 { (t(l, "subs.online")) }
                    @match &c.session {
                        Some(s) if s.ended_at.is_none() => {
                            p { span.state.up { (t(l, "search.online_since")) } " " (unix(s.started_at)) }
                            dl.facts { @if let Some(ip) = &s.ip { dt { "IP" } dd { code { (ip) } } } @if let Some(m) = &s.mac { dt { "MAC" } dd { code { (m) } } } }
                        }
                        Some(s) => { p { span.state.down { (t(l, "search.offline")) } " " (t(l, "search.last_seen")) " " (unix(s.last_seen)) } }
                        None => { p.muted { (t(l, "subs.no_session")) } }
                    }
                }
            }
            article.card #port {
                h2 { (t(l, "subs.port")) }
                @match &c.port {
                    Some(m) => { (mac_card(ctx, m)) }
                    None => { (notice(t(l, "subs.no_mac"))) }
                }
            }
            article.card #stats {
                h2 { (t(l, "subs.stats")) }
                form.inline method="get" action={ "/subscribers/" (id) "/stats" }
                    hx-get={ "/subscribers/" (id) "/stats" } hx-target="#stats-out" hx-indicator="#stats-spin" {
                    label { (t(l, "subs.from")) " " input type="date" name="from" value=(default_from()); }
                    " " label { (t(l, "subs.to")) " " input type="date" name="to" value=(today()); }
                    " " button.small type="submit" { (t(l, "subs.show_stats")) }
                    span #stats-spin .htmx-indicator.muted { " " (t(l, "subs.loading")) }
                }
                div #stats-out aria-live="polite" {}
            }
            @if !c.tickets.is_empty() || !c.requests.is_empty() {
                article.card #subscriber-work {
                    @if !c.tickets.is_empty() {
                        h2 { (t(l, "tickets.title")) }
                        ul #subscriber-tickets { @for tk in &c.tickets {
                            li { a href=(format!("/tickets/{}", tk.id)) { (tk.problem.chars().take(80).collect::<String>()) } span.small.muted { " · " (super::tickets::status_label(l, &tk.status)) " · " (super::components::when(&tk.opened_at)) } }
                        } }
                    }
                    @if !c.requests.is_empty() {
                        h2 { (t(l, "requests.title")) }
                        ul #subscriber-requests { @for rq in &c.requests {
                            li { a href=(format!("/requests/{}", rq.id)) { (rq.name) } span.small.muted { " · " (super::requests::status_label(l, &rq.status)) " · " (super::components::when(&rq.opened_at)) } }
                        } }
                    }
                }
            }
            article.card #notes {
                h2 { (t(l, "subs.notes")) }
                @if c.notes.is_empty() { p.muted { (t(l, "subs.no_notes")) } }
                ul {
                    @for n in &c.notes { li { (n.text) span.muted.small { " · " (n.author) " · " (when(&n.at)) } } }
                }
                @if ctx.can_post("/subscribers/{id}/notes") {
                    form method="post" action={ "/subscribers/" (id) "/notes" } {
                        (hidden_csrf(&ctx.csrf))
                        textarea name="text" rows="2" maxlength="4000" aria-label=(t(l, "subs.note")) placeholder=(t(l, "subs.note")) {}
                        (errors.show("text"))
                        button.small type="submit" { (t(l, "subs.add_note")) }
                    }
                    form method="post" action={ "/subscribers/" (id) "/tags" } {
                        (hidden_csrf(&ctx.csrf))
                        label { (t(l, "subs.tags")) " " input type="text" name="tags" value=(r.tags.join(" ")) maxlength="900"; }
                        (errors.show("tags"))
                        " " button.small type="submit" { (t(l, "common.save")) }
                    }
                } @else if !r.tags.is_empty() {
                    p { (t(l, "subs.tags")) ": " (r.tags.join(" ")) }
                }
            }
            article.card #timeline {
                h2 { (t(l, "subs.timeline")) }
                ol.timeline {
                    @for e in c.timeline.iter().rev() {
                        li { code { (e.event_type) } " · " (when(&e.recorded_at)) " · " (e.meta().actor_login)
                            @let fields = ispmon_events::registry::readable_payload(&e.event_type, &e.payload);
                            @if !fields.is_empty() {
                                span.muted.small { " — " (fields.iter().take(6).map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; ")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

fn default_from() -> String {
    (chrono::Utc::now() - chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string()
}

async fn load(st: &AppState, id: &str) -> AppResult<Card> {
    subs::card(st, id).await?.ok_or(AppError::NotFound)
}

pub async fn show(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Markup> {
    let c = load(&st, &id).await?;
    let onts = super::gpon::subscriber_onts(&st, ctx.locale, &c.row.login).await?;
    Ok(respond(
        &ctx,
        &c.row.display.clone(),
        html! { (card_page(&ctx, &c, &FormErrors::default())) (onts) },
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoteForm {
    text: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TagsForm {
    tags: String,
}

async fn after(
    st: &AppState,
    ctx: &Ctx,
    id: &str,
    r: Result<u64, crate::commands::CommandError>,
) -> AppResult<Response> {
    match r {
        Ok(_) => Ok(axum::response::Redirect::to(&format!(
            "/subscribers/{}",
            urlencoding::encode(id)
        ))
        .into_response()),
        Err(e) => {
            let errors = FormErrors::from_command(e, ctx.locale)?;
            let c = load(st, id).await?;
            Ok((
                errors.status(),
                respond(ctx, &c.row.display.clone(), card_page(ctx, &c, &errors)),
            )
                .into_response())
        }
    }
}

pub async fn add_note(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<NoteForm>,
) -> AppResult<Response> {
    load(&st, &id).await?;
    let r = st
        .core
        .commands
        .subscriber(
            &id,
            SubscriberCommand::AddNote { text: f.text },
            &ctx.meta(),
        )
        .await;
    after(&st, &ctx, &id, r).await
}

pub async fn set_tags(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<TagsForm>,
) -> AppResult<Response> {
    load(&st, &id).await?;
    let tags = f
        .tags
        .split([' ', ','])
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    let r = st
        .core
        .commands
        .subscriber(&id, SubscriberCommand::SetTags { tags }, &ctx.meta())
        .await;
    match r {
        Err(e) if e.is_unchanged() => Ok(axum::response::Redirect::to(&format!(
            "/subscribers/{}",
            urlencoding::encode(&id)
        ))
        .into_response()),
        r => after(&st, &ctx, &id, r).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatsParams {
    from: String,
    to: String,
}

/// The session statistics of a period, fetched live from billing (an
/// htmx fragment; the card shows a spinner while it loads).
pub async fn stats(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<StatsParams>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    load(&st, &id).await?;
    let date = |s: &str| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d");
    let (Ok(from), Ok(to)) = (date(&p.from), date(&p.to)) else {
        return Err(AppError::BadRequest(
            "give the period as two dates, 2026-11-01 to 2026-11-30".into(),
        ));
    };
    if from > to || (to - from).num_days() > 366 {
        return Err(AppError::BadRequest(
            "the period starts before it ends and is at most a year".into(),
        ));
    }
    Ok(
        match crate::billing::session_stats(&st, &id, from, to).await {
            Err(e) => error_box(&e),
            Ok(rows) if rows.is_empty() => notice(t(l, "subs.no_stats")),
            Ok(rows) => html! {
                div.table-wrap { table.data #stats-table {
                    thead { tr { th { (t(l, "subs.stat_date")) } th { (t(l, "subs.stat_interval")) } th { (t(l, "subs.stat_what")) } th.num { "MB ↓" } th.num { "MB ↑" } th.num { (t(l, "subs.stat_sum")) } } }
                    tbody { @for r in rows.iter() {
                        tr { td.nowrap { (r.date) } td { (r.interval) } td { (r.description) } td.num { (format!("{:.2}", r.mb_in)) } td.num { (format!("{:.2}", r.mb_out)) } td.num { (format!("{:.2}", r.sum)) } }
                    } }
                } }
            },
        },
    )
}
