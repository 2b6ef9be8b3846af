//! The device page's Search Port section: a switch's MAC-table collections
//! and its ports (MACs, uplinks with why, admins' marks, MACs at the edge);
//! a NAS's session polls. "Collect now" / "poll now" go through the
//! scheduler.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use ispmon_projections::devices::{self as device_views, DeviceRow};
use ispmon_projections::macs;
use ispmon_scheduler::fdb::sightings::CollectionRow;
use ispmon_scheduler::fdb::UplinkReason;
use maud::{html, Markup};

use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::{t, Locale};
use crate::pages::components::{hidden_csrf, when};
use crate::state::AppState;

/// Collections shown.
const RECENT: usize = 5;

fn has_role(d: &DeviceRow, role: &str) -> bool {
    d.roles.iter().any(|r| r == role)
}

/// Why a port is an uplink, in the reader's language ("trunk in config",
/// "agg-2 seen here", "12 MACs, more than 8").
pub fn uplink_reason(l: Locale, r: &UplinkReason) -> String {
    match r {
        UplinkReason::Marked => t(l, "uplink.marked").to_string(),
        UplinkReason::Trunk { mode } => format!("{mode} {}", t(l, "uplink.in_config")),
        UplinkReason::KnownDevice { name } => format!("{name} {}", t(l, "uplink.seen_here")),
        UplinkReason::Threshold { count, limit } => {
            format!("{count} {} {limit}", t(l, "uplink.macs_over"))
        }
    }
}

fn outcome(ctx: &Ctx, c: &CollectionRow) -> Markup {
    let l = ctx.locale;
    match c.outcome.split_once(' ') {
        Some(("failed", reason)) => html! { span.state.down { (t(l, "fdb.failed")) } " " (reason) },
        _ if c.outcome == "busy" => html! { (t(l, "fdb.busy")) },
        _ => html! { span.state.up { (t(l, "fdb.ok")) } },
    }
}

fn collections(ctx: &Ctx, rows: &[CollectionRow], moved_key: &'static str) -> Markup {
    let l = ctx.locale;
    html! {
        @if rows.is_empty() { p.muted { (t(l, "fdb.never")) } } @else {
            table.data.collections {
                thead { tr { th { (t(l, "fdb.when")) } th { (t(l, "fdb.outcome")) } th.num { (t(l, "fdb.rows")) } th.num { (t(l, moved_key)) } th.num { "ms" } } }
                tbody {
                    @for c in rows {
                        tr { td.nowrap { (when(&c.at)) } td { (outcome(ctx, c)) } td.num { (c.rows) } td.num { (c.moved) } td.num { (c.duration_ms) } }
                    }
                }
            }
        }
    }
}

/// The section for a switch or a NAS; empty for other devices.
pub async fn section(st: &AppState, ctx: &Ctx, d: &DeviceRow) -> AppResult<Markup> {
    let l = ctx.locale;
    let (switch, nas) = (has_role(d, "switch"), has_role(d, "nas"));
    if !switch && !nas {
        return Ok(html! {});
    }
    let recent: Vec<CollectionRow> = st
        .core
        .telemetry
        .fdb_collections(d.device_id.clone(), RECENT * 2)
        .await?;
    let base = format!("/devices/{}", d.device_id);
    let can_run = ctx.can_post("/devices/{id}/fdb") && !d.retired;
    let mut body = html! {};
    if switch {
        let ports = st.core.telemetry.fdb_ports(d.device_id.clone()).await?;
        let id = d.device_id.clone();
        let (edges, marks) = st
            .core
            .views
            .read(move |c| {
                Ok((
                    macs::edge_counts(c, &id)?,
                    device_views::port_marks_of(c, &id)?,
                ))
            })
            .await?;
        let mark_of = |port: &str| {
            let canon = ispmon_scheduler::cli::canonical_port(port);
            marks
                .iter()
                .find(|(p, _)| ispmon_scheduler::cli::canonical_port(p) == canon)
                .map(|(_, m)| m.as_str())
        };
        let fdb: Vec<&CollectionRow> = recent
            .iter()
            .filter(|c| c.kind == "fdb")
            .take(RECENT)
            .collect();
        let fdb: Vec<CollectionRow> = fdb.into_iter().cloned().collect();
        body = html! {
            (body)
            h2 #fdb { (t(l, "fdb.title")) }
            @if can_run {
                form.inline method="post" action={ (base) "/fdb" } {
                    (hidden_csrf(&ctx.csrf))
                    button type="submit" { (t(l, "fdb.collect_now")) }
                }
            }
            (collections(ctx, &fdb, "fdb.moved"))
            @if !ports.is_empty() {
                details.card #fdb-ports {
                    summary { (t(l, "fdb.ports")) " (" (ports.len()) ")" }
                    table.data {
                        thead { tr { th { (t(l, "search.port")) } th.num { "MAC" } th.num { (t(l, "fdb.at_edge")) } th { (t(l, "fdb.uplink")) } th { (t(l, "fdb.mark")) } } }
                        tbody {
                            @for p in &ports {
                                tr {
                                    td { code { (p.port) } }
                                    td.num { (p.macs) }
                                    td.num { (edges.get(&p.port).copied().unwrap_or(0)) }
                                    td { @if let Some(why) = &p.uplink { (uplink_reason(l, why)) } }
                                    td { (mark_of(&p.port).unwrap_or("")) }
                                }
                            }
                        }
                    }
                }
            }
        };
    }
    if nas {
        let polls: Vec<CollectionRow> = recent
            .iter()
            .filter(|c| c.kind == "nas")
            .take(RECENT)
            .cloned()
            .collect();
        body = html! {
            (body)
            h2 #nas { (t(l, "fdb.nas_title")) }
            @if can_run {
                form.inline method="post" action={ (base) "/sessions" } {
                    (hidden_csrf(&ctx.csrf))
                    button type="submit" { (t(l, "fdb.poll_now")) }
                }
            }
            (collections(ctx, &polls, "fdb.rebound"))
        };
    }
    Ok(body)
}

async fn run_one(
    st: &AppState,
    ctx: &Ctx,
    id: &str,
    role: &str,
    job: &'static str,
) -> AppResult<Response> {
    let d = st.find(id, device_views::get).await?;
    if d.retired || !has_role(&d, role) {
        return Err(AppError::BadRequest(format!(
            "{} is not a live {role}",
            d.name
        )));
    }
    st.scheduler
        .run_now(
            job,
            ispmon_scheduler::Scope::One(id.to_string()),
            Some(ctx.meta()),
        )
        .map_err(crate::pages::devices::scheduler_error)?;
    let anchor = if role == "nas" { "nas" } else { "fdb" };
    Ok(Redirect::to(&format!("/devices/{id}#{anchor}")).into_response())
}

/// "Collect now": reads the switch's MAC table in the background.
pub async fn collect(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    run_one(
        &st,
        &ctx,
        &id,
        "switch",
        ispmon_scheduler::fdb::job::JOB_NAME,
    )
    .await
}

/// "Poll now": reads the NAS's sessions in the background.
pub async fn poll(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    run_one(&st, &ctx, &id, "nas", ispmon_scheduler::nas::job::JOB_NAME).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_uplink_reason_reads_in_both_languages() {
        let cases = [
            (
                UplinkReason::Marked,
                "marked uplink by an admin",
                "отмечен аплинком администратором",
            ),
            (
                UplinkReason::Trunk {
                    mode: "trunk".into(),
                },
                "trunk in config",
                "trunk в конфигурации",
            ),
            (
                UplinkReason::KnownDevice {
                    name: "agg-2".into(),
                },
                "agg-2 seen here",
                "agg-2 виден здесь",
            ),
            (
                UplinkReason::Threshold {
                    count: 12,
                    limit: 8,
                },
                "12 MACs, more than 8",
                "12 MAC, больше 8",
            ),
        ];
        for (r, en, ru) in cases {
            assert_eq!(uplink_reason(Locale::En, &r), en);
            assert_eq!(uplink_reason(Locale::Ru, &r), ru);
        }
    }
}
