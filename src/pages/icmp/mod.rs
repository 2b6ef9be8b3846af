//! The ICMP pages, split by meaning:
//!
//! - [`board`]: the board in pages (problems first; folder, state and
//!   search filters; counts in the sidebar), "check all/down", and the
//!   dashboard's down panel.
//! - [`live`]: the board's live updates (only changed rows on screen).
//! - [`host`]: a host's page (facts, chart, history) and its buttons (pause,
//!   resume, acknowledge, maintenance, check now, delete).
//! - [`forms`]: the add/edit host form, its validation and its handlers.
//! - [`folders`]: creating, renaming and deleting folders.
//! - [`csv`]: CSV export and the two-step import.
//! - [`settings`]: the admin form of the ICMP settings.
//!
//! This module holds what they share: a host's state badge, the board row,
//! number formats, the latest round's figures, and loading a host or
//! answering 404.

pub mod board;
pub mod csv;
pub mod folders;
pub mod forms;
pub mod host;
pub mod live;
pub mod settings;

use ispmon_events::host::HostState;
use ispmon_projections::hosts::{self, HostRow};
use ispmon_scheduler::telemetry::Telemetry;
use maud::{html, Markup};

use super::components::when;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::t;
use crate::state::AppState;

pub(super) fn state_badge(ctx: &Ctx, h: &HostRow) -> Markup {
    let l = ctx.locale;
    let (class, key) = if h.paused {
        ("paused", "icmp.state.paused")
    } else {
        match h.state {
            HostState::Up => ("up", "icmp.state.up"),
            HostState::Degraded => ("degraded", "icmp.state.degraded"),
            HostState::Down => ("down", "icmp.state.down"),
            HostState::Unreachable => ("unreachable", "icmp.state.unreachable"),
            HostState::Pending => ("pending", "icmp.state.pending"),
        }
    };
    html! { span class={ "state " (class) } { (t(l, key)) } }
}

pub(super) fn fmt_ms(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.2} ms"))
        .unwrap_or_else(|| "—".into())
}

pub(super) fn fmt_loss(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.0} %")).unwrap_or_else(|| "—".into())
}

/// One board row; `oob` marks it for an out-of-band swap in live updates.
pub(super) fn host_row(ctx: &Ctx, h: &HostRow, oob: bool) -> Markup {
    html! {
        tr id={ "host-" (h.host_id) } class={ "st-" (h.state.as_str()) } data-state=(h.state.as_str()) hx-swap-oob=[oob.then_some("true")] {
            td { (state_badge(ctx, h)) }
            td { a href={ "/icmp/hosts/" (h.host_id) } { (h.name) } }
            td { code { (h.ip) } }
            td.nowrap.wide-only { (when(&h.state_since)) }
            td.num { (fmt_ms(h.last_avg_ms)) }
            td.num { (fmt_loss(h.last_loss_pct)) }
            td.small.wide-only { @if let Some(by) = &h.acked_by { "✓ " (by) @if let Some(c) = &h.ack_comment { ": " (c) } } }
        }
    }
}
pub(super) async fn load(st: &AppState, id: &str) -> AppResult<HostRow> {
    st.find(id, hosts::get).await
}

/// Puts the latest round's RTT and loss (telemetry) on `rows`, where there
/// is one; only these rows are looked up (blocking: inside a read).
pub(super) fn apply_latest(tel: &Telemetry, rows: &mut [HostRow]) -> rusqlite::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = rows.iter().map(|h| h.host_id.clone()).collect();
    let latest = tel.latest_of_blocking(&ids)?;
    for h in rows {
        if let Some((_, loss, avg)) = latest.get(&h.host_id) {
            h.last_loss_pct = Some(*loss);
            h.last_avg_ms = *avg;
        }
    }
    Ok(())
}

/// [`apply_latest`] on a blocking thread.
pub(super) async fn with_latest(st: &AppState, rows: Vec<HostRow>) -> AppResult<Vec<HostRow>> {
    let tel = st.core.telemetry.clone();
    let rows = tokio::task::spawn_blocking(move || {
        let mut rows = rows;
        apply_latest(&tel, &mut rows).map(|()| rows)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))??;
    Ok(rows)
}
