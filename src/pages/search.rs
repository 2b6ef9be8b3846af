//! Search Port: one box for a login, a MAC (any notation, or a pasted log
//! line), an IP or a device name; answers as you type (htmx, debounced). A
//! MAC's edge port comes first, then where else it is seen (uplinks with
//! why), then its moves; "re-check live" asks the switch now.

use axum::extract::{Query, State};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::{t, Locale};
use crate::pages::components::{error_box, hidden_csrf, notice, when};
use crate::pages::device_fdb::uplink_reason;
use crate::pages::layout::respond;
use crate::search::{self, Answer, Hit, MacAnswer, MAX_QUERY};
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    /// "Where was it at": a time (`2026-12-01T10:00`, UTC, as a
    /// datetime-local field sends it, or RFC 3339).
    #[serde(default)]
    at: String,
}

/// A time from the "at" field: RFC 3339, or a datetime-local value (UTC).
fn parse_at(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    let t = text.trim();
    if let Ok(x) = chrono::DateTime::parse_from_rfc3339(t) {
        return Ok(x.with_timezone(&chrono::Utc));
    }
    for f in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(x) = chrono::NaiveDateTime::parse_from_str(t, f) {
            return Ok(x.and_utc());
        }
    }
    Err(format!("“{t}” is not a time: use 2026-12-01T10:00 (UTC)"))
}

/// "Where was it at T": the MAC's (or the login's MAC's) edge then.
async fn located(st: &AppState, ctx: &Ctx, q: &SearchQuery) -> AppResult<Markup> {
    let l = ctx.locale;
    let at = match parse_at(&q.at) {
        Ok(at) => at,
        Err(reason) => return Ok(error_box(&reason)),
    };
    let who = match search::Query::parse(&q.q) {
        Ok(search::Query::Mac { mac }) => Ok(mac),
        Ok(search::Query::Name { text }) => Err(text),
        Ok(search::Query::Ip { ip }) => {
            // Who had the IP then.
            let had = st
                .core
                .telemetry
                .sessions_with_ip_at(ip.clone(), at.timestamp())
                .await?;
            return Ok(html! {
                div.card #located {
                    h2 { (t(l, "search.at_ip")) " " code { (ip) } " · " (at.format("%Y-%m-%d %H:%M")) }
                    @if had.is_empty() { p.muted { (t(l, "search.at_nobody")) } }
                    ul {
                        @for s in &had {
                            li { strong.login { (s.login) } @if let Some(m) = &s.mac { " · " code { (m) } }
                                " · " (unix(s.started_at)) " – " (s.ended_at.map(unix).unwrap_or_else(|| t(l, "search.still_online").to_string())) }
                        }
                    }
                }
            });
        }
        Err(AppError::BadRequest(reason)) => return Ok(error_box(&reason)),
        Err(e) => return Err(e),
    };
    let found = search::locate(st, who, at).await?;
    let when_text = at.format("%Y-%m-%d %H:%M").to_string();
    Ok(html! {
        div.card #located {
            h2 { (t(l, "search.at_title")) " " (when_text) }
            @match &found.location {
                Some(p) => {
                    p { a href={ "/devices/" (p.device_id) } { (p.device) } " · " strong.port { (p.port) } " · VLAN " (p.vlan)
                        @if let Some(m) = &found.mac { " · " code { (m) } } }
                }
                None => { p.muted { (t(l, "search.at_nowhere")) } }
            }
        }
    })
}

fn search_box(l: Locale, q: &str, at: &str) -> Markup {
    html! {
        form.search-port method="get" action="/search" role="search"
            hx-get="/search" hx-trigger="input changed delay:300ms from:#q, submit"
            hx-target="#search-results" hx-select="#search-results" hx-swap="outerHTML" hx-push-url="true" {
            input #q type="search" name="q" value=(q) maxlength=(MAX_QUERY) autofocus
                placeholder=(t(l, "search.hint")) aria-label=(t(l, "search.hint"));
            button type="submit" { (t(l, "search.go")) }
        }
        form.search-at method="get" action="/search" {
            input type="hidden" name="q" value=(q);
            label { (t(l, "search.at_label")) " "
                input type="datetime-local" name="at" value=(at) aria-label=(t(l, "search.at_label")); }
            " " button.small type="submit" { (t(l, "search.at_go")) }
        }
    }
}

pub async fn page(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SearchQuery>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let results = if q.q.trim().is_empty() {
        html! { div #search-results { p.muted { (t(l, "search.empty")) } } }
    } else {
        match search::run(&st, &q.q).await {
            Ok(a) => results(&ctx, &a),
            // A query that is not one is answered in place, with the reason.
            Err(AppError::BadRequest(reason)) => {
                html! { div #search-results { (error_box(&reason)) } }
            }
            Err(e) => return Err(e),
        }
    };
    let at = if q.at.trim().is_empty() || q.q.trim().is_empty() {
        html! {}
    } else {
        located(&st, &ctx, &q).await?
    };
    let body = html! {
        section #search {
            h1 { (t(l, "search.title")) }
            (search_box(l, &q.q, &q.at))
            div #search-results-wrap {
                (at)
                (results)
            }
        }
    };
    Ok(respond(&ctx, t(l, "search.title"), body))
}

fn results(ctx: &Ctx, a: &Answer) -> Markup {
    let l = ctx.locale;
    html! {
        div #search-results {
            @if a.results.is_empty() && a.devices.is_empty() {
                (notice(t(l, "search.nothing")))
            }
            @for h in &a.results { (hit_card(ctx, h)) }
            @if !a.devices.is_empty() {
                h2 { (t(l, "search.devices")) }
                table.data #search-devices {
                    tbody {
                        @for d in &a.devices {
                            tr {
                                td { a href={ "/devices/" (d.device_id) } { (d.name) } }
                                td { code { (d.address) } }
                                td.small { (d.roles.join(", ")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn unix(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|t| when(&t.to_rfc3339()))
        .unwrap_or_default()
}

/// A login (with its session) and its MAC's place.
fn hit_card(ctx: &Ctx, h: &Hit) -> Markup {
    let l = ctx.locale;
    html! {
        article.card.hit {
            @if let Some(sub) = &h.subscriber {
                p.subscriber {
                    a href={ "/subscribers/" (urlencoding::encode(&sub.billing_id)) } { (sub.display) }
                    @if let Some(n) = &sub.full_name { " · " (n) }
                    @if sub.left_billing { " " span.badge.left { (t(l, "subs.left")) } }
                    @else if sub.blocked.is_some() { " " span.badge.blocked title=(sub.status) { (t(l, "subs.blocked")) } }
                    @if ctx.can_get("/tickets/new") {
                        " " a.button.small.new-ticket href={ "/tickets/new?subscriber_id=" (urlencoding::encode(&sub.billing_id)) } { (t(l, "tickets.new")) }
                    }
                }
                @if h.login.is_none() { h2.login { (sub.login) } }
            }
            @if let Some(login) = &h.login {
                h2.login { (login.login) }
                dl.facts.session {
                    dt { "NAS" } dd { (login.nas) }
                    @if let Some(ip) = &login.ip { dt { "IP" } dd { code { (ip) } } }
                    @if let Some(s) = &h.session {
                        dt { (t(l, "search.session")) }
                        dd.online {
                            @if s.ended_at.is_none() { span.state.up { (t(l, "search.online_since")) } " " (unix(s.started_at)) }
                            @else { span.state.down { (t(l, "search.offline")) } " " (t(l, "search.last_seen")) " " (unix(s.last_seen)) }
                        }
                    }
                }
            }
            @match &h.mac {
                Some(m) => { (mac_card(ctx, m)) }
                None => { (notice(t(l, "search.no_mac"))) }
            }
        }
    }
}

pub fn mac_card(ctx: &Ctx, m: &MacAnswer) -> Markup {
    let l = ctx.locale;
    html! {
        section.mac-result data-mac=(m.mac) {
            h3 { "MAC " code { (m.mac) } }
            @match &m.location {
                Some(e) => {
                    dl.facts.edge #edge {
                        dt { (t(l, "search.switch")) }
                        dd { a href={ "/devices/" (e.device_id) } { (e.device) } @if let Some(a) = &m.address { " " code { (a) } } }
                        dt { (t(l, "search.port")) } dd.port { strong { (e.port) } }
                        dt { "VLAN" } dd { (e.vlan) }
                        dt { (t(l, "search.since")) } dd { (when(&e.since)) }
                        dt { (t(l, "search.on_port")) }
                        dd.shared {
                            @if m.port_macs <= 1 { (t(l, "search.only_mac")) }
                            @else { (t(l, "search.shared_with")) " " (m.port_macs - 1) }
                        }
                    }
                    div.actions {
                        @if ctx.can_post("/search/recheck") {
                            form.inline method="post" action="/search/recheck" hx-post="/search/recheck" hx-target="#recheck" hx-swap="innerHTML" {
                                (hidden_csrf(&ctx.csrf))
                                input type="hidden" name="mac" value=(m.mac);
                                input type="hidden" name="device" value=(e.device_id);
                                button.small type="submit" { (t(l, "search.recheck")) }
                            }
                        }
                        a href={ "/devices/" (e.device_id) } { (t(l, "search.open_switch")) }
                        @if let Some(h) = &m.host_id { a href={ "/icmp/hosts/" (h) } { (t(l, "search.icmp_host")) } }
                    }
                    div #recheck aria-live="polite" {}
                }
                None => { (notice(t(l, "search.no_edge"))) }
            }
            @if !m.also_seen.is_empty() {
                details #also-seen {
                    summary { (t(l, "search.also_seen")) " (" (m.also_seen.len()) ")" }
                    ul {
                        @for s in &m.also_seen {
                            li {
                                a href={ "/devices/" (s.device_id) } { (s.device) } " " code { (s.port) } " VLAN " (s.vlan)
                                @if let Some(why) = &s.uplink { " (" (t(l, "search.uplink")) ": " (uplink_reason(l, why)) ")" }
                                span.muted { " · " (t(l, "search.last_seen")) " " (when(&s.last_seen)) }
                            }
                        }
                    }
                }
            }
            @if !m.history.is_empty() {
                h4 { (t(l, "search.history")) }
                table.data #mac-history {
                    tbody {
                        @for mv in &m.history {
                            tr {
                                td.nowrap { (when(&mv.at)) }
                                @match &mv.to {
                                    Some(p) => { td { (p.device) } td { code { (p.port) } } td { "VLAN " (p.vlan) } }
                                    None => { td colspan="3" { (t(l, "search.left")) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct RecheckForm {
    #[serde(default)]
    mac: String,
    #[serde(default)]
    device: String,
}

/// Asks the switch now whether the MAC is still where the collection saw
/// it (the dialect's single-MAC lookup); changes nothing.
pub async fn recheck(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<RecheckForm>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let Some(mac) = ispmon_scheduler::cli::normalise_mac(f.mac.trim()) else {
        return Err(AppError::BadRequest(format!(
            "“{}” is not a MAC address",
            f.mac
        )));
    };
    let found = crate::fdb::recheck(&st, &f.device, &mac, &ctx.meta()).await?;
    Ok(html! {
        @match found {
            Ok(rows) if rows.is_empty() => { p.notice.warn role="status" { (t(l, "search.recheck_gone")) } }
            Ok(rows) => {
                p.notice role="status" {
                    (t(l, "search.recheck_there")) " "
                    @for (i, r) in rows.iter().enumerate() { @if i > 0 { ", " } code { (r.port) } " VLAN " (r.vlan) }
                }
            }
            Err(reason) => { (error_box(&reason)) }
        }
    })
}
