//! GPON: the OLT list with counts and an instant SN search; an OLT's boards
//! and ports with autofind and a register button; a port's ONT table
//! (signal colours, worst first on request); the ONT card (read model and
//! telemetry at once, the OLT's own answer on demand, optical ping live
//! over SSE, delete); manual registration; a job's steps as they run; the
//! admin's registration profiles and poll settings. Everything shown comes
//! from the read models; only "read now" and optical ping ask the OLT.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use ispmon_events::gpon::{GponSettingsValues, ProfileValues};
use ispmon_projections::gpon as views;
use maud::{html, Markup};
use serde::Deserialize;

use super::components::{error_box, hidden_csrf, notice, query, when, FieldsForm, FormErrors};
use super::layout::respond;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::gpon::{self, OntWithReading, RegisterInput};
use crate::i18n::{t, Locale};
use crate::state::AppState;

fn dbm(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "—".into())
}

/// The CSS class of a signal class (and of offline).
fn signal_class(run: &str, signal: &str) -> &'static str {
    if run != "online" {
        return "sig-off";
    }
    match signal {
        "good" => "sig-good",
        "marginal" => "sig-warn",
        "bad" | "overload" => "sig-bad",
        _ => "sig-none",
    }
}

fn signal_rank(o: &OntWithReading) -> (u8, i64) {
    let rank = match (o.ont.run.as_str(), o.ont.signal.as_str()) {
        ("online", "bad" | "overload") => 0,
        ("online", "marginal") => 1,
        ("online", "none") => 2,
        ("online", _) => 3,
        _ => 4,
    };
    let rx = o
        .reading
        .as_ref()
        .and_then(|r| r.rx_dbm)
        .map(|v| (v * 100.0) as i64)
        .unwrap_or(0);
    (rank, rx)
}

fn counts_cells(c: &views::Counts) -> Markup {
    html! {
        td.num { (c.onts) } td.num { (c.online) }
        td.num.bad[c.offline > 0] { (c.offline) }
        td.num.warn[c.weak > 0] { (c.weak) }
        td.num { @if c.autofind > 0 { span.badge.warn { (c.autofind) } } @else { "0" } }
    }
}

fn counts_head(l: Locale) -> Markup {
    html! {
        th.num { (t(l, "gpon.onts")) } th.num { (t(l, "gpon.online")) } th.num { (t(l, "gpon.offline")) }
        th.num { (t(l, "gpon.weak")) } th.num { (t(l, "gpon.autofind")) }
    }
}

fn autofind_table(l: Locale, list: &[views::AutofindView], names: &[(String, String)]) -> Markup {
    html! {
        @if list.is_empty() { p.muted.empty #autofind-empty { (t(l, "gpon.no_autofind")) } }
        @else {
            div.table-wrap { table.data #autofind {
                thead { tr { th { "OLT" } th { (t(l, "gpon.port")) } th { "SN" } th { (t(l, "gpon.equipment")) } th { (t(l, "gpon.version")) } th { (t(l, "gpon.first_seen")) } th {} } }
                tbody { @for a in list {
                    @let olt = names.iter().find(|(id, _)| *id == a.olt_id).map(|(_, n)| n.as_str()).unwrap_or(&a.olt_id);
                    tr data-sn=(a.sn) {
                        td { a href=(format!("/gpon/olts/{}", a.olt_id)) { (olt) } }
                        td { (a.port) }
                        td.mono { (a.vendor_sn) div.small.muted { (a.sn) } }
                        td { (a.equipment_id.as_deref().unwrap_or("—")) }
                        td.small { (a.version.as_deref().unwrap_or("")) " " (a.software_version.as_deref().unwrap_or("")) }
                        td.nowrap { (a.found_at.as_deref().unwrap_or(&a.first_seen)) }
                        td { a.button.small.register href=(format!("/gpon/register{}", query(&[("olt_id", &a.olt_id), ("port", &a.port), ("sn", &a.sn), ("from", "autofind")]))) { (t(l, "gpon.register")) } }
                    }
                } }
            } }
        }
    }
}

fn jobs_table(l: Locale, jobs: &[views::JobView]) -> Markup {
    html! {
        @if jobs.is_empty() { p.muted.empty { (t(l, "gpon.no_jobs")) } }
        @else {
            div.table-wrap { table.data #jobs {
                thead { tr { th { (t(l, "gpon.when")) } th { (t(l, "gpon.job")) } th { "OLT" } th { (t(l, "gpon.port")) } th { "SN" } th { (t(l, "gpon.name")) } th { (t(l, "gpon.state")) } th { (t(l, "gpon.by")) } } }
                tbody { @for j in jobs {
                    tr class=(job_class(&j.state)) {
                        td.nowrap { a href=(format!("/gpon/jobs/{}", j.id)) { (when(&j.requested_at)) } }
                        td { (if j.kind == "register" { t(l, "gpon.registration") } else { t(l, "gpon.deletion") }) }
                        td { (j.olt_name) } td { (j.port) } td.mono { (ispmon_scheduler::gpon::vendor_sn(&j.sn)) } td { (j.name) }
                        td { span class=(format!("badge {}", job_class(&j.state))) { (j.state) } }
                        td { (j.requested_by) }
                    }
                } }
            } }
        }
    }
}

fn job_class(state: &str) -> &'static str {
    match state {
        "succeeded" => "good",
        "failed" | "failed-dirty" => "bad",
        _ => "warn",
    }
}

/// `GET /gpon`
pub async fn index(State(st): State<AppState>, ctx: Ctx) -> AppResult<Markup> {
    let l = ctx.locale;
    let olts = gpon::olt_list(&st).await?;
    let (waiting, jobs) = st
        .core
        .views
        .read(|c| Ok((views::autofind(c, None)?, views::jobs(c, None, 20)?)))
        .await?;
    let names: Vec<(String, String)> = olts
        .iter()
        .map(|o| (o.id.clone(), o.name.clone()))
        .collect();
    Ok(respond(
        &ctx,
        t(l, "gpon.title"),
        html! {
            section #gpon {
                h1 { (t(l, "gpon.title")) }
                div.actions {
                    a.button href="/gpon/register" { (t(l, "gpon.register_manual")) }
                    @if crate::routes::allowed("GET", "/admin/gpon", ctx.role()) { a.button.small href="/admin/gpon" { (t(l, "gpon.profiles")) } }
                }
                form.search role="search" action="/gpon/search" method="get" hx-get="/gpon/search" hx-trigger="input changed delay:200ms from:#sn-q, submit" hx-target="#sn-results" {
                    input #sn-q type="search" name="q" placeholder=(t(l, "gpon.search_hint")) autocomplete="off";
                }
                div #sn-results aria-live="polite" {}
                h2 { "OLT" }
                @if olts.is_empty() { p.muted.empty { (t(l, "gpon.no_olts")) } }
                @else {
                    div.table-wrap { table.data #olts {
                        thead { tr { th { (t(l, "gpon.name")) } th { (t(l, "gpon.address")) } th { (t(l, "gpon.model")) } (counts_head(l)) th { (t(l, "gpon.polled")) } } }
                        tbody { @for o in &olts {
                            tr { td { a href=(format!("/gpon/olts/{}", o.id)) { (o.name) } } td.mono { (o.address) } td { (o.dialect) } (counts_cells(&o.counts)) td.nowrap.small { (o.inventoried_at.as_deref().map(when).unwrap_or_else(|| t(l, "gpon.never").into())) } }
                        } }
                    } }
                }
                h2 { (t(l, "gpon.autofind_title")) }
                (autofind_table(l, &waiting, &names))
                h2 { (t(l, "gpon.jobs")) }
                (jobs_table(l, &jobs))
            }
        },
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SearchParams {
    q: String,
}

/// `GET /gpon/search?q=`: ONTs by SN in any form (or part) or description.
pub async fn search(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(p): Query<SearchParams>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    if p.q.chars().count() > 64 {
        return Ok(error_box(t(l, "gpon.search_long")));
    }
    let found = gpon::search(&st, &p.q).await?;
    Ok(html! {
        @if p.q.trim().is_empty() {}
        @else if found.is_empty() { p.muted.empty #sn-none { (t(l, "gpon.search_none")) } }
        @else {
            div.table-wrap { table.data #sn-found {
                thead { tr { th { "SN" } th { (t(l, "gpon.port")) } th { "ONT" } th { (t(l, "gpon.description")) } th { (t(l, "gpon.state")) } } }
                tbody { @for o in &found {
                    tr { td.mono { a href=(format!("/gpon/onts/{}", o.id)) { (ispmon_scheduler::gpon::vendor_sn(&o.sn)) } } td { (o.port) } td { (o.ont_id) } td { (o.description) } td { span class=(signal_class(&o.run, &o.signal)) { (o.run) } } }
                } }
            } }
        }
    })
}

/// `GET /gpon/olts/{id}`: boards, ports with counts, autofind, jobs.
pub async fn olt(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let d = gpon::olt(&st, &id).await?;
    let oid = id.clone();
    let (inv, ports, waiting, jobs) = st
        .core
        .views
        .read(move |c| {
            Ok((
                views::inventory(c, &oid)?,
                views::port_counts(c, &oid)?,
                views::autofind(c, Some(&oid))?,
                views::jobs(c, Some(&oid), 20)?,
            ))
        })
        .await?;
    let names = vec![(d.device_id.clone(), d.name.clone())];
    Ok(respond(
        &ctx,
        &d.name,
        html! {
            section #olt {
                p.small { a href="/gpon" { (t(l, "gpon.title")) } " › " (d.name) }
                h1 { (d.name) " " span.muted.small { (d.address) " · " (d.dialect.label()) } }
                div.actions {
                    form.inline method="post" action=(format!("/gpon/olts/{id}/poll")) hx-post=(format!("/gpon/olts/{id}/poll")) hx-target="#poll-result" hx-indicator="#poll-spin" {
                        (hidden_csrf(&ctx.csrf)) button.small #poll-now type="submit" { (t(l, "gpon.poll_now")) }
                    }
                    span #poll-spin .htmx-indicator.muted { (t(l, "gpon.polling")) }
                    a.button.small href=(format!("/gpon/register{}", query(&[("olt_id", &id)]))) { (t(l, "gpon.register_manual")) }
                }
                div #poll-result aria-live="polite" {}
                @match &inv {
                    None => p.muted.empty { (t(l, "gpon.not_polled")) },
                    Some((inv, at)) => {
                        p.small.muted { (t(l, "gpon.polled")) " " (when(at)) }
                        h2 { (t(l, "gpon.boards")) }
                        div.table-wrap { table.data #boards {
                            thead { tr { th { (t(l, "gpon.slot")) } th { (t(l, "gpon.board")) } th { (t(l, "gpon.state")) } th.num { (t(l, "gpon.gpon_ports")) } } }
                            tbody { @for b in &inv.boards { tr { td { (b.slot) } td { (b.name) } td { (b.status) } td.num { (b.gpon_ports) } } } }
                        } }
                    }
                }
                h2 { (t(l, "gpon.ports")) }
                @if ports.is_empty() { p.muted.empty { (t(l, "gpon.no_onts")) } }
                @else {
                    div.table-wrap { table.data #ports {
                        thead { tr { th { (t(l, "gpon.port")) } (counts_head(l)) } }
                        tbody { @for (p, c) in &ports {
                            tr { td { a href=(format!("/gpon/olts/{id}/port{}", query(&[("p", p)]))) { (p) } } (counts_cells(c)) }
                        } }
                    } }
                }
                h2 { (t(l, "gpon.autofind_title")) }
                (autofind_table(l, &waiting, &names))
                h2 { (t(l, "gpon.tables_title")) }
                (tables_form(l, &id, &TablesParams::default(), &FormErrors::default()))
                div #tables {}
                h2 { (t(l, "gpon.jobs")) }
                (jobs_table(l, &jobs))
            }
        },
    ))
}

/// `POST /gpon/olts/{id}/poll`
pub async fn poll(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let (polled, found) = gpon::poll_now(&st, &id, &ctx.meta()).await?;
    use ispmon_scheduler::gpon::poll::Outcome;
    let say = |o: &Outcome| match o {
        Outcome::Polled {
            onts,
            changed,
            failed_ports,
            commands,
        } => {
            let mut s = format!(
                "{onts} · {changed} {} · {commands} {}",
                t(l, "gpon.changes"),
                t(l, "gpon.commands")
            );
            if !failed_ports.is_empty() {
                s.push_str(&format!(" · {}", failed_ports.join("; ")));
            }
            s
        }
        Outcome::Failed(r) => r.clone(),
        Outcome::Busy => t(l, "gpon.busy").to_string(),
    };
    let ok = matches!(polled, Outcome::Polled { .. });
    Ok(html! {
        @if ok { p.notice role="status" #poll-report { (t(l, "gpon.onts")) ": " (say(&polled)) " — " (t(l, "gpon.autofind")) ": " (say(&found)) } }
        @else { (error_box(&say(&polled))) }
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PortParams {
    p: String,
    sort: String,
}

/// `GET /gpon/olts/{id}/port?p=0/1/0&sort=signal`: the port's ONT table.
pub async fn port(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<PortParams>,
) -> AppResult<Response> {
    let l = ctx.locale;
    let d = gpon::olt(&st, &id).await?;
    let fsp: ispmon_scheduler::gpon::Fsp = match q.p.parse() {
        Ok(f) => f,
        Err(e) => return Ok((axum::http::StatusCode::BAD_REQUEST, error_box(&e)).into_response()),
    };
    let port = fsp.to_string();
    let mut rows = gpon::onts_with_readings(&st, &id, Some(port.clone())).await?;
    let by_signal = q.sort == "signal";
    if by_signal {
        rows.sort_by_key(signal_rank);
    }
    let href = |sort: &str| {
        format!(
            "/gpon/olts/{id}/port{}",
            query(&[("p", &port), ("sort", sort)])
        )
    };
    Ok(respond(
        &ctx,
        &format!("{} {port}", d.name),
        html! {
            section #port {
                p.small { a href="/gpon" { (t(l, "gpon.title")) } " › " a href=(format!("/gpon/olts/{id}")) { (d.name) } " › " (port) }
                h1 { (d.name) " " (port) }
                p.small {
                    @if by_signal { a href=(href("")) { (t(l, "gpon.sort_id")) } } @else { a #sort-signal href=(href("signal")) { (t(l, "gpon.sort_signal")) } }
                }
                @if rows.is_empty() { p.muted.empty { (t(l, "gpon.no_onts")) } }
                @else {
                    div.table-wrap { table.data #onts {
                        thead { tr { th.num { "ONT" } th { "SN" } th { (t(l, "gpon.state")) } th.num { "Rx" } th.num { "Tx" } th.num { "OLT Rx" } th.num { (t(l, "gpon.distance")) } th { (t(l, "gpon.down_cause")) } th { (t(l, "gpon.description")) } } }
                        tbody { @for o in &rows {
                            @let r = o.reading.as_ref();
                            tr data-sn=(o.ont.sn) class=(signal_class(&o.ont.run, &o.ont.signal)) {
                                td.num { (o.ont.ont_id) }
                                td.mono { a href=(format!("/gpon/onts/{}", o.ont.id)) { (ispmon_scheduler::gpon::vendor_sn(&o.ont.sn)) } }
                                td.run { (o.ont.run) }
                                td.num.rx { (dbm(r.and_then(|r| r.rx_dbm))) }
                                td.num { (dbm(r.and_then(|r| r.tx_dbm))) }
                                td.num { (dbm(r.and_then(|r| r.olt_rx_dbm))) }
                                td.num { (r.and_then(|r| r.distance_m).map(|d| d.to_string()).unwrap_or_default()) }
                                td { (o.ont.last_down_cause.as_deref().unwrap_or("")) }
                                td { (o.ont.description) }
                            }
                        } }
                    } }
                }
            }
        },
    )
    .into_response())
}

/// `GET /gpon/onts/{id}`: the ONT card.
pub async fn ont(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let c = gpon::ont_card(&st, &id).await?.ok_or(AppError::NotFound)?;
    let o = &c.ont;
    let r = c.reading.as_ref();
    let (settings, _) = st.core.views.read(views::settings).await?;
    let now = chrono::Utc::now().timestamp();
    let enc = urlencode(&id);
    Ok(respond(
        &ctx,
        &ispmon_scheduler::gpon::vendor_sn(&o.sn),
        html! {
            section #ont {
                p.small { a href="/gpon" { (t(l, "gpon.title")) } " › " a href=(format!("/gpon/olts/{}", o.olt_id)) { "OLT" } " › " a href=(format!("/gpon/olts/{}/port{}", o.olt_id, query(&[("p", &o.port)]))) { (o.port) } " › ONT " (o.ont_id) }
                h1 { (ispmon_scheduler::gpon::vendor_sn(&o.sn)) " " span class=(format!("badge {}", signal_class(&o.run, &o.signal))) { (o.run) } }
                @if o.gone { (error_box(t(l, "gpon.gone"))) }
                dl.card #ont-facts {
                    dt { (t(l, "gpon.port")) } dd { (o.port) " · ONT " (o.ont_id) }
                    dt { "SN" } dd.mono { (o.sn) }
                    dt { (t(l, "gpon.description")) } dd { (o.description) }
                    dt { (t(l, "gpon.subscriber")) } dd #ont-subscriber { @match &c.subscriber { Some(s) => a href=(format!("/subscribers/{}", urlencode(&s.billing_id))) { (s.login) " — " (s.display) }, None => span.muted { "—" } } }
                    dt { (t(l, "gpon.signal")) } dd { span class=(signal_class(&o.run, &o.signal)) { (o.signal) } }
                    dt { "Rx / Tx / OLT Rx" } dd #ont-rx { (dbm(r.and_then(|r| r.rx_dbm))) " / " (dbm(r.and_then(|r| r.tx_dbm))) " / " (dbm(r.and_then(|r| r.olt_rx_dbm))) " dBm" }
                    dt { (t(l, "gpon.distance")) } dd { (r.and_then(|r| r.distance_m).map(|d| format!("{d} m")).unwrap_or_default()) }
                    dt { (t(l, "gpon.down_cause")) } dd { (o.last_down_cause.as_deref().unwrap_or("—")) @if let Some(at) = &o.down_at { " · " (when(at)) } }
                    dt { (t(l, "gpon.last_up")) } dd { (r.and_then(|r| r.last_up.clone()).unwrap_or_default()) }
                    @if let Some(p) = &o.profile { dt { (t(l, "gpon.profile")) } dd { (p) } }
                    dt { (t(l, "gpon.first_seen")) } dd { (when(&o.first_seen)) }
                }
                h2 { (t(l, "gpon.rx_day")) }
                (super::charts::rx_chart(&c.rx, now - 86_400, now, (settings.rx_good, settings.rx_marginal), t(l, "gpon.no_readings")))
                h2 { (t(l, "gpon.optical_ping")) }
                div #ping data-sse=(format!("/gpon/onts/{enc}/ping")) {
                    button.small type="button" #ping-start { (t(l, "gpon.ping_start")) }
                    button.small type="button" #ping-stop hidden { (t(l, "gpon.ping_stop")) }
                    output #ping-out aria-live="polite" {}
                }
                script src="/static/live.js" defer {}
                h2 { (t(l, "gpon.live")) }
                div #ont-live hx-get=(format!("/gpon/onts/{enc}/live")) hx-trigger="click from:#read-now" hx-indicator="#live-spin" {
                    button.small #read-now type="button" { (t(l, "gpon.read_now")) }
                    span #live-spin .htmx-indicator.muted { (t(l, "gpon.polling")) }
                }
                h2 { (t(l, "gpon.jobs")) }
                (jobs_table(l, &c.jobs))
                @if !o.gone && crate::routes::allowed("POST", "/gpon/register", ctx.role()) {
                    form.card.danger method="post" action=(format!("/gpon/onts/{enc}/delete")) #ont-delete {
                        (hidden_csrf(&ctx.csrf))
                        p { (t(l, "gpon.delete_hint")) }
                        label { input type="checkbox" name="confirm" value="yes" required; " " (t(l, "gpon.delete_confirm")) }
                        button.danger type="submit" { (t(l, "gpon.delete")) }
                    }
                }
            }
        },
    ))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn present_ont(st: &AppState, id: &str) -> AppResult<views::OntView> {
    let id = id.to_string();
    st.core
        .views
        .read(move |c| views::ont(c, &id))
        .await?
        .ok_or(AppError::NotFound)
}

/// `GET /gpon/onts/{id}/live`: what the OLT says now, MACs joined with
/// NAS sessions to logins and subscribers.
pub async fn live(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let o = present_ont(&st, &id).await?;
    let live = match gpon::live(&st, &o, &ctx.meta()).await {
        Ok(x) => x,
        Err(AppError::Rejected(m)) => return Ok(error_box(&m)),
        Err(e) => return Err(e),
    };
    let mut joined = Vec::new();
    for m in &live.macs {
        joined.push((m, gpon::mac_login(&st, &m.mac).await));
    }
    Ok(html! {
        div #ont-live-result {
            @for e in &live.errors { p.small.warn { (e) } }
            @if let Some(d) = &live.detail {
                details { summary { (t(l, "gpon.details")) } dl.small { @for (k, v) in &d.fields { dt { (k) } dd { (v) } } } }
            }
            @if let Some(op) = &live.optics {
                p #live-optics { "Rx " (dbm(op.rx_dbm)) " · Tx " (dbm(op.tx_dbm)) " · OLT Rx " (dbm(op.olt_rx_dbm)) " dBm"
                    @if let Some(t) = op.temperature_c { " · " (format!("{t:.0} °C")) } }
            }
            h3 { (t(l, "gpon.service_ports")) }
            @if live.service_ports.is_empty() { p.muted { "—" } }
            @else { table.data.small #live-sp { thead { tr { th { "#" } th { "VLAN" } th { "GEM" } th { (t(l, "gpon.state")) } } }
                tbody { @for p in &live.service_ports { tr { td { (p.index) } td { (p.vlan) } td { (p.gemport) } td { (p.state) } } } } } }
            h3 { "MAC" }
            @if joined.is_empty() { p.muted { "—" } }
            @else { table.data.small #live-macs { thead { tr { th { "MAC" } th { "VLAN" } th { (t(l, "gpon.subscriber")) } } }
                tbody { @for (m, login) in &joined { tr { td.mono { a href=(format!("/search{}", query(&[("q", &m.mac)]))) { (m.mac) } } td { (m.vlan) } td { @match login { Some((name, Some(id))) => a href=(format!("/subscribers/{}", urlencode(id))) { (name) }, Some((name, None)) => (name), None => "—" } } } } } } }
        }
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TablesParams {
    port: String,
    vlan: String,
    ont_id: String,
    mac: String,
}

fn tables_form(l: Locale, id: &str, p: &TablesParams, errors: &FormErrors) -> Markup {
    html! {
        form.inline.filters #tables-form method="get" action=(format!("/gpon/olts/{id}/tables"))
            hx-get=(format!("/gpon/olts/{id}/tables")) hx-target="#tables" hx-select="#tables" hx-swap="outerHTML" hx-indicator="#tables-spin" {
            label { (t(l, "gpon.port")) input type="text" name="port" value=(p.port) placeholder="0/1/0" size="8"; (errors.show("port")) }
            label { "VLAN" input type="text" name="vlan" value=(p.vlan) inputmode="numeric" size="5"; (errors.show("vlan")) }
            label { "ONT" input type="text" name="ont_id" value=(p.ont_id) inputmode="numeric" size="4"; (errors.show("ont_id")) }
            label { "MAC" input type="text" name="mac" value=(p.mac) placeholder="00:1e:58" size="14"; (errors.show("mac")) }
            button.small #tables-read type="submit" { (t(l, "gpon.read_tables")) }
            span #tables-spin .htmx-indicator.muted { (t(l, "gpon.reading")) }
        }
    }
}

/// `GET /gpon/olts/{id}/tables?port=&vlan=&ont_id=&mac=`: the OLT's
/// service-port and MAC tables, read live, narrowed by the filters.
pub async fn tables(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<TablesParams>,
) -> AppResult<Response> {
    let l = ctx.locale;
    let d = gpon::olt(&st, &id).await?;
    let filter = match gpon::TableFilter::parse(&p.port, &p.vlan, &p.ont_id, &p.mac) {
        Ok(f) => f,
        Err(errors) => {
            let body = html! { section #tables-page { (tables_form(l, &id, &p, &errors)) div #tables {} } };
            return Ok((errors.status(), respond(&ctx, &d.name, body)).into_response());
        }
    };
    let tb = match gpon::olt_tables(&st, &d, &filter, &ctx.meta()).await {
        Ok(t) => t,
        Err(AppError::Rejected(m)) => {
            // As the ONT card's "read now": the answer is the error.
            let body = html! { section #tables-page { (tables_form(l, &id, &p, &FormErrors::default())) div #tables { (error_box(&m)) } } };
            return Ok(respond(&ctx, &d.name, body).into_response());
        }
        Err(e) => return Err(e),
    };
    let body = html! {
        section #tables-page {
            p.small { a href="/gpon" { (t(l, "gpon.title")) } " › " a href=(format!("/gpon/olts/{id}")) { (d.name) } }
            (tables_form(l, &id, &p, &FormErrors::default()))
            div #tables {
                @for e in &tb.errors { p.small.warn { (e) } }
                h3 { (t(l, "gpon.service_ports")) " " span.muted.small { (tb.service_ports.len()) } }
                @if tb.service_ports.is_empty() { p.muted.empty #sp-empty { (t(l, "gpon.none_match")) } }
                @else {
                    div.table-wrap { table.data.small #olt-sp {
                        thead { tr { th.num { "#" } th.num { "VLAN" } th { (t(l, "gpon.port")) } th.num { "ONT" } th.num { "GEM" } th { (t(l, "gpon.state")) } } }
                        tbody { @for s in &tb.service_ports {
                            tr data-vlan=(s.vlan) { td.num { (s.index) } td.num { (s.vlan) } td { (s.fsp) } td.num { (s.ont_id) } td.num { (s.gemport) } td { (s.state) } }
                        } }
                    } }
                }
                h3 { "MAC " span.muted.small { (tb.macs.len()) } }
                @if tb.macs.is_empty() { p.muted.empty #mac-empty { (t(l, "gpon.none_match")) } }
                @else {
                    div.table-wrap { table.data.small #olt-macs {
                        thead { tr { th { "MAC" } th.num { "VLAN" } th { (t(l, "gpon.port")) } th.num { "ONT" } th { (t(l, "gpon.subscriber")) } } }
                        tbody { @for (m, login) in &tb.macs {
                            tr data-mac=(m.mac) {
                                td.mono { a href=(format!("/search{}", query(&[("q", &m.mac)]))) { (m.mac) } }
                                td.num { (m.vlan) } td { (m.fsp) } td.num { (m.ont_id) }
                                td { @match login { Some((name, Some(bid))) => a href=(format!("/subscribers/{}", urlencode(bid))) { (name) }, Some((name, None)) => (name), None => "—" } }
                            }
                        } }
                    } }
                }
            }
        }
    };
    Ok(respond(&ctx, &d.name, body).into_response())
}

/// `GET /gpon/onts/{id}/ping`: the ONT's Rx every second over SSE, while
/// the page keeps the stream open (at most 10 minutes).
pub async fn ping(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Sse<impl futures::Stream<Item = Result<Event, Infallible>>>> {
    let o = present_ont(&st, &id).await?;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(gpon::optical_ping(
        st.clone(),
        o,
        ctx.meta(),
        tx,
        Duration::from_secs(1),
        600,
    ));
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        let r = rx.recv().await?;
        let text = match r {
            Ok(op) => format!(
                "{} · Rx {} · OLT Rx {} dBm",
                chrono::Utc::now().format("%H:%M:%S"),
                dbm(op.rx_dbm),
                dbm(op.olt_rx_dbm)
            ),
            Err(e) => e,
        };
        Some((Ok(Event::default().data(text)), rx))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    confirm: String,
}

/// `POST /gpon/onts/{id}/delete` (with the confirmation box ticked).
pub async fn delete(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<DeleteForm>,
) -> AppResult<Response> {
    if f.confirm != "yes" {
        return Err(AppError::Rejected(
            t(ctx.locale, "gpon.delete_confirm_needed").into(),
        ));
    }
    let job = gpon::delete(&st, &id, &ctx.meta()).await?;
    Ok(Redirect::to(&format!("/gpon/jobs/{job}")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RegisterParams {
    olt_id: String,
    port: String,
    sn: String,
    from: String,
    subscriber_id: String,
    /// The ONT's description, pre-filled (a request's login or subject).
    name: String,
    /// The connection request handing over to this registration.
    request_id: String,
}

async fn register_page(
    st: &AppState,
    ctx: &Ctx,
    shown: &FieldsForm,
    errors: &FormErrors,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let olts = gpon::olt_list(st).await?;
    let profiles = st.core.views.read(views::profiles).await?;
    let f = |k: &str| shown.fields.get(k).cloned().unwrap_or_default();
    Ok(respond(
        ctx,
        t(l, "gpon.register_title"),
        html! {
            section #register {
                p.small { a href="/gpon" { (t(l, "gpon.title")) } }
                h1 { (t(l, "gpon.register_title")) }
                @if profiles.is_empty() { (error_box(t(l, "gpon.no_profiles"))) }
                form.card method="post" action="/gpon/register" #register-form {
                    (hidden_csrf(&ctx.csrf))
                    input type="hidden" name="from" value=(f("from"));
                    input type="hidden" name="subscriber_id" value=(f("subscriber_id"));
                    input type="hidden" name="request_id" value=(f("request_id"));
                    @if let Some(m) = errors.get("form") { (error_box(m)) }
                    div.grid {
                        label { "OLT" select name="olt_id" { @for o in &olts { option value=(o.id) selected[o.id == f("olt_id")] { (o.name) } } } (errors.show("olt_id")) }
                        label { (t(l, "gpon.port")) input type="text" name="port" value=(f("port")) placeholder="0/1/0" required; (errors.show("port")) }
                        label { "SN" input type="text" name="sn" value=(f("sn")) placeholder="HWTC-3EBB9017" required; (errors.show("sn")) }
                        label { (t(l, "gpon.name")) input type="text" name="name" value=(f("name")) maxlength="64" required; (errors.show("name")) }
                        label { (t(l, "gpon.profile")) select name="profile_id" { @for (id, p) in &profiles { option value=(id) selected[*id == f("profile_id")] { (p.name) " (VLAN " (p.vlan) ")" } } } (errors.show("profile_id")) }
                    }
                    button type="submit" #register-submit { (t(l, "gpon.register")) }
                }
            }
        },
    ))
}

/// `GET /gpon/register?olt_id=&port=&sn=&from=autofind`
pub async fn register_form(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(p): Query<RegisterParams>,
) -> AppResult<Markup> {
    let mut shown = FieldsForm::default();
    for (k, v) in [
        ("olt_id", p.olt_id),
        ("port", p.port),
        ("sn", p.sn),
        ("from", p.from),
        ("subscriber_id", p.subscriber_id),
        ("name", p.name),
        ("request_id", p.request_id),
    ] {
        shown.fields.insert(k.to_string(), v);
    }
    register_page(&st, &ctx, &shown, &FormErrors::default()).await
}

/// `POST /gpon/register`: starts the saga and shows its page.
pub async fn register(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<FieldsForm>,
) -> AppResult<Response> {
    let get = |k: &str| f.fields.get(k).cloned().unwrap_or_default();
    let input = RegisterInput {
        olt_id: get("olt_id"),
        port: get("port"),
        sn: get("sn"),
        name: get("name"),
        profile_id: get("profile_id"),
        from_autofind: match get("from").as_str() {
            "autofind" => Some(true),
            "manual" => Some(false),
            _ => None,
        },
        subscriber_id: Some(get("subscriber_id")),
    };
    match gpon::register(&st, input, &ctx.meta()).await {
        Ok(job) => {
            // Handed over from a connection request: the request keeps it.
            let request_id = get("request_id");
            if !request_id.trim().is_empty() {
                let linked =
                    crate::requests::link_registration(&st, request_id.trim(), &job, &ctx.meta())
                        .await;
                if let Err(e) = linked {
                    tracing::warn!(request_id, job, error = %e, "the registration was not linked to its request");
                }
            }
            Ok(Redirect::to(&format!("/gpon/jobs/{job}")).into_response())
        }
        Err(AppError::Invalid(errors)) => Ok((
            errors.status(),
            register_page(&st, &ctx, &f, &errors).await?,
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

fn steps_view(l: Locale, j: &views::JobView) -> Markup {
    let names: &[&str] = if j.kind == "register" {
        &ispmon_events::gpon::REGISTER_STEPS
    } else {
        &ispmon_events::gpon::DELETE_STEPS
    };
    let running = matches!(j.state.as_str(), "running" | "compensating");
    html! {
        div #job-live hx-get=[running.then(|| format!("/gpon/jobs/{}", j.id))] hx-trigger=[running.then_some("every 1s")] hx-select="#job-live" hx-swap="outerHTML" {
            p #job-state { span class=(format!("badge {}", job_class(&j.state))) { (j.state) }
                @if let Some(f) = &j.failure { " " span.bad { (f) } } }
            ol.steps #job-steps {
                @for (i, name) in names.iter().enumerate() {
                    @let s = j.steps.get(i);
                    @let status = s.map(|s| s.status.as_str()).unwrap_or("waiting");
                    li class=(format!("step {status}")) data-step=(name) {
                        strong { (name) } " " span.small.muted { (status) }
                        @if let Some(s) = s {
                            @if let Some(f) = &s.failure { div.bad { (f) } }
                            @for (k, v) in &s.values { span.small { " " (k) "=" (v) } }
                            @if !s.transcript.is_empty() { details { summary.small { (t(l, "gpon.transcript")) } pre.transcript { (s.transcript) } } }
                        }
                    }
                }
            }
            @if let Some(c) = &j.compensation {
                h3 { (t(l, "gpon.compensation")) }
                pre.transcript #job-compensation { (c) }
            }
        }
    }
}

/// `GET /gpon/jobs/{id}`: a registration's or deletion's steps, live while it runs.
pub async fn job(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let j = st
        .core
        .views
        .read(move |c| views::job_by_id(c, &id))
        .await?
        .ok_or(AppError::NotFound)?;
    let title = if j.kind == "register" {
        t(l, "gpon.registration")
    } else {
        t(l, "gpon.deletion")
    };
    let ont_id = ispmon_events::gpon::ont_id(&j.olt_id, &j.sn);
    Ok(respond(
        &ctx,
        title,
        html! {
            section #job {
                p.small { a href="/gpon" { (t(l, "gpon.title")) } " › " a href=(format!("/gpon/olts/{}", j.olt_id)) { (j.olt_name) } }
                h1 { (title) " " span.mono { (ispmon_scheduler::gpon::vendor_sn(&j.sn)) } }
                p.muted.small { (j.port) " · " (j.name) " · " (when(&j.requested_at)) " · " (j.requested_by) }
                (steps_view(l, &j))
                p { a href=(format!("/gpon/onts/{}", urlencode(&ont_id))) { (t(l, "gpon.to_ont")) } " · "
                    a href=(format!("/gpon/olts/{}/port{}", j.olt_id, query(&[("p", &j.port)]))) { (t(l, "gpon.to_port")) } }
            }
        },
    ))
}

async fn admin_page(
    st: &AppState,
    ctx: &Ctx,
    shown: Option<&FieldsForm>,
    errors: &FormErrors,
    message: Option<Markup>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let profiles = st.core.views.read(views::profiles).await?;
    let (s, _) = st.core.views.read(views::settings).await?;
    let f = |k: &str, d: String| shown.and_then(|f| f.fields.get(k).cloned()).unwrap_or(d);
    Ok(respond(
        ctx,
        t(l, "gpon.admin_title"),
        html! {
            section #gpon-admin {
                h1 { (t(l, "gpon.admin_title")) }
                @if let Some(m) = message { (m) }
                @if let Some(m) = errors.get("form") { (error_box(m)) }
                h2 { (t(l, "gpon.profiles")) }
                @if profiles.is_empty() { p.muted.empty { (t(l, "gpon.no_profiles")) } }
                @else {
                    div.table-wrap { table.data #profiles {
                        thead { tr { th { (t(l, "gpon.name")) } th.num { "VLAN" } th.num { "GEM" } th.num { (t(l, "gpon.line_profile")) } th.num { (t(l, "gpon.service_profile")) } th { (t(l, "gpon.mode")) } th {} } }
                        tbody { @for (id, p) in &profiles {
                            tr { td { (p.name) } td.num { (p.vlan) } td.num { (p.gemport) } td.num { (p.line_profile_id) } td.num { (p.service_profile_id) }
                                 td { (if p.bridge { t(l, "gpon.bridge") } else { t(l, "gpon.router") }) @if !p.onu_type.is_empty() { " · " (p.onu_type) } }
                                 td { form.inline method="post" action=(format!("/admin/gpon/profiles/{id}/remove")) { (hidden_csrf(&ctx.csrf)) button.small.danger type="submit" { (t(l, "gpon.remove")) } } } }
                        } }
                    } }
                }
                form.card method="post" action="/admin/gpon/profiles" #profile-form {
                    (hidden_csrf(&ctx.csrf))
                    h3 { (t(l, "gpon.new_profile")) }
                    div.grid {
                        label { (t(l, "gpon.name")) input type="text" name="name" value=(f("name", String::new())) required; (errors.show("name")) }
                        label { "VLAN" input type="number" name="vlan" min="1" max="4094" value=(f("vlan", "100".into())); (errors.show("vlan")) }
                        label { "GEM" input type="number" name="gemport" min="0" max="1023" value=(f("gemport", "1".into())); (errors.show("gemport")) }
                        label { (t(l, "gpon.line_profile")) input type="number" name="line_profile_id" min="0" value=(f("line_profile_id", "10".into())); (errors.show("line_profile_id")) }
                        label { (t(l, "gpon.service_profile")) input type="number" name="service_profile_id" min="0" value=(f("service_profile_id", "10".into())); (errors.show("service_profile_id")) }
                        label { (t(l, "gpon.onu_type")) input type="text" name="onu_type" value=(f("onu_type", String::new())) placeholder="ZTE-F601"; (errors.show("onu_type")) }
                        label { input type="checkbox" name="bridge" value="yes" checked[f("bridge", String::new()) == "yes"]; " " (t(l, "gpon.bridge_hint")) }
                    }
                    button type="submit" { (t(l, "common.save")) }
                }
                h2 { (t(l, "gpon.settings")) }
                form.card method="post" action="/admin/gpon/settings" #gpon-settings {
                    (hidden_csrf(&ctx.csrf))
                    div.grid {
                        label { (t(l, "gpon.poll_secs")) input type="number" name="poll_secs" value=(f("poll_secs", s.poll_secs.to_string())); (errors.show("poll_secs")) }
                        label { (t(l, "gpon.autofind_secs")) input type="number" name="autofind_secs" value=(f("autofind_secs", s.autofind_secs.to_string())); (errors.show("autofind_secs")) }
                        label { (t(l, "gpon.max_sessions")) input type="number" name="max_sessions" value=(f("max_sessions", s.max_sessions.to_string())); (errors.show("max_sessions")) }
                        label { (t(l, "gpon.commands_per_min")) input type="number" name="commands_per_min" value=(f("commands_per_min", s.commands_per_min.to_string())); (errors.show("commands_per_min")) }
                        label { (t(l, "gpon.rx_high")) input type="number" step="0.1" name="rx_high" value=(f("rx_high", s.rx_high.to_string())); }
                        label { (t(l, "gpon.rx_good")) input type="number" step="0.1" name="rx_good" value=(f("rx_good", s.rx_good.to_string())); (errors.show("rx_good")) }
                        label { (t(l, "gpon.rx_marginal")) input type="number" step="0.1" name="rx_marginal" value=(f("rx_marginal", s.rx_marginal.to_string())); }
                    }
                    button type="submit" { (t(l, "common.save")) }
                }
            }
        },
    ))
}

/// `GET /admin/gpon`
pub async fn admin(State(st): State<AppState>, ctx: Ctx) -> AppResult<Markup> {
    admin_page(&st, &ctx, None, &FormErrors::default(), None).await
}

fn num<T: std::str::FromStr>(
    f: &FieldsForm,
    k: &'static str,
    errors: &mut FormErrors,
) -> Option<T> {
    match f.fields.get(k).map(|s| s.trim()).unwrap_or("").parse() {
        Ok(v) => Some(v),
        Err(_) => {
            errors.add(k, "a number is needed");
            None
        }
    }
}

async fn admin_result(
    st: &AppState,
    ctx: &Ctx,
    f: &FieldsForm,
    r: AppResult<()>,
) -> AppResult<Response> {
    match r {
        Ok(()) => Ok(admin_page(
            st,
            ctx,
            None,
            &FormErrors::default(),
            Some(notice(t(ctx.locale, "gpon.saved"))),
        )
        .await?
        .into_response()),
        Err(AppError::Invalid(errors)) => Ok((
            errors.status(),
            admin_page(st, ctx, Some(f), &errors, None).await?,
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

/// `POST /admin/gpon/profiles`: a new registration profile.
pub async fn save_profile(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<FieldsForm>,
) -> AppResult<Response> {
    let mut errors = FormErrors::default();
    let (vlan, gemport, line, service) = (
        num(&f, "vlan", &mut errors),
        num(&f, "gemport", &mut errors),
        num(&f, "line_profile_id", &mut errors),
        num(&f, "service_profile_id", &mut errors),
    );
    let r = match (vlan, gemport, line, service, errors.is_empty()) {
        (Some(vlan), Some(gemport), Some(line_profile_id), Some(service_profile_id), true) => {
            let v = ProfileValues {
                name: f.fields.get("name").cloned().unwrap_or_default(),
                vlan,
                gemport,
                line_profile_id,
                service_profile_id,
                bridge: f.fields.get("bridge").is_some_and(|b| b == "yes"),
                onu_type: f
                    .fields
                    .get("onu_type")
                    .map(|s| s.trim().to_string())
                    .unwrap_or_default(),
            };
            gpon::save_profile(&st, None, v, &ctx.meta())
                .await
                .map(|_| ())
        }
        _ => Err(AppError::Invalid(errors)),
    };
    admin_result(&st, &ctx, &f, r).await
}

/// `POST /admin/gpon/profiles/{id}/remove`
pub async fn remove_profile(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    gpon::remove_profile(&st, &id, &ctx.meta()).await?;
    admin_result(&st, &ctx, &FieldsForm::default(), Ok(())).await
}

/// `POST /admin/gpon/settings`
pub async fn save_settings(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<FieldsForm>,
) -> AppResult<Response> {
    let mut errors = FormErrors::default();
    let v = (
        num(&f, "poll_secs", &mut errors),
        num(&f, "autofind_secs", &mut errors),
        num(&f, "max_sessions", &mut errors),
        num(&f, "commands_per_min", &mut errors),
        num(&f, "rx_high", &mut errors),
        num(&f, "rx_good", &mut errors),
        num(&f, "rx_marginal", &mut errors),
    );
    let r = match v {
        (
            Some(poll_secs),
            Some(autofind_secs),
            Some(max_sessions),
            Some(commands_per_min),
            Some(rx_high),
            Some(rx_good),
            Some(rx_marginal),
        ) if errors.is_empty() => {
            gpon::save_settings(
                &st,
                GponSettingsValues {
                    poll_secs,
                    autofind_secs,
                    max_sessions,
                    commands_per_min,
                    rx_high,
                    rx_good,
                    rx_marginal,
                },
                &ctx.meta(),
            )
            .await
        }
        _ => Err(AppError::Invalid(errors)),
    };
    admin_result(&st, &ctx, &f, r).await
}

/// The subscriber card's GPON part: their ONT(s) with signal.
pub async fn subscriber_onts(st: &AppState, l: Locale, login: &str) -> AppResult<Markup> {
    let onts = gpon::onts_of_login(st, login).await?;
    Ok(html! {
        @if !onts.is_empty() {
            section #subscriber-ont {
                h2 { "ONT" }
                @for o in &onts {
                    p class=(signal_class(&o.ont.run, &o.ont.signal)) {
                        a href=(format!("/gpon/onts/{}", urlencode(&o.ont.id))) { (ispmon_scheduler::gpon::vendor_sn(&o.ont.sn)) }
                        " · " (o.ont.port) " ONT " (o.ont.ont_id) " · " (o.ont.run)
                        " · Rx " (dbm(o.reading.as_ref().and_then(|r| r.rx_dbm))) " dBm · " (t(l, "gpon.signal")) " " (o.ont.signal)
                    }
                }
            }
        }
    })
}
