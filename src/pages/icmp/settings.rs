//! Admin: the ICMP settings form, every field with its range.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Form;
use ispmon_events::icmp_settings::{IcmpSettingsCommand, IcmpSettingsValues};
use maud::{html, Markup};

use crate::auth::Ctx;
use crate::error::AppResult;
use crate::i18n::t;
use crate::pages::components::{hidden_csrf, notice, FieldsForm, FormErrors};
use crate::pages::layout::respond;
use crate::state::AppState;

/// (field, label, unit) in form order.
const FIELDS: &[(&str, &str, &str)] = &[
    ("sweep_interval_s", "Sweep interval", "10–600 s"),
    ("probes_per_host", "Probes per host", "1–10"),
    ("probe_gap_ms", "Gap between probes", "10–10,000 ms"),
    ("concurrency", "Hosts probed at once", "5–2,000"),
    ("timeout_s", "Reply timeout", "1–10 s"),
    (
        "failed_rounds_before_down",
        "Failed rounds before down",
        "1–10",
    ),
    ("loss_threshold_pct", "Loss threshold", "0–100 %"),
    ("latency_threshold_ms", "Latency threshold", "1–60,000 ms"),
];

fn value_of(v: &IcmpSettingsValues, field: &str) -> String {
    match field {
        "sweep_interval_s" => v.sweep_interval_s.to_string(),
        "probes_per_host" => v.probes_per_host.to_string(),
        "probe_gap_ms" => v.probe_gap_ms.to_string(),
        "concurrency" => v.concurrency.to_string(),
        "timeout_s" => v.timeout_s.to_string(),
        "failed_rounds_before_down" => v.failed_rounds_before_down.to_string(),
        "loss_threshold_pct" => v.loss_threshold_pct.to_string(),
        "latency_threshold_ms" => v.latency_threshold_ms.to_string(),
        _ => String::new(),
    }
}

fn form(ctx: &Ctx, shown: &[(&str, String)], errors: &FormErrors, message: Option<&str>) -> Markup {
    let l = ctx.locale;
    html! {
        section #icmp-settings {
            h1 { (t(l, "icmp.settings")) }
            @if let Some(m) = message { (notice(m)) }
            @if let Some(m) = errors.get("form") { div.error-box role="alert" { (m) } }
            form.card method="post" action="/admin/icmp/settings" {
                (hidden_csrf(&ctx.csrf))
                div.grid {
                    @for (field, label, unit) in FIELDS {
                        @let value = shown.iter().find(|(f, _)| f == field).map(|(_, v)| v.as_str()).unwrap_or("");
                        label { (label) " (" (unit) ")"
                            input type="text" inputmode="decimal" name=(field) value=(value) required;
                            (errors.show(field))
                        }
                    }
                }
                button type="submit" { (t(l, "account.save")) }
            }
        }
    }
}

fn current(v: &IcmpSettingsValues) -> Vec<(&'static str, String)> {
    FIELDS
        .iter()
        .map(|(f, _, _)| (*f, value_of(v, f)))
        .collect()
}

pub async fn show(State(st): State<AppState>, ctx: Ctx) -> AppResult<Markup> {
    let v = st
        .core
        .views
        .read(ispmon_projections::folders::icmp_settings)
        .await?;
    Ok(respond(
        &ctx,
        t(ctx.locale, "icmp.settings"),
        form(&ctx, &current(&v), &FormErrors::default(), None),
    ))
}

pub async fn save(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<FieldsForm>,
) -> AppResult<Response> {
    let mut errors = FormErrors::default();
    let get = |name: &'static str, errors: &mut FormErrors| -> f64 {
        let raw = f.fields.get(name).map(|s| s.trim()).unwrap_or("");
        match raw.replace(',', ".").parse::<f64>() {
            Ok(v) if v.is_finite() => v,
            _ => {
                errors.add(name, "enter a number");
                f64::NAN
            }
        }
    };
    let whole = |v: f64| {
        if v.fract() == 0.0 && v >= 0.0 && v <= u32::MAX as f64 {
            v as u32
        } else {
            u32::MAX
        }
    };
    let values = IcmpSettingsValues {
        sweep_interval_s: whole(get("sweep_interval_s", &mut errors)),
        probes_per_host: whole(get("probes_per_host", &mut errors)),
        probe_gap_ms: whole(get("probe_gap_ms", &mut errors)),
        concurrency: whole(get("concurrency", &mut errors)),
        timeout_s: whole(get("timeout_s", &mut errors)),
        failed_rounds_before_down: whole(get("failed_rounds_before_down", &mut errors)),
        loss_threshold_pct: get("loss_threshold_pct", &mut errors),
        latency_threshold_ms: get("latency_threshold_ms", &mut errors),
    };
    if errors.is_empty() {
        for (field, msg) in values.errors() {
            errors.add(field, msg);
        }
    }
    let shown: Vec<(&str, String)> = FIELDS
        .iter()
        .map(|(name, _, _)| (*name, f.fields.get(*name).cloned().unwrap_or_default()))
        .collect();
    if errors.is_empty() {
        match st
            .core
            .commands
            .icmp_settings(IcmpSettingsCommand::Change(values), &ctx.meta())
            .await
        {
            Ok(_) => {
                let body = form(
                    &ctx,
                    &current(&values),
                    &errors,
                    Some(t(ctx.locale, "users.saved")),
                );
                return Ok(respond(&ctx, t(ctx.locale, "icmp.settings"), body).into_response());
            }
            Err(e) => errors = FormErrors::from_command(e, ctx.locale)?,
        }
    }
    let body = form(&ctx, &shown, &errors, None);
    Ok((
        errors.status(),
        respond(&ctx, t(ctx.locale, "icmp.settings"), body),
    )
        .into_response())
}
