//! Admin: where host transitions are notified (webhook, Telegram), and what
//! was sent, skipped or failed. The webhook URL and the bot token are
//! write-only: stored in the secrets table; the page shows "•••" for the
//! token and only the origin of the URL.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use ispmon_events::notify_settings::{
    check_http_url, origin_of, NotifySettingsCommand, NotifySettingsValues, DEFAULT_TELEGRAM_API,
};
use ispmon_events::secrets::SecretRef;
use ispmon_projections::notify::NotifySettingsRow;
use maud::{html, Markup};
use serde::Deserialize;

use super::components::{hidden_csrf, notice, when, FormErrors};
use super::layout::respond;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::{t, Locale};
use crate::notify::{Delivery, DeliveryAttempt, Notifier, Status};
use crate::state::AppState;

/// Rows shown in each table.
const SHOWN: usize = 50;

/// The form as typed (the stored URL and token are never echoed back; no
/// `Debug`, so it cannot be logged by accident).
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct NotifyForm {
    webhook_url: String,
    webhook_url_clear: Option<String>,
    telegram_api_base: String,
    telegram_chat_id: String,
    telegram_token: String,
    telegram_token_clear: Option<String>,
}

impl NotifyForm {
    fn from_values(v: &NotifySettingsValues) -> Self {
        Self {
            telegram_api_base: v.telegram_api_base.clone(),
            telegram_chat_id: v.telegram_chat_id.clone().unwrap_or_default(),
            ..Default::default()
        }
    }
}

struct View<'a> {
    shown: &'a NotifyForm,
    saved: &'a NotifySettingsRow,
    errors: &'a FormErrors,
    message: Option<&'a str>,
    deliveries: &'a [Delivery],
    failures: &'a [DeliveryAttempt],
}

/// The page's word for a delivery's status (`data-status`).
fn status_word(status: Status) -> &'static str {
    match status {
        Status::Done => "sent",
        Status::Pending => "pending",
        Status::Claimed => "sending",
        Status::Failed => "failed",
        Status::Skipped => "skipped",
        Status::Dropped => "dropped",
    }
}

fn status_text(l: Locale, status: Status) -> &'static str {
    match status {
        Status::Done => t(l, "notify.status.sent"),
        Status::Pending => t(l, "notify.status.pending"),
        Status::Claimed => t(l, "notify.status.sending"),
        Status::Failed => t(l, "notify.status.failed"),
        Status::Skipped => t(l, "notify.status.skipped"),
        Status::Dropped => t(l, "notify.status.dropped"),
    }
}

fn status_class(status: Status) -> &'static str {
    match status {
        Status::Done => "badge good",
        Status::Failed | Status::Dropped => "badge bad",
        _ => "badge",
    }
}

fn form(ctx: &Ctx, v: &View<'_>) -> Markup {
    let l = ctx.locale;
    let token_set = v.saved.values.telegram_token_ref.is_some();
    let webhook = v.saved.values.webhook_shown();
    html! {
        form.card method="post" action="/admin/notifications" #notify-form {
            (hidden_csrf(&ctx.csrf))
            @if let Some(m) = v.errors.get("form") { div.error-box role="alert" { (m) } }
            h2 { (t(l, "notify.webhook")) }
            p.muted.small { (t(l, "notify.webhook_hint")) }
            div.grid {
                label { (t(l, "notify.webhook_url"))
                    input type="url" name="webhook_url" value=(v.shown.webhook_url)
                        autocomplete="off"
                        placeholder=(webhook.as_ref().map_or("https://example.net/hooks/ispmon".to_string(), |o| format!("{o}/•••")));
                    @if let Some(origin) = &webhook {
                        span.muted.small #webhook-state {
                            (origin) "/••• " (t(l, "notify.webhook_set"))
                        }
                    }
                    (v.errors.show("webhook_url"))
                }
            }
            @if webhook.is_some() {
                label.inline-form {
                    input type="checkbox" name="webhook_url_clear" value="1";
                    (t(l, "notify.webhook_clear"))
                }
            }
            h2 { "Telegram" }
            p.muted.small { (t(l, "notify.telegram_hint")) }
            div.grid {
                label { (t(l, "notify.token"))
                    input type="password" name="telegram_token" value="" autocomplete="off"
                        placeholder=(if token_set { "•••" } else { "123456789:AA…" });
                    @if token_set {
                        span.muted.small #token-state { "••• " (t(l, "notify.token_set")) }
                    }
                    (v.errors.show("telegram_token"))
                }
                label { (t(l, "notify.chat_id"))
                    input type="text" name="telegram_chat_id" value=(v.shown.telegram_chat_id)
                        placeholder="-1001234567890";
                    (v.errors.show("telegram_chat_id"))
                }
                label { (t(l, "notify.api_base"))
                    input type="url" name="telegram_api_base" value=(v.shown.telegram_api_base)
                        placeholder=(DEFAULT_TELEGRAM_API);
                    (v.errors.show("telegram_api_base"))
                }
            }
            @if token_set {
                label.inline-form {
                    input type="checkbox" name="telegram_token_clear" value="1";
                    (t(l, "notify.token_clear"))
                }
            }
            button type="submit" { (t(l, "notify.save")) }
            @if let (Some(at), Some(by)) = (&v.saved.updated_at, &v.saved.updated_by) {
                p.muted.small { (t(l, "notify.changed")) ": " (when(at)) " · " (by) }
            }
        }
    }
}

fn deliveries(l: Locale, rows: &[Delivery]) -> Markup {
    html! {
        h2 { (t(l, "notify.deliveries")) }
        @if rows.is_empty() {
            p.empty { (t(l, "notify.none")) }
        } @else {
            table.data #notify-deliveries {
                thead { tr {
                    th { (t(l, "notify.at")) } th { (t(l, "notify.event")) } th { (t(l, "notify.host")) }
                    th { (t(l, "notify.channel")) } th { (t(l, "notify.status")) }
                    th { (t(l, "notify.attempts")) } th { (t(l, "notify.note")) }
                } }
                tbody {
                    @for d in rows {
                        @let n = &d.effect;
                        @let channel = n.channel.map_or("", |c| c.as_str());
                        @let (name, detail) = n.subject();
                        tr data-status=(status_word(d.status)) data-channel=(channel) data-seq=(d.seq) {
                            td.nowrap { (when(n.at())) }
                            td { "#" (d.seq) " " (n.event_type()) }
                            td { (name) " " code { (detail) } }
                            td { @if channel.is_empty() { "—" } @else { (channel) } }
                            td { span class=(status_class(d.status)) { (status_text(l, d.status)) } }
                            td { (d.attempts) }
                            td.small {
                                @if let Some(e) = &d.reason { (e) }
                                @if d.status == Status::Pending && d.attempts > 0 {
                                    " · " (t(l, "notify.next_attempt")) " " (when(&d.next_attempt_at))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn failures(l: Locale, rows: &[DeliveryAttempt]) -> Markup {
    html! {
        h2 { (t(l, "notify.failures")) }
        @if rows.is_empty() {
            p.empty { (t(l, "notify.none")) }
        } @else {
            table.data #notify-failures {
                thead { tr {
                    th { (t(l, "notify.at")) } th { (t(l, "notify.channel")) } th { (t(l, "notify.event")) }
                    th { (t(l, "notify.host")) } th { (t(l, "notify.attempt")) } th { (t(l, "notify.error")) }
                } }
                tbody {
                    @for a in rows {
                        @let n = a.effect.as_ref();
                        tr {
                            td.nowrap { (when(&a.at)) }
                            td { (a.key) }
                            td { "#" (a.seq) " " (n.map_or("", |n| n.event_type())) }
                            td { (n.map_or("", |n| n.subject().0)) }
                            td { (a.attempt) }
                            td.small { (a.error.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    }
}

fn page(ctx: &Ctx, v: &View<'_>) -> Markup {
    let l = ctx.locale;
    let body = html! {
        section #notifications {
            h1 { (t(l, "notify.title")) }
            @if let Some(m) = v.message { (notice(m)) }
            (form(ctx, v))
            p.muted.small { (t(l, "notify.policy")) }
            (deliveries(l, v.deliveries))
            (failures(l, v.failures))
        }
    };
    respond(ctx, t(l, "notify.title"), body)
}

async fn history(n: &Notifier) -> AppResult<(Vec<Delivery>, Vec<DeliveryAttempt>)> {
    let internal = |e: crate::notify::NotifyError| AppError::Internal(e.into());
    let d = n.deliveries(SHOWN).await.map_err(internal)?;
    let f = n.attempts(true, SHOWN).await.map_err(internal)?;
    Ok((d, f))
}

#[tracing::instrument(skip_all)]
pub async fn show(
    State(st): State<AppState>,
    Extension(n): Extension<Notifier>,
    ctx: Ctx,
) -> AppResult<Markup> {
    let saved = st
        .core
        .views
        .read(ispmon_projections::notify::settings)
        .await?;
    let (d, f) = history(&n).await?;
    let shown = NotifyForm::from_values(&saved.values);
    Ok(page(
        &ctx,
        &View {
            shown: &shown,
            saved: &saved,
            errors: &FormErrors::default(),
            message: None,
            deliveries: &d,
            failures: &f,
        },
    ))
}

/// A Bot API token: `<bot id>:<secret>`.
fn check_token(token: &str) -> Result<(), &'static str> {
    let ok = token.split_once(':').is_some_and(|(id, secret)| {
        (1..=20).contains(&id.len())
            && id.chars().all(|c| c.is_ascii_digit())
            && (10..=200).contains(&secret.len())
            && secret
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    if ok {
        Ok(())
    } else {
        Err("a bot token looks like 123456789:AAE… (digits, a colon, then letters, digits, '-' or '_')")
    }
}

/// `https://host/api/` → `https://host/api` (the scheme's `//` stays).
fn without_trailing_slashes(url: &str) -> &str {
    let keep = url.find("://").map_or(0, |i| i + 3);
    let trimmed = url[keep..].trim_end_matches('/');
    &url[..keep + trimmed.len()]
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

#[tracing::instrument(skip_all)]
pub async fn save(
    State(st): State<AppState>,
    Extension(n): Extension<Notifier>,
    ctx: Ctx,
    Form(f): Form<NotifyForm>,
) -> AppResult<Response> {
    let l = ctx.locale;
    let saved = st
        .core
        .views
        .read(ispmon_projections::notify::settings)
        .await?;
    let mut errors = FormErrors::default();
    let token = f.telegram_token.trim();
    if !token.is_empty() {
        if let Err(m) = check_token(token) {
            errors.add("telegram_token", m);
        }
    }
    let base = without_trailing_slashes(f.telegram_api_base.trim());
    let token_ref = if !token.is_empty() {
        // Stands in for the new token's reference until the input is valid.
        Some(SecretRef(String::new()))
    } else if f.telegram_token_clear.is_some() {
        None
    } else {
        saved.values.telegram_token_ref.clone()
    };
    // The URL to seal: a newly typed one, or one recorded in the clear
    // before URLs were sealed (sealed now, at the next save).
    let url = f.webhook_url.trim();
    if !url.is_empty() {
        if let Err(m) = check_http_url(url) {
            errors.add("webhook_url", m);
        } else if reqwest::Url::parse(url).is_err() {
            errors.add("webhook_url", "not a valid URL");
        }
    }
    let kept = &saved.values;
    let clear = f.webhook_url_clear.is_some();
    let to_seal = if !url.is_empty() {
        Some(url.to_string())
    } else if clear {
        None
    } else {
        kept.webhook_url.clone()
    };
    let (webhook_url_ref, webhook_target) = match &to_seal {
        // Stands in for the new reference until the input is valid.
        Some(u) => (Some(SecretRef(String::new())), Some(origin_of(u))),
        None if clear => (None, None),
        None => (kept.webhook_url_ref.clone(), kept.webhook_target.clone()),
    };
    let mut values = NotifySettingsValues {
        webhook_url_ref,
        webhook_target,
        webhook_url: None,
        telegram_api_base: if base.is_empty() {
            DEFAULT_TELEGRAM_API.to_string()
        } else {
            base.to_string()
        },
        telegram_chat_id: non_empty(&f.telegram_chat_id),
        telegram_token_ref: token_ref,
    };
    // A typed URL already named its own problem.
    let typed_bad = errors.get("webhook_url").is_some();
    for (field, msg) in values.errors() {
        if !(typed_bad && field == "webhook_url") {
            errors.add(field, msg);
        }
    }
    if reqwest::Url::parse(&values.telegram_api_base).is_err() {
        errors.add("telegram_api_base", "not a valid URL");
    }
    if errors.is_empty() {
        if let Some(u) = &to_seal {
            let r = seal(&st, kept.webhook_url_ref.as_ref(), "webhook-url", u).await?;
            values.webhook_url_ref = Some(r);
        }
        if !token.is_empty() {
            let r = seal(
                &st,
                kept.telegram_token_ref.as_ref(),
                "telegram-token",
                token,
            )
            .await?;
            values.telegram_token_ref = Some(r);
        }
        match st
            .core
            .commands
            .notify_settings(NotifySettingsCommand::Change(values), &ctx.meta())
            .await
        {
            Ok(_) => {
                let saved = st
                    .core
                    .views
                    .read(ispmon_projections::notify::settings)
                    .await?;
                let (d, fl) = history(&n).await?;
                let shown = NotifyForm::from_values(&saved.values);
                let v = View {
                    shown: &shown,
                    saved: &saved,
                    errors: &errors,
                    message: Some(t(l, "notify.saved")),
                    deliveries: &d,
                    failures: &fl,
                };
                return Ok(page(&ctx, &v).into_response());
            }
            Err(e) => errors = FormErrors::from_command(e, ctx.locale)?,
        }
    }
    let (d, fl) = history(&n).await?;
    let v = View {
        shown: &f,
        saved: &saved,
        errors: &errors,
        message: None,
        deliveries: &d,
        failures: &fl,
    };
    Ok((errors.status(), page(&ctx, &v)).into_response())
}

/// The secret reference for `value`: the stored one when it holds the same
/// value (no new secret, no change), else a newly sealed secret.
async fn seal(
    st: &AppState,
    stored: Option<&SecretRef>,
    purpose: &str,
    value: &str,
) -> AppResult<SecretRef> {
    if let Some(r) = stored {
        if st.core.secrets.get(r).await?.as_deref() == Some(value.as_bytes()) {
            return Ok(r.clone());
        }
    }
    Ok(st.core.secrets.put(purpose, value.as_bytes()).await?)
}
