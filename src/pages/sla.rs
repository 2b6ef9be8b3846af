//! Admin: the SLA settings — the business-hours calendar (UTC offset,
//! working hours of each weekday or a day off, holidays one date a line),
//! the first-response and resolution times of each priority, and a
//! category's own times for a priority. Saving records only what changed
//! (one event, in the audit) and the read model recomputes every open
//! ticket's due times at once; the page says how many.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Form;
use ispmon_events::sla::{Calendar, Sla, WEEKDAYS};
use ispmon_events::sla_settings::policy_field;
use ispmon_events::ticket::Priority;
use ispmon_projections::sla_settings::SlaRow;
use maud::{html, Markup};

use crate::auth::Ctx;
use crate::error::AppResult;
use crate::i18n::{t, Locale};
use crate::pages::components::{hidden_csrf, notice, when, FieldsForm, FormErrors};
use crate::pages::layout::respond;
use crate::sla::{
    parse_holidays, parse_minutes, parse_overrides, parse_time, show_holidays, show_minutes,
    show_overrides, show_time, Saved,
};
use crate::state::AppState;

pub const PATH: &str = "/admin/sla";

/// The form as shown: from the settings, or as typed.
struct Shown {
    offset: String,
    /// (open, close, day off) per weekday, Monday first.
    days: Vec<(String, String, bool)>,
    holidays: String,
    /// (first response, resolution) per priority, most urgent first.
    policies: Vec<(Priority, String, String)>,
    overrides: String,
}

fn priorities() -> impl Iterator<Item = Priority> {
    Priority::ALL.into_iter().rev()
}

impl Shown {
    fn of(sla: &Sla) -> Self {
        let c = &sla.calendar;
        Shown {
            offset: c.utc_offset_min.to_string(),
            days: c
                .days
                .iter()
                .map(|d| match d {
                    Some((o, cl)) => (show_time(*o), show_time(*cl), false),
                    None => ("09:00".into(), "18:00".into(), true),
                })
                .collect(),
            holidays: show_holidays(c),
            policies: priorities()
                .map(|p| match sla.policies.get(&p) {
                    Some(x) => (
                        p,
                        show_minutes(x.first_response),
                        show_minutes(x.resolution),
                    ),
                    None => (p, String::new(), String::new()),
                })
                .collect(),
            overrides: show_overrides(sla),
        }
    }

    fn typed(f: &FieldsForm) -> Self {
        let raw = |name: &str| f.fields.get(name).cloned().unwrap_or_default();
        Shown {
            offset: raw("utc_offset_min"),
            days: WEEKDAYS
                .iter()
                .map(|w| {
                    (
                        raw(&format!("{w}_open")),
                        raw(&format!("{w}_close")),
                        f.fields.contains_key(&format!("{w}_off")),
                    )
                })
                .collect(),
            holidays: raw("holidays"),
            policies: priorities()
                .map(|p| (p, raw(policy_field(p, false)), raw(policy_field(p, true))))
                .collect(),
            overrides: raw("overrides"),
        }
    }

    /// The settings typed, or the fields' errors.
    fn read(&self) -> Result<Sla, FormErrors> {
        let mut errors = FormErrors::default();
        let mut calendar = Calendar {
            utc_offset_min: 0,
            days: [None; 7],
            holidays: Default::default(),
        };
        match self.offset.trim().parse::<i32>() {
            Ok(m) => calendar.utc_offset_min = m,
            Err(_) => errors.add("utc_offset_min", "enter whole minutes (+180 for Moscow)"),
        }
        for (i, (open, close, off)) in self.days.iter().enumerate() {
            if *off {
                continue;
            }
            match (parse_time(open), parse_time(close)) {
                (Some(o), Some(c)) => calendar.days[i] = Some((o, c)),
                _ => errors.add(WEEKDAYS[i], "times are HH:MM"),
            }
        }
        match parse_holidays(&self.holidays) {
            Ok(h) => calendar.holidays = h,
            Err(m) => errors.add("holidays", m),
        }
        let mut policies = std::collections::BTreeMap::new();
        for (p, first, resolution) in &self.policies {
            let first_min = parse_minutes(first);
            let res_min = parse_minutes(resolution);
            if first_min.is_none() {
                errors.add(policy_field(*p, false), "a time like 30m, 4h or 1h30m");
            }
            if res_min.is_none() {
                errors.add(policy_field(*p, true), "a time like 30m, 4h or 1h30m");
            }
            let minutes = |m: i64| chrono::Duration::try_minutes(m);
            if let (Some(f), Some(r)) = (first_min.and_then(minutes), res_min.and_then(minutes)) {
                policies.insert(
                    *p,
                    ispmon_events::sla::SlaPolicy {
                        first_response: f,
                        resolution: r,
                    },
                );
            }
        }
        let overrides = match parse_overrides(&self.overrides) {
            Ok(o) => o,
            Err(m) => {
                errors.add("overrides", m);
                Default::default()
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Sla {
            calendar,
            policies,
            overrides,
        })
    }
}

fn day_name(l: Locale, i: usize) -> &'static str {
    t(
        l,
        [
            "sla.mon", "sla.tue", "sla.wed", "sla.thu", "sla.fri", "sla.sat", "sla.sun",
        ][i],
    )
}

fn priority_name(l: Locale, p: Priority) -> &'static str {
    t(
        l,
        match p {
            Priority::Urgent => "tickets.p_urgent",
            Priority::High => "tickets.p_high",
            Priority::Normal => "tickets.p_normal",
            Priority::Low => "tickets.p_low",
        },
    )
}

fn form(ctx: &Ctx, s: &Shown, row: &SlaRow, errors: &FormErrors, message: Option<&str>) -> Markup {
    let l = ctx.locale;
    html! {
        section #sla-settings {
            h1 { (t(l, "sla.title")) }
            p.muted {
                @match &row.changed {
                    Some((at, by)) => {
                        (t(l, "fdb_settings.changed")) " " (when(at)) " · " (by) " · "
                        a href={ "/audit/entity/SlaSettings/" (ispmon_events::sla_settings::SETTINGS_ID) } { (t(l, "devices.history")) }
                    },
                    None => (t(l, "fdb_settings.defaults")),
                }
            }
            @if let Some(m) = message { (notice(m)) }
            @if let Some(m) = errors.get("form") { div.error-box role="alert" { (m) } }
            form.card method="post" action=(PATH) {
                (hidden_csrf(&ctx.csrf))
                h2 { (t(l, "sla.calendar")) }
                label {
                    (t(l, "sla.offset"))
                    input type="text" inputmode="numeric" name="utc_offset_min" value=(s.offset) required;
                    (errors.show("utc_offset_min"))
                }
                table #sla-days {
                    thead { tr { th { (t(l, "sla.day")) } th { (t(l, "sla.open")) } th { (t(l, "sla.close")) } th { (t(l, "sla.day_off")) } th {} } }
                    tbody {
                        @for (i, (open, close, off)) in s.days.iter().enumerate() {
                            @let w = WEEKDAYS[i];
                            tr #{ "day-" (w) } {
                                td { (day_name(l, i)) }
                                td { input type="time" name={ (w) "_open" } value=(open) aria-label={ (day_name(l, i)) " " (t(l, "sla.open")) }; }
                                td { input type="time" name={ (w) "_close" } value=(close) aria-label={ (day_name(l, i)) " " (t(l, "sla.close")) }; }
                                td { input type="checkbox" name={ (w) "_off" } value="1" checked[*off] aria-label={ (day_name(l, i)) " " (t(l, "sla.day_off")) }; }
                                td { (errors.show(w)) }
                            }
                        }
                    }
                }
                (errors.show("days"))
                label {
                    (t(l, "sla.holidays"))
                    textarea name="holidays" rows="5" placeholder="2027-01-01" { (s.holidays) }
                    (errors.show("holidays"))
                }
                h2 { (t(l, "sla.policies")) }
                p.small.muted { (t(l, "sla.times_hint")) }
                table #sla-policies {
                    thead { tr { th { (t(l, "tickets.priority")) } th { (t(l, "sla.first_response")) } th { (t(l, "sla.resolution")) } } }
                    tbody {
                        @for (p, first, resolution) in &s.policies {
                            tr #{ "policy-" (p.as_str()) } {
                                td { (priority_name(l, *p)) }
                                td { label {
                                    input type="text" name=(policy_field(*p, false)) value=(first) required aria-label={ (priority_name(l, *p)) " " (t(l, "sla.first_response")) };
                                    (errors.show(policy_field(*p, false)))
                                } }
                                td { label {
                                    input type="text" name=(policy_field(*p, true)) value=(resolution) required aria-label={ (priority_name(l, *p)) " " (t(l, "sla.resolution")) };
                                    (errors.show(policy_field(*p, true)))
                                } }
                            }
                        }
                    }
                }
                label {
                    (t(l, "sla.overrides"))
                    textarea name="overrides" rows="4" placeholder="node-down urgent 15m 2h" { (s.overrides) }
                    (errors.show("overrides"))
                }
                p.small.muted { (t(l, "sla.overrides_hint")) }
                button type="submit" { (t(l, "account.save")) }
            }
        }
    }
}

fn page(ctx: &Ctx, body: Markup) -> Markup {
    respond(ctx, t(ctx.locale, "sla.title"), body)
}

/// "N open tickets recomputed, M got new due times."
fn recomputed(l: Locale, row: &SlaRow) -> String {
    t(l, "sla.recomputed")
        .replace("{n}", &row.recomputed.to_string())
        .replace("{m}", &row.moved.to_string())
}

pub async fn show(State(st): State<AppState>, ctx: Ctx) -> AppResult<Markup> {
    let row = crate::sla::current(&st).await?;
    let body = form(
        &ctx,
        &Shown::of(&row.sla),
        &row,
        &FormErrors::default(),
        None,
    );
    Ok(page(&ctx, body))
}

pub async fn save(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<FieldsForm>,
) -> AppResult<Response> {
    let l = ctx.locale;
    let typed = Shown::typed(&f);
    let errors = match typed.read() {
        Ok(sla) => match crate::sla::save(&st, sla, &ctx.meta()).await {
            Ok(Saved::Changed(row)) => {
                let m = format!("{} {}", t(l, "users.saved"), recomputed(l, &row));
                let body = form(
                    &ctx,
                    &Shown::of(&row.sla),
                    &row,
                    &FormErrors::default(),
                    Some(&m),
                );
                return Ok(page(&ctx, body).into_response());
            }
            Ok(Saved::Unchanged(row)) => {
                let m = t(l, "fdb_settings.unchanged");
                let body = form(
                    &ctx,
                    &Shown::of(&row.sla),
                    &row,
                    &FormErrors::default(),
                    Some(m),
                );
                return Ok(page(&ctx, body).into_response());
            }
            Err(e) => FormErrors::from_command(e, l)?,
        },
        Err(errors) => errors,
    };
    let row = crate::sla::current(&st).await?;
    let body = form(&ctx, &typed, &row, &errors, None);
    Ok((errors.status(), page(&ctx, body)).into_response())
}
