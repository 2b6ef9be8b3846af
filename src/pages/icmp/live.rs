//! Live updates of the board. The page's poller says what it shows (the
//! filter, the page, and the ids of its rows); the answer carries only the
//! rows on screen that changed (out of band, inside a `<template>`), the
//! sidebar's counts when anything changed, and — when hosts that now belong
//! in this view as problems changed off screen — a small "N changes,
//! refresh" notice. Rows on screen are updated in place, never reshuffled.

use std::collections::HashSet;

use axum::extract::{Query, State};
use ispmon_projections::folders as folder_views;
use ispmon_projections::hosts::{self, HostRow, StateFilter};
use maud::{html, Markup};
use serde::Deserialize;

use super::board::{sidebar, BoardQuery, BoardView, PER_PAGE};
use super::{host_row, with_latest};
use crate::auth::Ctx;
use crate::error::AppResult;
use crate::i18n::t;
use crate::pages::components::query;
use crate::state::AppState;

/// Changed rows one poll looks at; a larger wave (a first sweep) is taken
/// over the next polls.
const MAX_CHANGES: usize = 1000;
/// A row is named by the first characters of its id: enough to pick the
/// page's rows (an id is a UUID), short enough that the poller's URL stays
/// small at 200 rows. A rare false match sends a row the page does not
/// have, which htmx ignores.
const ID_PREFIX: usize = 8;

/// The short name of a host id in the poller's URL.
pub(super) fn short_id(id: &str) -> &str {
    id.get(..ID_PREFIX).unwrap_or(id)
}

/// The element that polls for changes since `since` and replaces itself.
/// `on` lists the rows on screen (short ids, comma-separated); `off_screen`
/// is the count of changes the notice shows so far. It overrides the
/// attributes the board hands down to its links.
pub(super) fn marker(since: &str, v: &BoardView, on: &str, off_screen: usize) -> Markup {
    let (page, per, n) = (
        v.page.to_string(),
        v.per.to_string(),
        off_screen.to_string(),
    );
    let state = if v.filter.state == StateFilter::All {
        ""
    } else {
        v.filter.state.as_str()
    };
    let url = format!(
        "/icmp/changes{}",
        query(&[
            ("since", since),
            ("folder", v.filter.folder.as_str()),
            ("state", state),
            ("q", &v.filter.search),
            ("page", &page),
            ("per", &per),
            ("on", on),
            ("n", if off_screen == 0 { "" } else { &n }),
        ])
    );
    html! {
        div #icmp-live hx-get=(url) hx-trigger="every 3s" hx-target="this" hx-select="#icmp-live" hx-swap="outerHTML" hx-push-url="false" {}
    }
}

/// The `on` list of a page's rows.
pub(super) fn on_screen(rows: &[HostRow]) -> String {
    let ids: Vec<&str> = rows.iter().map(|h| short_id(&h.host_id)).collect();
    ids.join(",")
}

#[derive(Deserialize)]
pub struct ChangesQuery {
    #[serde(default)]
    since: String,
    #[serde(default)]
    folder: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    per: String,
    /// Short ids of the rows on screen, comma-separated.
    #[serde(default)]
    on: String,
    /// Changes off screen counted so far.
    #[serde(default)]
    n: String,
}

/// Live updates: the rows on screen changed since `since`, swapped out of
/// band; counts and the off-screen notice follow.
pub async fn changes(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ChangesQuery>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let v = BoardView::parse(&BoardQuery {
        folder: q.folder.clone(),
        state: q.state.clone(),
        q: q.q.clone(),
        page: q.page.clone(),
        per: q.per.clone(),
        ..Default::default()
    })?;
    let on_list: Vec<&str> =
        q.on.split(',')
            .filter(|s| !s.is_empty())
            .take(PER_PAGE[PER_PAGE.len() - 1])
            .collect();
    let on: HashSet<&str> = on_list.iter().copied().collect();
    if q.since.is_empty() {
        // Nothing to compare with: start from now.
        let now = ispmon_events::store::now_rfc3339();
        return Ok(marker(&now, &v, &on_list.join(","), 0));
    }
    let since = q.since.clone();
    let (changed, side) = st
        .core
        .views
        .read(move |c| {
            let changed = hosts::changed_since(c, &since, MAX_CHANGES)?;
            let side = if changed.is_empty() {
                None
            } else {
                Some((hosts::board_counts(c)?, folder_views::list(c)?))
            };
            Ok((changed, side))
        })
        .await?;
    // The next poll starts after the newest change seen (not the clock, so
    // a change projected a moment late is not skipped).
    let next = changed
        .last()
        .map(|h| h.updated_at.as_str())
        .filter(|u| *u > q.since.as_str())
        .unwrap_or(&q.since)
        .to_string();
    let (shown, off): (Vec<HostRow>, Vec<HostRow>) = changed
        .into_iter()
        .partition(|h| on.contains(short_id(&h.host_id)));
    let fresh = off
        .iter()
        .filter(|h| StateFilter::Problems.admits(h.state, h.paused) && v.filter.admits(h))
        .count();
    let n = q.n.parse::<usize>().unwrap_or(0).saturating_add(fresh);
    let shown = with_latest(&st, shown).await?;
    Ok(html! {
        (marker(&next, &v, &on_list.join(","), n))
        // Table rows must sit in a <template> to survive HTML parsing
        // outside a table; htmx swaps the rows inside it out of band.
        @if !shown.is_empty() {
            template { @for h in &shown { (host_row(&ctx, h, true)) } }
        }
        @if let Some((counts, folders)) = side { (sidebar(&ctx, &counts, &folders, &v, true)) }
        @if n > 0 {
            div #icmp-notice hx-swap-oob="true" {
                div.notice role="status" {
                    (n) " " (t(l, "icmp.changes_off_screen")) " "
                    a href=(v.at(v.page)) hx-get=(v.at(v.page)) { (t(l, "icmp.refresh")) }
                }
            }
        }
    })
}
