//! The landing page after login: counts, users online, recent changes —
//! each shown only to roles that may open the view behind it.

use axum::extract::State;
use ispmon_events::store::EventFilter;
use maud::{html, Markup};

use super::layout::respond;
use crate::auth::Ctx;
use crate::error::AppResult;
use crate::i18n::t;
use crate::state::AppState;

pub async fn show(State(st): State<AppState>, ctx: Ctx) -> AppResult<Markup> {
    let l = ctx.locale;
    let actor = ctx.actor()?;
    let users = st.core.views.read(ispmon_projections::users::count).await?;
    let online = super::sessions::open_sessions(&st).await?;
    let show_sessions = ctx.can_get("/admin/sessions");
    let down = if ctx.can_get("/icmp") {
        Some(super::icmp::board::down_panel(&st, &ctx).await?)
    } else {
        None
    };
    let device_counts = if ctx.can_get("/devices") {
        let today = format!("{}T00:00:00", chrono::Utc::now().format("%Y-%m-%d"));
        Some(
            st.core
                .views
                .read(move |c| {
                    let (devices, failing) = ispmon_projections::devices::counts(c)?;
                    let changes = ispmon_projections::devices::versions_since(c, &today)?;
                    Ok((devices, failing, changes))
                })
                .await?,
        )
    } else {
        None
    };
    let show_audit = ctx.can_get("/audit/events");
    let recent = if show_audit {
        st.core
            .store
            .query(EventFilter {
                limit: 10,
                ..Default::default()
            })
            .await?
    } else {
        Vec::new()
    };
    let body = html! {
        section #home hx-get="/" hx-trigger="every 10s" hx-select="#home" hx-swap="outerHTML" {
            h1 { (t(l, "home.welcome")) ", " (actor.login) }
            div.stats {
                div.stat { span.n { (online.len()) } span { (t(l, "home.online")) } }
                @if ctx.can_get("/admin/users") {
                    a.stat href="/admin/users" { span.n { (users) } span { (t(l, "home.users")) } }
                }
                @if let Some((devices, failing, changes)) = device_counts {
                    a.stat href="/devices" { span.n { (devices) } span { (t(l, "home.devices")) } }
                    a.stat href="/devices?sort=status" { span.n { (failing) } span { (t(l, "home.pulls_failing")) } }
                    a.stat href="/devices?sort=version_at&desc=1" { span.n { (changes) } span { (t(l, "home.config_changes")) } }
                }
                @if show_audit {
                    a.stat href="/audit/events" { span.n { (st.core.store.head()) } span { (t(l, "home.events")) } }
                }
            }
            @if let Some(panel) = &down { (panel) }
            @if show_sessions {
                h2 { a href="/admin/sessions" { (t(l, "home.online")) } }
                (super::sessions::table(&st, &ctx, &online, false))
            }
            @if show_audit {
                h2 { a href="/audit/events" { (t(l, "home.recent")) } }
                (super::audit::events_table(&ctx, &recent))
            }
        }
    };
    Ok(respond(&ctx, t(l, "home.title"), body))
}
