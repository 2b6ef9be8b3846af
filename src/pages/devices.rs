//! Network devices: the list with the last pull of each, adding and editing
//! (passwords go to the secrets store), retiring, "test connection", "pull
//! now" for one device, a tag group or all, accepting a changed host key,
//! and CSV import.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use ispmon_events::device::{DeviceCommand, DeviceRole, DeviceTransport};
use ispmon_projections::devices::{self as device_views, DeviceQuery, DeviceRow, VersionRow};
use ispmon_scheduler::cli::Dialect;
use ispmon_scheduler::config_pull::job as pull_job;
use ispmon_scheduler::{SchedulerError, Scope};
use maud::{html, Markup};
use serde::Deserialize;

use super::components::{error_box, hidden_csrf, notice, pager, query, when, FormErrors};
use super::layout::respond;
use crate::auth::Ctx;
use crate::devices::pull::{Attempt, Outcome};
use crate::devices::{self, DeviceForm};
use crate::error::{AppError, AppResult};
use crate::i18n::t;
use crate::state::AppState;

const PER_PAGE: usize = 50;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    desc: bool,
    #[serde(default)]
    retired: bool,
    #[serde(default)]
    page: Option<usize>,
}

pub(crate) async fn load(st: &AppState, id: &str) -> AppResult<DeviceRow> {
    st.find(id, device_views::get).await
}

/// A list joined with commas, or a dash when empty.
fn dash(items: &[String]) -> String {
    if items.is_empty() {
        "—".to_string()
    } else {
        items.join(", ")
    }
}

/// What the pages show of pulls beside the read model: which devices are
/// being pulled and each one's last attempt (both from telemetry.db).
#[derive(Default)]
struct PullStatus {
    running: std::collections::HashSet<String>,
    attempts: std::collections::HashMap<String, Attempt>,
}

impl PullStatus {
    async fn load(st: &AppState) -> Self {
        Self {
            running: st.puller.running().await,
            attempts: st.puller.last_attempts().await,
        }
    }

    async fn one(st: &AppState, id: &str) -> Self {
        let mut s = Self::default();
        if st.puller.is_running(id).await {
            s.running.insert(id.to_string());
        }
        if let Some(a) = st.puller.last_attempt(id).await {
            s.attempts.insert(id.to_string(), a);
        }
        s
    }
}

/// The status cell: last result of a pull, with time.
fn status(ctx: &Ctx, ps: &PullStatus, d: &DeviceRow) -> Markup {
    let l = ctx.locale;
    let running = ps.running.contains(&d.device_id);
    html! {
        @if running {
            span.badge { (t(l, "devices.pulling")) }
        } @else if d.retired {
            span.badge { (t(l, "devices.retired")) }
        } @else if let Some(f) = &d.last_failure {
            span.badge.bad title=(f) { (t(l, "devices.failed")) }
            " " span.small.muted { (when(d.last_failure_at.as_deref().unwrap_or(""))) }
            div.small { (f) }
        } @else if d.versions > 0 {
            span.badge.good { "v" (d.versions) }
            " " span.small.muted { (when(d.last_version_at.as_deref().unwrap_or(""))) }
        } @else {
            span.muted { (t(l, "devices.never")) }
        }
        @if let Some(a) = ps.attempts.get(&d.device_id) {
            @if a.outcome == Outcome::Unchanged {
                div.small.muted { (t(l, "devices.unchanged_at")) " " (when(&a.at)) }
            }
        }
    }
}

fn device_table(ctx: &Ctx, ps: &PullStatus, rows: &[DeviceRow]) -> Markup {
    let l = ctx.locale;
    html! {
        @if rows.is_empty() {
            p.empty { (t(l, "devices.empty")) }
        } @else {
            table.data {
                thead { tr {
                    th { (t(l, "devices.name")) }
                    th { (t(l, "devices.address")) }
                    th { (t(l, "devices.dialect")) }
                    th { (t(l, "devices.roles")) }
                    th { (t(l, "devices.tags")) }
                    th { (t(l, "devices.last_pull")) }
                } }
                tbody {
                    @for d in rows {
                        tr class=[d.last_failure.as_ref().map(|_| "bad")] {
                            td { a href={ "/devices/" (d.device_id) } { (d.name) } }
                            td.nowrap { (d.address) ":" (d.port) " " span.muted.small { (d.transport) } }
                            td { (Dialect::parse(&d.dialect).map(|x| x.label()).unwrap_or(&d.dialect)) }
                            td { (dash(&d.roles)) }
                            td { (dash(&d.tags)) }
                            td { (status(ctx, ps, d)) }
                        }
                    }
                }
            }
        }
    }
}

pub async fn list(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let l = ctx.locale;
    let page = q.page.unwrap_or(1).max(1);
    let dq = DeviceQuery {
        text: q.q.clone(),
        include_retired: q.retired,
        sort: q.sort.clone(),
        desc: q.desc,
        limit: PER_PAGE as u32,
        offset: ((page - 1) * PER_PAGE) as u32,
    };
    let (rows, total) = st
        .core
        .views
        .read(move |c| device_views::list(c, &dq))
        .await?;
    let ps = PullStatus::load(&st).await;
    let any_running = rows.iter().any(|d| ps.running.contains(&d.device_id));
    let sort_link = |key: &str| {
        let desc = if q.sort == key && !q.desc { "1" } else { "" };
        format!(
            "/devices{}",
            query(&[("q", &q.q), ("sort", key), ("desc", desc)])
        )
    };
    let body = html! {
        h1 { (t(l, "devices.title")) }
        div.filters {
            form method="get" action="/devices" {
                input type="search" name="q" value=(q.q) placeholder=(t(l, "devices.search_hint"));
                label { input type="checkbox" name="retired" value="true" checked[q.retired]; " " (t(l, "devices.show_retired")) }
                button type="submit" { (t(l, "common.search")) }
            }
            span.small { (t(l, "devices.sort")) ": "
                a href=(sort_link("name")) { (t(l, "devices.name")) } " · "
                a href=(sort_link("address")) { (t(l, "devices.address")) } " · "
                a href=(sort_link("version_at")) { (t(l, "devices.last_pull")) } " · "
                a href=(sort_link("status")) { (t(l, "devices.failed")) }
            }
            @if ctx.can_post("/devices/pull") {
                form.inline method="post" action="/devices/pull" {
                    (hidden_csrf(&ctx.csrf))
                    input type="text" name="tag" placeholder=(t(l, "devices.tag_optional")) size="10";
                    button type="submit" { (t(l, "devices.pull_all")) }
                }
            }
            a href="/configs/search" { (t(l, "configs.search")) }
            @if ctx.can_get("/devices/import") { " · " a href="/devices/import" { (t(l, "devices.import")) } }
        }
        div id="device-list" hx-get=[any_running.then(|| format!("/devices{}", query(&[("q", &q.q), ("sort", &q.sort)])))]
            hx-trigger=[any_running.then_some("every 2s")] hx-select="#device-list" hx-swap="outerHTML" {
            (device_table(&ctx, &ps, &rows))
            (pager(l, page, PER_PAGE, total as usize, |p| format!("/devices{}", query(&[("q", &q.q), ("sort", &q.sort), ("page", &p.to_string())]))))
        }
        @if ctx.can_post("/devices") {
            details.card open[false] {
                summary { (t(l, "devices.add")) }
                (device_form(&ctx, None, &DeviceForm::default(), &FormErrors::default()))
            }
        }
    };
    Ok(respond(&ctx, t(l, "devices.title"), body).into_response())
}

/// The add/edit form. `id` is set when editing.
fn device_form(ctx: &Ctx, id: Option<&str>, f: &DeviceForm, errors: &FormErrors) -> Markup {
    let l = ctx.locale;
    let p = &f.profile;
    let action = match id {
        Some(id) => format!("/devices/{id}"),
        None => "/devices".to_string(),
    };
    let roles: Vec<&str> = p.roles.iter().map(|s| s.as_str()).collect();
    html! {
        form.grid id="device-form" method="post" action=(action) hx-post=(action) hx-target="#device-form" hx-select="#device-form" hx-swap="outerHTML" {
            (hidden_csrf(&ctx.csrf))
            @if let Some(m) = errors.get("form") { (error_box(m)) }
            label { (t(l, "devices.name")) input type="text" name="name" value=(p.name) required maxlength="64"; (errors.show("name")) }
            label { (t(l, "devices.address")) input type="text" name="address" value=(p.address) required placeholder="sw1.example.net"; (errors.show("address")) }
            label { (t(l, "devices.transport"))
                select name="transport" {
                    @for tr in [DeviceTransport::Ssh, DeviceTransport::Telnet] {
                        option value=(tr.as_str()) selected[p.transport == tr.as_str()] { (tr.as_str()) }
                    }
                }
                (errors.show("transport"))
            }
            label { (t(l, "devices.port")) input type="text" name="port" value=(p.port) placeholder="22 / 23" size="6"; (errors.show("port")) }
            label { (t(l, "devices.dialect"))
                select name="dialect" {
                    option value="" { "—" }
                    @for d in Dialect::ALL {
                        option value=(d.as_str()) selected[p.dialect == d.as_str()] { (d.label()) }
                    }
                }
                (errors.show("dialect"))
            }
            fieldset {
                legend { (t(l, "devices.roles")) }
                @for r in DeviceRole::ALL {
                    label { input type="checkbox" name="roles" value=(r.as_str()) checked[roles.contains(&r.as_str())]; " " (r.as_str()) }
                }
                (errors.show("roles"))
            }
            label { (t(l, "devices.login")) input type="text" name="login" value=(p.login) required autocomplete="off"; (errors.show("login")) }
            label { (t(l, "devices.password"))
                input type="password" name="password" autocomplete="new-password" required[id.is_none()]
                    placeholder=[id.map(|_| t(l, "devices.keep_password"))];
                (errors.show("password"))
            }
            label { (t(l, "devices.enable_password"))
                input type="password" name="enable_password" autocomplete="new-password"
                    placeholder=[id.map(|_| t(l, "devices.keep_password"))];
                (errors.show("enable_password"))
            }
            @if id.is_some() {
                label { input type="checkbox" name="clear_enable" value="true"; " " (t(l, "devices.clear_enable")) }
            }
            label { (t(l, "devices.ssh_key"))
                textarea name="ssh_key" rows="3" autocomplete="off" spellcheck="false"
                    placeholder=(if id.is_some() { t(l, "devices.keep_key") } else { "-----BEGIN OPENSSH PRIVATE KEY-----" }) {}
                (errors.show("ssh_key"))
            }
            @if id.is_some() {
                label { input type="checkbox" name="clear_ssh_key" value="true"; " " (t(l, "devices.clear_ssh_key")) }
            }
            label { (t(l, "devices.tags")) input type="text" name="tags" value=(p.tags) placeholder="core, north"; (errors.show("tags")) }
            label { (t(l, "devices.host")) input type="text" name="host" value=(p.host.clone().unwrap_or_default()) placeholder=(t(l, "devices.host_hint")); (errors.show("host")) }
            label { (t(l, "devices.fdb_interval")) input type="text" inputmode="numeric" name="fdb_interval_min" value=(p.fdb_interval_min.clone().unwrap_or_default()) placeholder=(t(l, "devices.fdb_interval_hint")) size="6"; (errors.show("fdb_interval_min")) }
            label { (t(l, "devices.mgmt_mac")) input type="text" name="mgmt_mac" value=(p.mgmt_mac.clone().unwrap_or_default()) placeholder=(t(l, "devices.mgmt_mac_hint")) autocomplete="off" spellcheck="false"; (errors.show("mgmt_mac")) }
            label { (t(l, "devices.schedule")) input type="text" name="pull_schedule" value=(p.pull_schedule.clone().unwrap_or_default()) placeholder=(t(l, "devices.schedule_hint")); (errors.show("pull_schedule")) }
            label { input type="checkbox" name="legacy_ssh" value="true" checked[p.legacy_ssh]; " " (t(l, "devices.legacy_ssh")) }
            label { input type="checkbox" name="mask_secrets" value="true" checked[p.mask_secrets]; " " (t(l, "devices.mask_secrets")) }
            div { button type="submit" { (t(l, if id.is_some() { "common.save" } else { "devices.add" })) } }
        }
    }
}

/// Axum's `Form` cannot collect repeated checkboxes into a Vec with
/// serde_urlencoded; parse the body by hand.
pub(crate) fn parse_form(body: &[u8]) -> DeviceForm {
    let mut f = DeviceForm::default();
    for (k, v) in form_urlencoded::parse(body) {
        let v = v.into_owned();
        let p = &mut f.profile;
        match k.as_ref() {
            "name" => p.name = v,
            "address" => p.address = v,
            "port" => p.port = v,
            "transport" => p.transport = v,
            "dialect" => p.dialect = v,
            "roles" => p.roles.extend(v.split(',').map(|s| s.trim().to_string())),
            "login" => p.login = v,
            "legacy_ssh" => p.legacy_ssh = v == "true" || v == "on",
            "tags" => p.tags = v,
            "host" => p.host = Some(v),
            "pull_schedule" => p.pull_schedule = Some(v),
            "mask_secrets" => p.mask_secrets = v == "true" || v == "on",
            "mgmt_mac" => p.mgmt_mac = Some(v),
            "fdb_interval_min" => p.fdb_interval_min = Some(v),
            "password" => f.password = v,
            "enable_password" => f.enable_password = v,
            "clear_enable" => f.clear_enable = v == "true" || v == "on",
            "ssh_key" => f.ssh_key = v,
            "clear_ssh_key" => f.clear_ssh_key = v == "true" || v == "on",
            _ => {}
        }
    }
    f
}

/// Redirect that also works for htmx (full navigation to the target).
fn go(ctx: &Ctx, to: &str) -> Response {
    if ctx.htmx {
        (StatusCode::OK, [("HX-Redirect", to.to_string())], "").into_response()
    } else {
        Redirect::to(to).into_response()
    }
}

pub async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let mut f = parse_form(&body);
    let result = devices::register(&st.core, &f, &ctx.meta()).await;
    f.password.clear();
    f.enable_password.clear();
    let errors = match result {
        Ok(Ok(id)) => return Ok(go(&ctx, &format!("/devices/{id}"))),
        Ok(Err(errors)) => errors,
        Err(e) => FormErrors::from_command(e, ctx.locale)?,
    };
    let body = device_form(&ctx, None, &f, &errors);
    Ok((
        errors.status(),
        respond(&ctx, t(ctx.locale, "devices.title"), body),
    )
        .into_response())
}

fn to_form(d: &DeviceRow) -> DeviceForm {
    DeviceForm {
        profile: ispmon_events::device::ProfileInput {
            name: d.name.clone(),
            address: d.address.clone(),
            port: d.port.to_string(),
            transport: d.transport.clone(),
            dialect: d.dialect.clone(),
            roles: d.roles.clone(),
            login: d.login.clone(),
            legacy_ssh: d.legacy_ssh,
            tags: d.tags.join(", "),
            host: d.host_id.clone(),
            pull_schedule: d.pull_schedule.clone(),
            mask_secrets: d.mask_secrets,
            mgmt_mac: d.mgmt_mac.clone(),
            fdb_interval_min: d.fdb_interval_min.map(|m| m.to_string()),
        },
        ..Default::default()
    }
}

fn versions_table(ctx: &Ctx, d: &DeviceRow, versions: &[VersionRow]) -> Markup {
    let l = ctx.locale;
    html! {
        @if versions.is_empty() {
            p.empty { (t(l, "configs.none")) }
        } @else {
            form method="get" action={ "/devices/" (d.device_id) "/diff" } {
                table.data id="versions" {
                    thead { tr {
                        th { (t(l, "configs.version")) } th { (t(l, "configs.when")) } th { (t(l, "configs.who")) }
                        th.num { (t(l, "configs.size")) } th { (t(l, "configs.change")) } th { "A" } th { "B" }
                    } }
                    tbody {
                        @for (i, v) in versions.iter().enumerate() {
                            tr {
                                td { a href={ "/devices/" (d.device_id) "/configs/" (v.version) } { "v" (v.version) } }
                                td.nowrap { (when(&v.at)) }
                                td { (v.actor) " " span.muted.small { "(" (v.source) ")" } }
                                td.num { (v.lines) " " (t(l, "configs.lines")) ", " (v.size) " B" }
                                td.nowrap { span.badge.good { "+" (v.added) } " " span.badge.bad { "−" (v.removed) } }
                                td { input type="radio" name="a" value=(v.version) checked[i == 1 || (versions.len() == 1 && i == 0)]; }
                                td { input type="radio" name="b" value=(v.version) checked[i == 0]; }
                            }
                        }
                    }
                }
                @if versions.len() > 1 { button #compare type="submit" { (t(l, "configs.compare")) } }
            }
        }
    }
}

pub async fn show(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let d = load(&st, &id).await?;
    let body = device_page(&st, &ctx, &d, None, &FormErrors::default()).await?;
    Ok(respond(&ctx, &d.name, body).into_response())
}

async fn device_page(
    st: &AppState,
    ctx: &Ctx,
    d: &DeviceRow,
    flash: Option<Markup>,
    errors: &FormErrors,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let id = d.device_id.clone();
    let versions = st
        .core
        .views
        .read(move |c| device_views::versions(c, &id))
        .await?;
    let schedule = d
        .pull_schedule
        .clone()
        .unwrap_or_else(|| st.settings.config_pull_cron.clone());
    let base = format!("/devices/{}", d.device_id);
    let ps = PullStatus::one(st, &d.device_id).await;
    let search_port = super::device_fdb::section(st, ctx, d).await?;
    let fdb_settings = crate::fdb::settings(&st.core)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    Ok(html! {
        div id="device" {
            p { a href="/devices" { "← " (t(l, "devices.title")) } }
            h1 { (d.name) " " @if d.retired { span.badge { (t(l, "devices.retired")) } } }
            @if let Some(f) = flash { (f) }
            dl.facts {
                dt { (t(l, "devices.address")) } dd { (d.address) ":" (d.port) " (" (d.transport) @if d.legacy_ssh { ", " (t(l, "devices.legacy_ssh")) } ")" }
                dt { (t(l, "devices.dialect")) } dd { (Dialect::parse(&d.dialect).map(|x| x.label()).unwrap_or(&d.dialect)) }
                dt { (t(l, "devices.roles")) } dd { (dash(&d.roles)) }
                @if let Some(mac) = &d.mgmt_mac { dt { (t(l, "devices.mgmt_mac")) } dd.mgmt-mac { code { (mac) } } }
                dt { (t(l, "devices.login")) } dd { (d.login) " · " (t(l, "devices.password")) " •••" @if d.has_enable { " · enable •••" } " " span.muted.small { (t(l, "devices.password_changed")) " " (when(&d.password_changed_at)) } }
                @if let Some(fp) = &d.key_fingerprint { dt { (t(l, "devices.ssh_key")) } dd { code { (fp) } } }
                dt { (t(l, "devices.tags")) } dd { (dash(&d.tags)) }
                @if let Some(h) = &d.host_id { dt { (t(l, "devices.host")) } dd { a href={ "/icmp/hosts/" (h) } { (t(l, "devices.icmp_host")) } } }
                @if d.roles.iter().any(|r| r == "switch") {
                    dt { (t(l, "devices.fdb_interval")) }
                    dd.fdb-interval {
                        @match d.fdb_interval_min {
                            Some(m) => { (m) " " (t(l, "unit.min")) },
                            None => {
                                (fdb_settings.fdb_interval_min) " " (t(l, "unit.min")) " "
                                span.muted.small {
                                    "("
                                    @if ctx.can_get("/admin/search/settings") {
                                        a href="/admin/search/settings" { (t(l, "devices.fdb_interval_inherited")) }
                                    } @else {
                                        (t(l, "devices.fdb_interval_inherited"))
                                    }
                                    ")"
                                }
                            },
                        }
                    }
                }
                dt { (t(l, "devices.schedule")) } dd { code { (schedule) } @if d.pull_schedule.is_none() { " " span.muted.small { (t(l, "devices.inherited")) } } @if let Some(n) = devices::next_run(&schedule) { " · " (t(l, "devices.next_pull")) " " (when(&n)) } }
                dt { (t(l, "devices.host_key")) } dd { code { (d.host_key.clone().unwrap_or_else(|| "—".into())) } }
                dt { (t(l, "devices.last_pull")) } dd { (status(ctx, &ps, d)) }
            }
            @if let Some(pending) = &d.pending_host_key {
                div.error-box role="alert" {
                    (t(l, "devices.host_key_changed")) " " code { (pending) }
                    @if ctx.can_post("/devices/{id}/hostkey") && !d.retired {
                        form.inline method="post" action={ (base) "/hostkey" } {
                            (hidden_csrf(&ctx.csrf))
                            input type="hidden" name="fingerprint" value=(pending);
                            button.danger type="submit" { (t(l, "devices.accept_key")) }
                        }
                    }
                }
            }
            @if !d.retired {
                div.actions {
                    @if ctx.can_post("/devices/{id}/pull") {
                        form.inline method="post" action={ (base) "/pull" } hx-post={ (base) "/pull" } hx-target="#device" hx-select="#device" hx-swap="outerHTML" {
                            (hidden_csrf(&ctx.csrf))
                            button type="submit" id="pull-now" { (t(l, "devices.pull_now")) }
                        }
                    }
                    @if ctx.can_post("/devices/{id}/test") {
                        form.inline method="post" action={ (base) "/test" } hx-post={ (base) "/test" } hx-target="#test-result" hx-swap="innerHTML" {
                            (hidden_csrf(&ctx.csrf))
                            button type="submit" { (t(l, "devices.test")) }
                        }
                    }
                    @if ctx.can_post("/devices/{id}/retire") {
                        form.inline method="post" action={ (base) "/retire" } hx-confirm=(t(l, "devices.retire_confirm")) {
                            (hidden_csrf(&ctx.csrf))
                            button.danger type="submit" { (t(l, "devices.retire")) }
                        }
                    }
                }
            }
            div id="test-result" {}
            (search_port)
            h2 { (t(l, "configs.versions")) }
            (versions_table(ctx, d, &versions))
            @if let Some(a) = ps.attempts.get(&d.device_id) {
                @if !a.transcript.is_empty() {
                    details.card {
                        summary { (t(l, "devices.last_transcript")) " · " (when(&a.at)) " · " (a.duration_ms) " ms" }
                        pre { (a.transcript) }
                    }
                }
            }
            @if ctx.can_post("/devices/{id}") && !d.retired {
                details.card open[!errors.is_empty()] {
                    summary { (t(l, "devices.edit")) }
                    (device_form(ctx, Some(&d.device_id), &to_form(d), errors))
                }
            }
            p.small { a href={ "/audit/entity/Device/" (d.device_id) } { (t(l, "devices.history")) } }
        }
    })
}

pub async fn edit(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let d = load(&st, &id).await?;
    let mut f = parse_form(&body);
    let result = devices::edit(&st.core, &id, &d, &f, &ctx.meta()).await;
    f.password.clear();
    f.enable_password.clear();
    f.ssh_key.clear();
    let errors = match result {
        Ok(Ok(_)) => return Ok(go(&ctx, &format!("/devices/{id}"))),
        Ok(Err(errors)) => errors,
        Err(e) => FormErrors::from_command(e, ctx.locale)?,
    };
    let body = device_form(&ctx, Some(&id), &f, &errors);
    Ok((errors.status(), respond(&ctx, &d.name, body)).into_response())
}

pub async fn retire(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    load(&st, &id).await?;
    st.core
        .commands
        .device(&id, DeviceCommand::Retire, &ctx.meta())
        .await?;
    Ok(go(&ctx, &format!("/devices/{id}")))
}

#[derive(Deserialize)]
pub struct HostKeyForm {
    fingerprint: String,
}

pub async fn accept_host_key(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<HostKeyForm>,
) -> AppResult<Response> {
    let d = load(&st, &id).await?;
    if d.pending_host_key.as_deref() != Some(f.fingerprint.as_str()) {
        return Err(AppError::Rejected(
            "this key is not the one the device presented; reload the page".into(),
        ));
    }
    let cmd = DeviceCommand::AcceptHostKey {
        fingerprint: f.fingerprint,
    };
    st.core.commands.device(&id, cmd, &ctx.meta()).await?;
    Ok(go(&ctx, &format!("/devices/{id}")))
}

pub fn outcome_text(ctx: &Ctx, o: &Outcome) -> String {
    let l = ctx.locale;
    match o {
        Outcome::NewVersion(v) => format!("{} v{v}", t(l, "devices.new_version")),
        Outcome::Unchanged => t(l, "devices.unchanged").to_string(),
        Outcome::Failed(r) => format!("{}: {r}", t(l, "devices.failed")),
        Outcome::Busy => t(l, "devices.busy").to_string(),
    }
}

pub async fn pull(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let d = load(&st, &id).await?;
    if d.retired {
        return Err(AppError::Rejected("this device is retired".into()));
    }
    let outcome = pull_one(&st, &ctx, &d).await?;
    let msg = outcome_text(&ctx, &outcome);
    let d = load(&st, &id).await?;
    let flash = match outcome {
        Outcome::Failed(_) | Outcome::Busy => error_box(&msg),
        _ => notice(&msg),
    };
    let body = device_page(&st, &ctx, &d, Some(flash), &FormErrors::default()).await?;
    Ok(respond(&ctx, &d.name, body).into_response())
}

pub async fn test(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let l = ctx.locale;
    let d = load(&st, &id).await?;
    let (result, transcript) = match crate::devices::pull::target(&d) {
        Ok(target) => st.puller.test_connection(&target, &ctx.meta()).await,
        Err(reason) => (Err(reason), String::new()),
    };
    let body = html! {
        @match &result {
            Ok(_) => (notice(t(l, "devices.test_ok"))),
            Err(reason) => (error_box(&format!("{}: {reason}", t(l, "devices.test_failed")))),
        }
        @if let Ok(out) = &result { pre { (out) } }
        details.card open {
            summary { (t(l, "devices.transcript")) }
            pre { (transcript) }
        }
    };
    Ok(respond(&ctx, &d.name, body).into_response())
}

#[derive(Deserialize, Default)]
pub struct PullAllForm {
    #[serde(default)]
    tag: String,
}

/// Starts pulls of every live device (or those with a tag) in the
/// background; the list shows progress.
pub async fn pull_all(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<PullAllForm>,
) -> AppResult<Response> {
    let tag = f.tag.trim().to_string();
    let devices: Vec<DeviceRow> = st
        .core
        .views
        .read(device_views::all_live)
        .await?
        .into_iter()
        .filter(|d| tag.is_empty() || d.tags.iter().any(|x| x.eq_ignore_ascii_case(&tag)))
        .collect();
    if devices.is_empty() {
        return Err(AppError::Rejected(if tag.is_empty() {
            "there are no devices to pull".into()
        } else {
            format!("no device has the tag “{tag}”")
        }));
    }
    let scope = if tag.is_empty() {
        Scope::All
    } else {
        Scope::Tag(tag)
    };
    st.scheduler
        .run_now(pull_job::JOB_NAME, scope, Some(ctx.meta()))
        .map_err(scheduler_error)?;
    Ok(go(&ctx, "/devices"))
}

/// "Pull now" for one device: the scheduler's config-pull job over this
/// device, waited for; the outcome is the attempt it recorded.
pub(crate) async fn pull_one(st: &AppState, ctx: &Ctx, d: &DeviceRow) -> AppResult<Outcome> {
    let started = ispmon_events::store::now_rfc3339();
    let run = st
        .scheduler
        .run(
            pull_job::JOB_NAME,
            Scope::One(d.device_id.clone()),
            Some(ctx.meta()),
        )
        .await;
    match run {
        // An attempt older than this run: the device's lease was held
        // elsewhere, so nothing was attempted.
        Ok(_) => Ok(match st.puller.last_attempt(&d.device_id).await {
            Some(a) if a.at >= started => a.outcome,
            _ => Outcome::Busy,
        }),
        Err(SchedulerError::AlreadyRunning(_)) => Ok(Outcome::Busy),
        Err(e) => Err(scheduler_error(e)),
    }
}

/// A scheduler refusal as the page says it.
pub(crate) fn scheduler_error(e: SchedulerError) -> AppError {
    match e {
        SchedulerError::AlreadyRunning(m) => AppError::Rejected(m),
        other => AppError::Internal(anyhow::anyhow!(other)),
    }
}
