//! The landing page after login: counts, users online, recent changes —
//! each shown only to roles that may open the view behind it. The panels
//! stay live over one server-sent event stream (`/home/live`): the server
//! looks at the data's version (an atomic read, each second and on every
//! append) and sends the panels again only when they render differently;
//! the page swaps them in (`static/live.js`). Nothing polls from the page.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use ispmon_events::store::EventFilter;
use maud::{html, Markup};

use super::layout::respond;
use crate::auth::Ctx;
use crate::error::AppResult;
use crate::i18n::t;
use crate::state::AppState;

pub async fn show(State(st): State<AppState>, ctx: Ctx) -> AppResult<Markup> {
    let l = ctx.locale;
    let actor = ctx.actor()?;
    // What the panels show depends on the language and the role only (the
    // greeting is the one personal line), so they are read and rendered
    // once per change of the data, for everyone of that role.
    let panels = memoised(&st, &ctx).await?;
    let body = html! {
        section #home {
            h1 { (t(l, "home.welcome")) ", " (actor.login) }
            div #home-panels data-live="/home/live" { (*panels) }
            script src="/static/live.js" defer {}
        }
    };
    Ok(respond(&ctx, t(l, "home.title"), body))
}

async fn memoised(st: &AppState, ctx: &Ctx) -> AppResult<Arc<Markup>> {
    let actor = ctx.actor()?;
    let key = format!("{}/{}", ctx.locale.as_str(), actor.role.as_str());
    let version = st.data_version();
    st.memos
        .dashboard
        .get_or_load(key, version, || panels(st, ctx))
        .await
}

/// How often the stream looks at the data's version besides on appends
/// (telemetry and the read models move without an append of their own).
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// How many sends to billing that are not done the dashboard lists.
const UNSENT_ROWS: usize = 5;

/// What the dashboard shows of the tickets.
struct TicketPanels {
    active: i64,
    breached: i64,
    /// Tickets per status, closed ones left out.
    by_status: Vec<(String, i64)>,
    /// Sends to billing not done (retrying or given up), with their tickets.
    unsent: Vec<(String, ispmon_projections::ticket_billing::SendRow)>,
}

/// The panels, live: sent at once, then each time they render
/// differently. One stream per open page, closed with it.
pub async fn live(
    State(st): State<AppState>,
    ctx: Ctx,
) -> AppResult<Sse<impl futures::Stream<Item = Result<Event, Infallible>>>> {
    let first = memoised(&st, &ctx).await?.0.clone();
    let head = st.core.store.subscribe();
    let start = (st, ctx, head, None::<String>, Some(first));
    let stream = futures::stream::unfold(start, |(st, ctx, mut head, last, next)| async move {
        let mut next = next;
        loop {
            if let Some(html) = next.take() {
                if last.as_deref() != Some(html.as_str()) {
                    let event = Event::default().event("panels").data(html.clone());
                    return Some((Ok(event), (st, ctx, head, Some(html), None)));
                }
            }
            tokio::select! {
                changed = head.changed() => {
                    if changed.is_err() {
                        return None; // the store closed: the server stops
                    }
                }
                _ = tokio::time::sleep(LOOK_EVERY) => {}
            }
            // A failed read keeps what the page shows; the next look retries.
            next = memoised(&st, &ctx).await.ok().map(|m| m.0.clone());
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// Every panel the role may see, read in one read of the read models (and
/// one of the log for the recent changes).
async fn panels(st: &AppState, ctx: &Ctx) -> AppResult<Markup> {
    let l = ctx.locale;
    let show_sessions = ctx.can_get("/admin/sessions");
    let (show_down, show_devices) = (ctx.can_get("/icmp"), ctx.can_get("/devices"));
    let (show_tickets, show_gpon) = (ctx.can_get("/tickets"), ctx.can_get("/gpon"));
    let show_requests = ctx.can_get("/requests");
    let visit_day = crate::requests::today().to_string();
    let now = ispmon_events::store::now_rfc3339();
    let due_now = ispmon_projections::tickets::stamp(chrono::Utc::now());
    let today = format!("{}T00:00:00", chrono::Utc::now().format("%Y-%m-%d"));
    let (users, online, down, device_counts, (tickets, gpon, requests)) = st
        .core
        .views
        .read(move |c| {
            let tickets = if show_tickets {
                let (active, breached) = ispmon_projections::tickets::summary(c, &due_now)?;
                Some(TicketPanels {
                    active,
                    breached,
                    by_status: ispmon_projections::tickets::counts(c)?,
                    unsent: ispmon_projections::ticket_billing::unsent(c, UNSENT_ROWS)?,
                })
            } else {
                None
            };
            let requests = if show_requests {
                let counts = ispmon_projections::requests::counts(c)?;
                let visits = ispmon_projections::requests::visits_on(c, &visit_day)?;
                Some((counts, visits))
            } else {
                None
            };
            let gpon = if show_gpon {
                let all = ispmon_projections::gpon::olt_counts(c)?;
                Some(
                    all.iter()
                        .fold((0, 0), |(a, w), (_, n)| (a + n.autofind, w + n.weak)),
                )
            } else {
                None
            };
            let users = ispmon_projections::users::count(c)?;
            let online = ispmon_projections::sessions::open(c, &now)?;
            let down = show_down
                .then(|| super::icmp::board::down_panel_data(c))
                .transpose()?;
            let devices = if show_devices {
                let (devices, failing) = ispmon_projections::devices::counts(c)?;
                let changes = ispmon_projections::devices::versions_since(c, &today)?;
                Some((devices, failing, changes))
            } else {
                None
            };
            Ok((users, online, down, devices, (tickets, gpon, requests)))
        })
        .await?;
    let down = down.map(|p| super::icmp::board::down_panel(ctx, &p));
    // Jobs whose last run failed, with what it said (the scheduler's own
    // statuses, not the log).
    let failing_jobs: Option<Vec<(&'static str, String)>> = ctx.can_get("/admin/jobs").then(|| {
        st.scheduler
            .status()
            .into_iter()
            .filter_map(|(name, s)| match s.last_outcome {
                Some(Err(m)) => Some((name, m)),
                _ => None,
            })
            .collect()
    });
    let show_audit = ctx.can_get("/audit/events");
    let recent = if show_audit {
        st.core
            .store
            .query(EventFilter {
                limit: 10,
                ..Default::default()
            })
            .await?
    } else {
        Vec::new()
    };
    Ok(html! {
        div.stats {
            div.stat { span.n { (online.len()) } span { (t(l, "home.online")) } }
            @if ctx.can_get("/admin/users") {
                a.stat href="/admin/users" { span.n { (users) } span { (t(l, "home.users")) } }
            }
            @if let Some((devices, failing, changes)) = device_counts {
                a.stat href="/devices" { span.n { (devices) } span { (t(l, "home.devices")) } }
                a.stat href="/devices?sort=status" { span.n { (failing) } span { (t(l, "home.pulls_failing")) } }
                a.stat href="/devices?sort=version_at&desc=1" { span.n { (changes) } span { (t(l, "home.config_changes")) } }
            }
            @if let Some(tp) = &tickets {
                a.stat.bad[tp.breached > 0] #stat-breached href="/tickets?sort=due" { span.n { (tp.breached) } span { (t(l, "home.breached")) } }
                a.stat #stat-tickets href="/tickets" { span.n { (tp.active) } span { (t(l, "home.tickets")) } }
            }
            @if let Some((counts, visits)) = &requests {
                @let waiting: i64 = counts.iter().filter(|(s, _)| s == "open" || s == "awaiting_reply").map(|(_, n)| n).sum();
                a.stat #stat-requests href="/requests" { span.n { (waiting) } span { (t(l, "requests.waiting")) } }
                a.stat #stat-visits href="/visits" { span.n { (visits.len()) } span { (t(l, "requests.today")) } }
            }
            @if let Some((waiting, weak)) = gpon {
                a.stat #stat-autofind href="/gpon" { span.n { (waiting) } span { (t(l, "home.autofind")) } }
                a.stat #stat-weak href="/gpon" { span.n { (weak) } span { (t(l, "home.weak")) } }
            }
            @if let Some(failing) = &failing_jobs {
                a.stat.bad[!failing.is_empty()] #stat-jobs href="/admin/jobs" { span.n { (failing.len()) } span { (t(l, "home.jobs_failing")) } }
            }
            @if show_audit {
                a.stat href="/audit/events" { span.n { (st.core.store.head()) } span { (t(l, "home.events")) } }
            }
        }
        @if let Some(panel) = &down { (panel) }
        @if let Some(failing) = failing_jobs.as_ref().filter(|f| !f.is_empty()) {
            h2 { a href="/admin/jobs" { (t(l, "home.jobs_failing")) " (" (failing.len()) ")" } }
            ul.small #failing-jobs { @for (name, m) in failing { li { code { (name) } ": " span.field-error { (m) } } } }
        }
        @if let Some(tp) = tickets.as_ref().filter(|tp| !tp.unsent.is_empty()) {
            h2 { (t(l, "home.billing_unsent")) }
            ul.small #billing-unsent { @for (ticket, s) in &tp.unsent {
                li {
                    a href=(format!("/tickets/{ticket}")) { "№ " (s.billing_ticket_id) }
                    " · " @if s.comment_id.is_some() { (t(l, "tickets.billing_comment")) } @else { (t(l, "tickets.billing_close")) }
                    ": " (super::tickets::send_state(l, s))
                }
            } }
        }
        @if let Some(tp) = &tickets {
            @if !tp.by_status.is_empty() {
                p.small #tickets-by-status { (t(l, "home.tickets")) ": "
                    @for (s, n) in &tp.by_status { a href=(format!("/tickets?status={s}")) { (super::tickets::status_label(l, s)) " " (n) } " · " } }
            }
        }
        @if let Some((_, visits)) = &requests {
            @if !visits.is_empty() {
                h2 { a href="/requests" { (t(l, "requests.today")) } }
                div.table-wrap { table.data #today-visits {
                    tbody { @for v in visits {
                        tr data-status=(v.status) {
                            td.nowrap { (v.visit_from.as_deref().unwrap_or("")) "–" (v.visit_to.as_deref().unwrap_or("")) }
                            td { (v.installer.as_deref().unwrap_or("—")) }
                            td { a href=(format!("/requests/{}", v.id)) { (v.name) } div.small.muted { (v.address) } }
                            td { (super::requests::status_label(l, &v.status)) }
                        }
                    } }
                } }
            }
        }
        @if show_sessions {
            h2 { a href="/admin/sessions" { (t(l, "home.online")) } }
            (super::sessions::table(st, ctx, &online, false))
        }
        @if show_audit {
            h2 { a href="/audit/events" { (t(l, "home.recent")) } }
            (super::audit::events_table(ctx, &recent))
        }
    })
}
