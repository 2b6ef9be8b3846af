//! HelpDesk pages: the ticket list (active first by due time, breaches
//! marked), a new ticket (pre-filled from a subscriber or a host, phones
//! and subscribers recognised in the text), and a ticket's page with its
//! SLA, status, assignee, comments, history and the subscriber beside it.

use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use ispmon_events::ticket::{allowed, Priority, TicketStatus};
use ispmon_projections::tickets::{TicketQuery, TicketView};
use maud::{html, Markup};
use serde::Deserialize;

use super::components::{hidden_csrf, query, when, FormErrors};
use super::layout::respond;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::{t, Locale};
use crate::state::AppState;
use crate::tickets::{self, TicketForm};

const PER_PAGE: usize = 50;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListParams {
    status: String,
    mine: String,
    sort: String,
    page: usize,
}

fn now() -> String {
    ispmon_projections::tickets::stamp(chrono::Utc::now())
}

pub fn status_label(l: Locale, s: &str) -> &'static str {
    match s {
        "open" => t(l, "tickets.s_open"),
        "in-progress" => t(l, "tickets.s_in_progress"),
        "waiting-subscriber" => t(l, "tickets.s_waiting_subscriber"),
        "waiting-parts" => t(l, "tickets.s_waiting_parts"),
        "resolved" => t(l, "tickets.s_resolved"),
        "closed" => t(l, "tickets.s_closed"),
        _ => t(l, "tickets.s_any"),
    }
}

fn priority_label(l: Locale, p: &str) -> &'static str {
    match p {
        "urgent" => t(l, "tickets.p_urgent"),
        "high" => t(l, "tickets.p_high"),
        "low" => t(l, "tickets.p_low"),
        _ => t(l, "tickets.p_normal"),
    }
}

fn due_cell(l: Locale, v: &TicketView, now: &str) -> Markup {
    html! {
        @if v.done { span.muted { "—" } }
        @else if v.paused && v.first_response_due.is_none() { span.muted { (t(l, "tickets.paused")) } }
        @else {
            @match v.next_due() {
                Some(d) => span class=[v.breached(now).then_some("bad")] { (when(d)) @if v.breached(now) { " · " (t(l, "tickets.breached")) } },
                None => span.muted { (t(l, "tickets.paused")) },
            }
        }
    }
}

/// `GET /tickets?status=&mine=1&sort=due|opened|priority&page=`
pub async fn list(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(p): Query<ListParams>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let status = if p.status.is_empty() {
        "active".to_string()
    } else {
        p.status.clone()
    };
    if status != "active" && status != "any" && TicketStatus::parse(&status).is_none() {
        return Err(AppError::BadRequest(format!("no status “{status}”")));
    }
    let mine = (p.mine == "1")
        .then(|| ctx.actor.as_ref().map(|a| a.login.clone()))
        .flatten();
    // The table is the same for everyone asking the same (it marks
    // breaches by the clock, so it is kept at most the memo's 2 s).
    let key = format!(
        "{}/{status}/{}/{}/{}",
        l.as_str(),
        p.sort,
        p.page,
        mine.as_deref().unwrap_or("")
    );
    let table = st
        .memos
        .tickets
        .get_or_load(key, st.data_version(), || {
            list_table(&st, l, &status, mine.clone(), &p.sort, p.page)
        })
        .await?;
    let mine = mine.is_some();
    Ok(respond(
        &ctx,
        t(l, "tickets.title"),
        html! {
            section #tickets {
                h1 { (t(l, "tickets.title")) }
                div.actions {
                    a.button #new-ticket href="/tickets/new" { (t(l, "tickets.new")) }
                    @if mine { a href=(format!("/tickets{}", query(&[("status", status.as_str())]))) { (t(l, "tickets.everyone")) } }
                    @else { a #mine href=(format!("/tickets{}", query(&[("status", status.as_str()), ("mine", "1")]))) { (t(l, "tickets.mine")) } }
                }
                (*table)
            }
        },
    ))
}

/// The tabs, one page of the list and the pager.
async fn list_table(
    st: &AppState,
    l: Locale,
    status: &str,
    mine: Option<String>,
    sort: &str,
    page: usize,
) -> AppResult<Markup> {
    let is_mine = mine.is_some();
    let rows = tickets::list(
        st,
        TicketQuery {
            status: status.to_string(),
            assignee: mine,
            subscriber_id: None,
            due_before: None,
            sort: sort.to_string(),
            limit: PER_PAGE + 1,
            offset: page * PER_PAGE,
        },
    )
    .await?;
    let more = rows.len() > PER_PAGE;
    let rows = &rows[..rows.len().min(PER_PAGE)];
    let now = now();
    let link = |status: &str, sort: &str, page: usize| {
        let page = page.to_string();
        let mut q = vec![("status", status), ("sort", sort)];
        if is_mine {
            q.push(("mine", "1"));
        }
        if page != "0" {
            q.push(("page", &page));
        }
        format!("/tickets{}", query(&q))
    };
    Ok(html! {
        nav.tabs {
            @for s in ["active", "open", "in-progress", "waiting-subscriber", "waiting-parts", "resolved", "closed", "any"] {
                a class=[(s == status).then_some("current")] href=(link(s, sort, 0)) {
                    (if s == "active" { t(l, "tickets.active") } else { status_label(l, s) })
                }
            }
        }
        @if rows.is_empty() { p.muted.empty #tickets-empty { (t(l, "tickets.none")) } }
        @else {
            div.table-wrap { table.data #ticket-list {
                thead { tr {
                    th { a href=(link(status, "priority", 0)) { (t(l, "tickets.priority")) } }
                    th { (t(l, "tickets.status")) }
                    th { (t(l, "tickets.subscriber")) }
                    th { (t(l, "tickets.problem")) }
                    th { (t(l, "tickets.assignee")) }
                    th { a href=(link(status, "due", 0)) { (t(l, "tickets.due")) } }
                    th { a href=(link(status, "opened", 0)) { (t(l, "tickets.opened")) } }
                } }
                tbody { @for v in rows {
                    tr data-id=(v.id) data-status=(v.status) class=[v.breached(&now).then_some("breached")] {
                        td { span class=(format!("badge prio-{}", v.priority)) { (priority_label(l, &v.priority)) } }
                        td { (status_label(l, &v.status)) }
                        td { (v.login.as_deref().unwrap_or("")) div.small.muted { (v.address) } }
                        td { a href=(format!("/tickets/{}", v.id)) { (short(&v.problem, 80)) } }
                        td { (v.assignee.as_deref().unwrap_or("—")) }
                        td.nowrap { (due_cell(l, v, &now)) }
                        td.nowrap { (when(&v.opened_at)) }
                    }
                } }
            } }
            nav.pager {
                @if page > 0 { a rel="prev" href=(link(status, sort, page - 1)) { "← " (t(l, "common.prev")) } }
                @if more { a rel="next" href=(link(status, sort, page + 1)) { (t(l, "common.next")) " →" } }
            }
        }
    })
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n).collect();
        out.push('…');
        out
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewParams {
    subscriber_id: String,
    host_id: String,
    problem: String,
}

fn form_page(ctx: &Ctx, f: &TicketForm, errors: &FormErrors, suggest: Markup) -> Markup {
    let l = ctx.locale;
    html! {
        section #ticket-new {
            p.small { a href="/tickets" { "← " (t(l, "tickets.title")) } }
            h1 { (t(l, "tickets.new")) }
            @if let Some(m) = errors.get("form") { p.error { (m) } }
            form.card #ticket-form method="post" action="/tickets" {
                (hidden_csrf(&ctx.csrf))
                input type="hidden" name="subscriber_id" value=(f.subscriber_id);
                input type="hidden" name="port" value=(f.port);
                input type="hidden" name="ont_id" value=(f.ont_id);
                input type="hidden" name="host_id" value=(f.host_id);
                label { (t(l, "tickets.problem"))
                    textarea name="problem" rows="4" required maxlength="4000"
                        hx-get="/tickets/suggest" hx-trigger="input changed delay:400ms" hx-target="#suggest" hx-swap="innerHTML" { (f.problem) }
                    (errors.show("problem")) }
                div #suggest aria-live="polite" { (suggest) }
                div.grid {
                    label { (t(l, "tickets.login")) input type="text" name="login" value=(f.login) maxlength="64"; (errors.show("login")) }
                    label { (t(l, "tickets.phone")) input type="tel" name="phone" value=(f.phone) placeholder="+7 916 123-45-67"; (errors.show("phone")) }
                    label { (t(l, "tickets.address")) input type="text" name="address" value=(f.address) maxlength="300"; (errors.show("address")) }
                    label { (t(l, "tickets.category")) input type="text" name="category" value=(f.category) list="categories" maxlength="64"; (errors.show("category")) }
                    label { (t(l, "tickets.priority"))
                        select name="priority" { @for p in Priority::ALL { option value=(p.as_str()) selected[p.as_str() == f.priority] { (priority_label(l, p.as_str())) } } }
                        (errors.show("priority")) }
                }
                datalist #categories { @for c in ["no-internet", "slow", "no-tv", "node-down", "wiring", "equipment", "billing"] { option value=(c) {} } }
                @if !f.port.is_empty() || !f.ont_id.is_empty() || !f.host_id.is_empty() {
                    p.small.muted #ticket-links {
                        @if !f.port.is_empty() { (t(l, "tickets.port")) ": " (f.port) " " }
                        @if !f.ont_id.is_empty() { "ONT: " (f.ont_id) " " }
                        @if !f.host_id.is_empty() { (t(l, "tickets.host")) ": " (f.host_id) }
                    }
                }
                button type="submit" #ticket-submit { (t(l, "tickets.open")) }
            }
        }
    }
}

/// `GET /tickets/new?subscriber_id=&host_id=&problem=`
pub async fn new(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(p): Query<NewParams>,
) -> AppResult<Markup> {
    let mut f = tickets::prefill(
        &st,
        Some(p.subscriber_id.as_str()),
        Some(p.host_id.as_str()),
    )
    .await?;
    f.problem = p.problem;
    let suggest = if f.subscriber_id.is_empty() && !f.problem.is_empty() {
        suggestions(&st, ctx.locale, &f.problem).await?
    } else {
        html! {}
    };
    Ok(respond(
        &ctx,
        t(ctx.locale, "tickets.new"),
        form_page(&ctx, &f, &FormErrors::default(), suggest),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SuggestParams {
    problem: String,
}

async fn suggestions(st: &AppState, l: Locale, text: &str) -> AppResult<Markup> {
    let (phones, found) = tickets::suggest(st, text).await?;
    Ok(html! {
        @if !phones.is_empty() { p.small #found-phones { (t(l, "tickets.phones_found")) ": " @for p in &phones { span.mono.phone { (p) } " " } } }
        @if !found.is_empty() {
            ul.small #suggestions { @for s in &found {
                li data-billing-id=(s.billing_id) {
                    (s.display) " · " (s.login) @if let Some(a) = &s.address { " · " (a) } span.muted { " (" (s.by) ")" } " "
                    a.button.small.use href=(format!("/tickets/new{}", query(&[("subscriber_id", s.billing_id.as_str()), ("problem", text)]))) { (t(l, "tickets.use")) }
                }
            } }
        }
    })
}

/// `GET /tickets/suggest?problem=`: phones and subscribers in the text.
pub async fn suggest(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(p): Query<SuggestParams>,
) -> AppResult<Markup> {
    if p.problem.chars().count() > ispmon_events::ticket::MAX_PROBLEM {
        return Err(AppError::BadRequest("the text is too long".into()));
    }
    suggestions(&st, ctx.locale, &p.problem).await
}

/// `POST /tickets`
pub async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<TicketForm>,
) -> AppResult<Response> {
    match tickets::open(&st, &f, &ctx.meta()).await {
        Ok(id) => Ok(Redirect::to(&format!("/tickets/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => {
            let body = form_page(&ctx, &f, &errors, html! {});
            Ok((
                errors.status(),
                respond(&ctx, t(ctx.locale, "tickets.new"), body),
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

async fn ticket_page(
    st: &AppState,
    ctx: &Ctx,
    id: &str,
    errors: &FormErrors,
) -> AppResult<Option<Markup>> {
    let l = ctx.locale;
    let Some(v) = tickets::get(st, id).await? else {
        return Ok(None);
    };
    let (comments, history) = tickets::thread(st, id).await?;
    let aid = id.to_string();
    let attachments = st
        .core
        .views
        .read(move |c| ispmon_projections::tickets::attachments(c, &aid))
        .await?;
    let card = match &v.subscriber_id {
        Some(s) => crate::subscribers::card(st, s).await?,
        None => None,
    };
    // An imported ticket comes without its subscriber: who it may be.
    let maybe = if card.is_none() {
        let mut found = tickets::suggest(st, &v.address).await?.1;
        if found.is_empty() {
            found = tickets::suggest(st, &v.problem).await?.1;
        }
        found
    } else {
        Vec::new()
    };
    let sends = if v.billing_ticket_id.is_some() {
        let sid = id.to_string();
        st.core
            .views
            .read(move |c| ispmon_projections::ticket_billing::sends(c, &sid))
            .await?
    } else {
        Vec::new()
    };
    let close_send = sends.iter().find(|s| s.comment_id.is_none());
    let onts = match &v.login {
        Some(login) => crate::gpon::onts_of_login(st, login).await?,
        None => Vec::new(),
    };
    let now = now();
    let current = v.status();
    let next: Vec<TicketStatus> = TicketStatus::ALL
        .iter()
        .copied()
        .filter(|to| current.is_some_and(|c| allowed(c, *to)))
        .collect();
    let title = format!("{} · {}", t(l, "tickets.ticket"), short(&v.problem, 40));
    Ok(Some(respond(
        ctx,
        &title,
        html! {
            section #ticket data-id=(v.id) data-status=(v.status) {
                p.small { a href="/tickets" { "← " (t(l, "tickets.title")) } }
                h1 { (short(&v.problem, 80)) " " span class=(format!("badge prio-{}", v.priority)) { (priority_label(l, &v.priority)) } }
                @if let Some(m) = errors.get("form") { p.error #ticket-error { (m) } }
                div.cards {
                    article.card #ticket-details {
                        dl.facts {
                            dt { (t(l, "tickets.status")) } dd #ticket-status { (status_label(l, &v.status)) }
                            dt { (t(l, "tickets.sla")) } dd #ticket-sla {
                                @if let Some(d) = &v.first_response_due { (t(l, "tickets.first_response")) " " span class=[(d.as_str() < now.as_str()).then_some("bad")] { (when(d)) } br; }
                                @if let Some(d) = &v.resolution_due { (t(l, "tickets.resolution")) " " span class=[(d.as_str() < now.as_str()).then_some("bad")] { (when(d)) } }
                                @if v.paused { span.muted { (t(l, "tickets.paused")) } }
                                @if v.breached(&now) { " " strong.bad #ticket-breached { (t(l, "tickets.breached")) } }
                            }
                            dt { (t(l, "tickets.subscriber")) } dd { (v.login.as_deref().unwrap_or("—")) }
                            dt { (t(l, "tickets.address")) } dd { (v.address) }
                            dt { (t(l, "tickets.phone")) } dd.mono { (v.phone.as_deref().unwrap_or("—")) }
                            dt { (t(l, "tickets.category")) } dd { (v.category) }
                            dt { (t(l, "tickets.assignee")) } dd #ticket-assignee { (v.assignee.as_deref().unwrap_or("—")) }
                            dt { (t(l, "tickets.opened")) } dd { (when(&v.opened_at)) " · " (v.opened_by) }
                            @if let Some(b) = &v.billing_ticket_id {
                                dt { (t(l, "tickets.billing")) } dd #ticket-billing {
                                    "№" (b)
                                    @if let Some(c) = close_send { br; (t(l, "tickets.billing_close")) ": " (send_state(l, c)) }
                                }
                            }
                        }
                        p.problem { (v.problem) }
                        @if !next.is_empty() {
                            form.inline #status-form method="post" action=(format!("/tickets/{}/status", v.id)) {
                                (hidden_csrf(&ctx.csrf))
                                select name="status" { @for s in &next { option value=(s.as_str()) { (status_label(l, s.as_str())) } } }
                                input type="text" name="note" placeholder=(t(l, "tickets.note")) maxlength="500";
                                button.small type="submit" { (t(l, "tickets.change_status")) }
                                (errors.show("status"))
                            }
                        }
                        form.inline #assign-form method="post" action=(format!("/tickets/{}/assign", v.id)) {
                            (hidden_csrf(&ctx.csrf))
                            input type="text" name="assignee" value=(v.assignee.as_deref().unwrap_or("")) placeholder=(t(l, "tickets.login")) maxlength="64";
                            button.small type="submit" { (t(l, "tickets.assign")) }
                            (errors.show("assignee"))
                        }
                    }
                    aside.card #ticket-subscriber {
                        h2 { (t(l, "tickets.subscriber")) }
                        @match &card {
                            None => {
                                p.muted { (t(l, "tickets.no_subscriber")) }
                                @if !maybe.is_empty() {
                                    p.small { (t(l, "tickets.maybe")) }
                                    ul.small #ticket-suggestions { @for s in &maybe {
                                        li data-billing-id=(s.billing_id) {
                                            (s.display) " · " (s.login) @if let Some(a) = &s.address { " · " (a) } span.muted { " (" (s.by) ")" } " "
                                            form.inline method="post" action=(format!("/tickets/{}/subscriber", v.id)) {
                                                (hidden_csrf(&ctx.csrf))
                                                input type="hidden" name="billing_id" value=(s.billing_id);
                                                button.small type="submit" { (t(l, "tickets.link")) }
                                            }
                                        }
                                    } }
                                }
                                (errors.show("subscriber"))
                            },
                            Some(c) => {
                                p { a href=(format!("/subscribers/{}", urlencoding::encode(&c.row.billing_id))) { (c.row.display) } " · " (c.row.login) }
                                p #ticket-online { @if c.online() { span.badge.good { (t(l, "tickets.online")) } } @else { span.badge { (t(l, "tickets.offline")) } } }
                                @if let Some(loc) = c.port.as_ref().and_then(|p| p.location.as_ref()) {
                                    p #ticket-port { (t(l, "tickets.port")) ": " a href=(format!("/search{}", query(&[("q", c.row.login.as_str())]))) { (loc.device) " " (loc.port) } " VLAN " (loc.vlan) }
                                }
                                @for o in &onts {
                                    p #ticket-ont { "ONT " a href=(format!("/gpon/onts/{}", o.ont.id)) { (o.ont.port) " #" (o.ont.ont_id) } " · " (o.ont.run) " · " (o.ont.signal)
                                        @if let Some(rx) = o.reading.as_ref().and_then(|r| r.rx_dbm) { " · Rx " (format!("{rx:.2}")) " dBm" } }
                                }
                            }
                        }
                    }
                }
                h2 { (t(l, "tickets.comments")) }
                @if comments.is_empty() { p.muted { "—" } }
                ol.comments #ticket-comments { @for c in &comments {
                    li { span.small.muted { (when(&c.at)) " · " (c.author) @if c.imported { " · " (t(l, "tickets.imported")) } }
                        @if v.billing_ticket_id.is_some() && !c.imported {
                            " " span.small.billing-send data-comment=(c.n) {
                                @match sends.iter().find(|s| s.comment_id == Some(c.n as usize)) {
                                    Some(s) => (send_state(l, s)),
                                    None => span.muted { (t(l, "tickets.billing_queued")) },
                                }
                            }
                        }
                        p { (c.body) } }
                } }
                form #comment-form method="post" action=(format!("/tickets/{}/comments", v.id)) {
                    (hidden_csrf(&ctx.csrf))
                    label { (t(l, "tickets.comment")) textarea name="body" rows="3" required maxlength="8000" {} (errors.show("body")) }
                    button.small type="submit" { (t(l, "tickets.add_comment")) }
                }
                h2 { (t(l, "tickets.attachments")) }
                @if attachments.is_empty() { p.muted { "—" } }
                ul #ticket-attachments { @for a in &attachments {
                    li { a href=(format!("/tickets/{}/attachments/{}", v.id, a.blob)) { (a.name) } span.small.muted { " · " (a.content_type) " · " (format!("{:.1} KB", a.size as f64 / 1024.0)) " · " (when(&a.at)) } }
                } }
                // A multipart body is not read for the token: it goes in the URL.
                form #attach-form method="post" enctype="multipart/form-data" action=(format!("/tickets/{}/attachments?_csrf={}", v.id, ctx.csrf)) {
                    label { (t(l, "tickets.attach_file")) input type="file" name="file" accept="image/*,application/pdf" capture="environment" required; (errors.show("file")) }
                    button.small type="submit" { (t(l, "tickets.attach")) }
                }
                h2 { (t(l, "tickets.history")) }
                ul.small #ticket-history { @for (at, by, what) in &history { li { (when(at)) " · " (by) " · " (what) } } }
            }
        },
    )))
}

/// How a send to billing went: sent (when), retrying (how many attempts
/// failed, the last reason) or given up.
pub(crate) fn send_state(l: Locale, s: &ispmon_projections::ticket_billing::SendRow) -> Markup {
    use ispmon_projections::ticket_billing::{RETRYING, SENT};
    html! {
        @if s.state == SENT {
            span.good { (t(l, "tickets.billing_sent")) } span.muted { " · " (when(&s.at)) }
        } @else if s.state == RETRYING {
            span.bad { (t(l, "tickets.billing_retrying")) " " (s.failures) }
            @if let Some(r) = &s.reason { span.muted { " · " (r) } }
        } @else {
            span.bad { (t(l, "tickets.billing_given_up")) " " (s.failures) }
            @if let Some(r) = &s.reason { span.muted { " · " (r) } }
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LinkForm {
    billing_id: String,
}

/// `POST /tickets/{id}/subscriber`: links the subscriber a suggestion named.
pub async fn link(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<LinkForm>,
) -> AppResult<Response> {
    exists(&st, &id).await?;
    let r = tickets::link_subscriber(&st, &id, &f.billing_id, &ctx.meta()).await;
    after(&st, &ctx, &id, r).await
}

/// `GET /tickets/{id}`
pub async fn show(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Markup> {
    ticket_page(&st, &ctx, &id, &FormErrors::default())
        .await?
        .ok_or(AppError::NotFound)
}

async fn after(st: &AppState, ctx: &Ctx, id: &str, r: AppResult<()>) -> AppResult<Response> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/tickets/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => {
            let page = ticket_page(st, ctx, id, &errors)
                .await?
                .ok_or(AppError::NotFound)?;
            Ok((errors.status(), page).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn exists(st: &AppState, id: &str) -> AppResult<()> {
    tickets::get(st, id)
        .await?
        .map(|_| ())
        .ok_or(AppError::NotFound)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    status: String,
    note: String,
}

/// `POST /tickets/{id}/status`
pub async fn status(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> AppResult<Response> {
    exists(&st, &id).await?;
    let r = tickets::change_status(&st, &id, &f.status, &f.note, &ctx.meta()).await;
    after(&st, &ctx, &id, r).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssignForm {
    assignee: String,
}

/// `POST /tickets/{id}/assign`
pub async fn assign(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<AssignForm>,
) -> AppResult<Response> {
    exists(&st, &id).await?;
    let r = tickets::assign(&st, &id, &f.assignee, &ctx.meta()).await;
    after(&st, &ctx, &id, r).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CommentForm {
    body: String,
}

/// `POST /tickets/{id}/comments`
pub async fn comment(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<CommentForm>,
) -> AppResult<Response> {
    exists(&st, &id).await?;
    let r = tickets::comment(&st, &id, &f.body, &ctx.meta()).await;
    after(&st, &ctx, &id, r).await
}

/// `POST /tickets/{id}/attachments` (multipart, `file`): a photo from the
/// field or a PDF, at most 10 MiB, recognised by its content.
pub async fn attach(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    mut mp: Multipart,
) -> AppResult<Response> {
    exists(&st, &id).await?;
    let r = match file_field(&mut mp).await {
        Ok((name, bytes)) => tickets::attach(&st, &id, &name, bytes, &ctx.meta()).await,
        Err(e) => Err(e),
    };
    after(&st, &ctx, &id, r).await
}

/// The `file` field of a multipart form: (its name, its bytes); a form
/// without one, or one cut short, is a field error.
pub(crate) async fn file_field(mp: &mut Multipart) -> AppResult<(String, Vec<u8>)> {
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut refused: Option<String> = None;
    loop {
        match mp.next_field().await {
            Ok(Some(f)) if f.name() == Some("file") => {
                let name = f.file_name().unwrap_or_default().to_string();
                match f.bytes().await {
                    Ok(b) => file = Some((name, b.to_vec())),
                    Err(e) => refused = Some(e.body_text()),
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                refused = Some(e.body_text());
                break;
            }
        }
    }
    match (file, refused) {
        (Some(file), None) => Ok(file),
        (_, reason) => {
            let mut e = FormErrors::default();
            e.add(
                "file",
                reason.unwrap_or_else(|| "choose a file".to_string()),
            );
            Err(AppError::Invalid(e))
        }
    }
}

/// `GET /tickets/{id}/attachments/{blob}`: the file, as what it is.
pub async fn attachment(
    State(st): State<AppState>,
    Path((id, blob)): Path<(String, String)>,
) -> AppResult<Response> {
    let tid = id.clone();
    let found = st
        .core
        .views
        .read(move |c| ispmon_projections::tickets::attachments(c, &tid))
        .await?
        .into_iter()
        .find(|a| a.blob == blob)
        .ok_or(AppError::NotFound)?;
    serve_attachment(&st, &found).await
}

/// A stored attachment, inline, as what it is.
pub(crate) async fn serve_attachment(
    st: &AppState,
    found: &ispmon_projections::tickets::AttachmentView,
) -> AppResult<Response> {
    let reader = super::firmware::open_blob(st, &found.blob, "attachment").await?;
    let name = super::firmware::header_file_name(&found.name);
    use axum::http::header;
    Ok((
        [
            (header::CONTENT_TYPE, found.content_type.clone()),
            (header::CONTENT_LENGTH, found.size.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        super::firmware::stream_blob(reader, found.blob.clone()),
    )
        .into_response())
}
