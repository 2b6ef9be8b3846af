//! Audit: the change log with filters, an entity's timeline with field-level
//! diffs, and the state of any entity as of a past moment.

use axum::extract::{Path, Query, State};
use chrono::{NaiveDateTime, TimeZone, Utc};
use ispmon_events::registry::{self, diff, flatten, readable_payload};
use ispmon_events::store::read::distinct;
use ispmon_events::store::EventFilter;
use ispmon_events::StoredEvent;
use maud::{html, Markup};
use serde::Deserialize;

use super::components::{error_box, query, when};
use super::layout::respond;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::t;
use crate::state::AppState;

const PER_PAGE: usize = 50;

/// Parses a moment typed in a form (UTC): `2026-11-29T15:30`, with seconds,
/// with a space, a bare date, or RFC 3339. Returns the log's format.
pub fn parse_moment(text: &str, end_of_unit: bool) -> Result<String, String> {
    let s = text.trim();
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(dt
            .with_timezone(&Utc)
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string());
    }
    let s2 = s.replace(' ', "T");
    for (fmt, pad) in [
        ("%Y-%m-%dT%H:%M:%S", ".999999"),
        ("%Y-%m-%dT%H:%M", ":59.999999"),
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(&s2, fmt) {
            let base = Utc.from_utc_datetime(&n);
            let text = if end_of_unit {
                format!("{}{pad}Z", base.format(fmt))
            } else {
                base.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
            };
            return Ok(text);
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(if end_of_unit {
            format!("{}T23:59:59.999999Z", d.format("%Y-%m-%d"))
        } else {
            format!("{}T00:00:00.000000Z", d.format("%Y-%m-%d"))
        });
    }
    Err(format!(
        "'{s}' is not a date and time (use YYYY-MM-DD HH:MM, UTC)"
    ))
}

fn who(e: &StoredEvent) -> Markup {
    let m = e.meta();
    html! {
        span.who {
            @if m.actor_login.is_empty() { span.muted { "system" } } @else { (m.actor_login) }
            @if !m.role.is_empty() { " " span.muted { "(" (m.role) ")" } }
        }
        br;
        span.muted.small { (m.source.as_str()) @if !m.client_ip.is_empty() { " · " (m.client_ip) } }
    }
}

fn payload(e: &StoredEvent) -> Markup {
    let fields = readable_payload(&e.event_type, &e.payload);
    html! {
        @if fields.is_empty() { span.muted { "—" } } @else {
            dl.payload { @for (k, v) in &fields { dt { (k) } dd { (v) } } }
        }
    }
}

/// The events table used by the change log and the home page.
pub fn events_table(ctx: &Ctx, events: &[StoredEvent]) -> Markup {
    let l = ctx.locale;
    html! {
        @if events.is_empty() { p.empty { (t(l, "audit.empty")) } } @else {
            table.data.events {
                thead { tr { th { "#" } th { (t(l, "audit.when")) } th { (t(l, "audit.who")) } th { (t(l, "audit.what")) } th { (t(l, "audit.entity")) } th { (t(l, "audit.payload")) } } }
                tbody {
                    @for e in events {
                        tr data-seq=(e.seq) {
                            td.num { (e.seq) }
                            td.nowrap { (when(&e.recorded_at)) }
                            td { (who(e)) }
                            td { code { (e.event_type) } }
                            td { a href={ "/audit/entity/" (e.aggregate_type) "/" (e.aggregate_id) } { (e.aggregate_type) " " span.muted.small { (short(&e.aggregate_id)) } } }
                            td { (payload(e)) }
                        }
                    }
                }
            }
        }
    }
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

#[derive(Deserialize, Default)]
pub struct LogQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    aggregate_type: String,
    #[serde(default)]
    aggregate_id: String,
    #[serde(default)]
    event_type: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    before: Option<u64>,
}

fn select(name: &str, label: &str, any: &str, options: &[String], selected: &str) -> Markup {
    html! {
        label { (label)
            select name=(name) {
                option value="" { (any) }
                @for o in options { option value=(o) selected[o == selected] { (o) } }
            }
        }
    }
}

pub async fn change_log(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<LogQuery>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let mut errors = Vec::new();
    let bound = |text: &str, end: bool, errors: &mut Vec<String>| -> Option<String> {
        if text.trim().is_empty() {
            return None;
        }
        parse_moment(text, end).map_err(|e| errors.push(e)).ok()
    };
    let from = bound(&q.from, false, &mut errors);
    let to = bound(&q.to, true, &mut errors);
    let nonempty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let filter = EventFilter {
        actor: nonempty(&q.actor),
        aggregate_type: nonempty(&q.aggregate_type),
        aggregate_id: nonempty(&q.aggregate_id),
        event_type: nonempty(&q.event_type),
        from,
        to,
        before_seq: q.before,
        limit: PER_PAGE + 1,
    };
    let mut events = if errors.is_empty() {
        st.core.store.query(filter).await?
    } else {
        Vec::new()
    };
    let more = events.len() > PER_PAGE;
    events.truncate(PER_PAGE);
    let (actors, types, event_types) = st
        .core
        .store
        .read(|c| {
            Ok((
                distinct(c, "actor_login")?,
                distinct(c, "aggregate_type")?,
                distinct(c, "event_type")?,
            ))
        })
        .await?;
    let base = [
        ("actor", q.actor.as_str()),
        ("aggregate_type", q.aggregate_type.as_str()),
        ("aggregate_id", q.aggregate_id.as_str()),
        ("event_type", q.event_type.as_str()),
        ("from", q.from.as_str()),
        ("to", q.to.as_str()),
    ];
    let older = events.last().filter(|_| more).map(|e| {
        let before = e.seq.to_string();
        let mut pairs = base.to_vec();
        pairs.push(("before", &before));
        format!("/audit/events{}", query(&pairs))
    });
    let any = t(l, "audit.any");
    let body = html! {
        section #audit {
            h1 { (t(l, "audit.title")) }
            form.filters.grid method="get" action="/audit/events" {
                (select("actor", t(l, "audit.actor"), any, &actors, &q.actor))
                (select("aggregate_type", t(l, "audit.aggregate_type"), any, &types, &q.aggregate_type))
                label { (t(l, "audit.aggregate_id")) input type="text" name="aggregate_id" value=(q.aggregate_id); }
                (select("event_type", t(l, "audit.event_type"), any, &event_types, &q.event_type))
                label { (t(l, "audit.from")) input type="text" name="from" value=(q.from) placeholder="YYYY-MM-DD HH:MM"; }
                label { (t(l, "audit.to")) input type="text" name="to" value=(q.to) placeholder="YYYY-MM-DD HH:MM"; }
                button type="submit" { (t(l, "audit.filter")) }
            }
            @for e in &errors { (error_box(e)) }
            (events_table(&ctx, &events))
            nav.pager {
                @if q.before.is_some() { a href={ "/audit/events" (query(&base)) } { "⇤ " (t(l, "audit.newest")) } }
                @if let Some(href) = older { a href=(href) rel="next" { (t(l, "audit.older")) " →" } }
            }
        }
    };
    Ok(respond(&ctx, t(l, "audit.title"), body))
}

pub async fn timeline(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((kind, id)): Path<(String, String)>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let k = registry::kind(&kind).ok_or(AppError::NotFound)?;
    let events = st.core.store.aggregate_events(k.name, &id, None).await?;
    if events.is_empty() {
        return Err(AppError::NotFound);
    }
    let states = (k.fold)(&events).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    let null = serde_json::Value::Null;
    let body = html! {
        section #timeline {
            h1 { (t(l, "audit.timeline")) ": " (k.name) " " code { (id) } }
            p { a href={ "/audit/state" (query(&[("kind", k.name), ("id", &id)])) } { (t(l, "audit.state_as_of")) " →" } }
            ol.timeline {
                @for (i, e) in events.iter().enumerate() {
                    @let before = if i == 0 { &null } else { &states[i - 1] };
                    li data-seq=(e.seq) {
                        div.head {
                            code { (e.event_type) } " · " (when(&e.recorded_at)) " · " (who(e)) " · #" (e.seq)
                        }
                        table.data.diff {
                            thead { tr { th { (t(l, "audit.field")) } th { (t(l, "audit.before")) } th { (t(l, "audit.after")) } } }
                            tbody {
                                @for (field, b, a) in diff(before, &states[i]) {
                                    tr { td { code { (field) } } td.old { (b.unwrap_or_default()) } td.new { (a.unwrap_or_default()) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(respond(&ctx, t(l, "audit.timeline"), body))
}

#[derive(Deserialize, Default)]
pub struct StateQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    at: String,
}

pub async fn state_as_of(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<StateQuery>,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let mut error = None;
    let mut result = None;
    if !q.id.trim().is_empty() {
        match (registry::kind(&q.kind), q.at.trim()) {
            (None, _) => error = Some(format!("unknown entity type '{}'", q.kind)),
            (Some(k), at) => {
                let until = if at.is_empty() {
                    Ok(None)
                } else {
                    parse_moment(at, true).map(Some)
                };
                match until {
                    Err(e) => error = Some(e),
                    Ok(until) => {
                        let events = st
                            .core
                            .store
                            .aggregate_events(k.name, q.id.trim(), until)
                            .await?;
                        let states = (k.fold)(&events)
                            .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
                        result = Some((
                            events.len(),
                            events.last().map(|e| e.recorded_at.clone()),
                            states.last().map(flatten),
                        ));
                    }
                }
            }
        }
    }
    let body = html! {
        section #state {
            h1 { (t(l, "audit.state_as_of")) }
            form.filters.grid method="get" action="/audit/state" {
                label { (t(l, "audit.aggregate_type"))
                    select name="kind" { @for k in registry::KINDS { option value=(k.name) selected[k.name == q.kind] { (k.name) } } }
                }
                label { (t(l, "audit.aggregate_id")) input type="text" name="id" value=(q.id) required; }
                label { (t(l, "audit.at")) input type="text" name="at" value=(q.at) placeholder="YYYY-MM-DD HH:MM:SS"; }
                button type="submit" { (t(l, "audit.show")) }
            }
            @if let Some(e) = &error { (error_box(e)) }
            @if let Some((n, last, state)) = &result {
                @match state {
                    None => p.empty { (t(l, "audit.no_state")) },
                    Some(fields) => {
                        p.muted { (n) " " (t(l, "audit.events_until")) @if let Some(x) = last { " · " (when(x)) } }
                        table.data #state-table {
                            tbody { @for (k, v) in fields { tr { th { code { (k) } } td { (v) } } } }
                        }
                        p { a href={ "/audit/entity/" (q.kind) "/" (q.id.trim()) } { (t(l, "audit.timeline")) " →" } }
                    }
                }
            }
        }
    };
    Ok(respond(&ctx, t(l, "audit.state_as_of"), body))
}

#[cfg(test)]
mod tests {
    use super::parse_moment;

    #[test]
    fn moments_parse_in_common_shapes() {
        assert_eq!(
            parse_moment("2026-11-29 15:30", true).unwrap(),
            "2026-11-29T15:30:59.999999Z"
        );
        assert_eq!(
            parse_moment("2026-11-29T15:30:10", false).unwrap(),
            "2026-11-29T15:30:10.000000Z"
        );
        assert_eq!(
            parse_moment("2026-11-29", true).unwrap(),
            "2026-11-29T23:59:59.999999Z"
        );
        assert_eq!(
            parse_moment("2026-11-29", false).unwrap(),
            "2026-11-29T00:00:00.000000Z"
        );
        assert_eq!(
            parse_moment("yesterday", false),
            Err("'yesterday' is not a date and time (use YYYY-MM-DD HH:MM, UTC)".to_string())
        );
    }
}
