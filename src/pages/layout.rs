//! The page layout: head, navigation (only views the user may open), footer.

use maud::{html, Markup, DOCTYPE};

use crate::auth::Ctx;
use crate::i18n::{role_name, t, Locale};
use crate::static_files::{CSS, HTMX};

/// htmx settings: swap 422 (form errors) and 409 (conflict) responses too;
/// going back to a pushed URL (the board's pages) reloads it whole, since
/// an htmx request gets only the fragment.
const HTMX_CONFIG: &str = r#"{"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"422","swap":true},{"code":"409","swap":true},{"code":"[45]..","swap":false,"error":true}],"historyCacheSize":0,"refreshOnHistoryMiss":true}"#;

/// The navigation: (path, catalog key); a link shows only when allowed.
const NAV: &[(&str, &str)] = &[
    ("/", "nav.home"),
    ("/search", "nav.search"),
    ("/subscribers", "nav.subscribers"),
    ("/tickets", "nav.tickets"),
    ("/requests", "nav.requests"),
    ("/visits", "nav.visits"),
    ("/gpon", "nav.gpon"),
    ("/icmp", "nav.icmp"),
    ("/devices", "nav.devices"),
    ("/firmware", "nav.firmware"),
    ("/admin/users", "nav.users"),
    ("/admin/sessions", "nav.sessions"),
    ("/audit/events", "nav.audit"),
    ("/audit/state", "nav.state"),
    ("/admin/icmp/settings", "nav.icmp_settings"),
    ("/admin/search/settings", "nav.search_settings"),
    ("/admin/billing", "nav.billing"),
    ("/admin/notifications", "nav.notifications"),
    ("/admin/sla", "nav.sla"),
    ("/admin/jobs", "nav.jobs"),
];

pub fn page(ctx: &Ctx, title: &str, body: Markup) -> Markup {
    let l = ctx.locale;
    let csrf_header = format!(r#"{{"X-CSRF-Token": "{}"}}"#, ctx.csrf);
    html! {
        (DOCTYPE)
        html lang=(l.as_str()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="htmx-config" content=(HTMX_CONFIG);
                title { (title) " · " (t(l, "app.name")) }
                link rel="stylesheet" href={ (CSS) "?v=" (env!("CARGO_PKG_VERSION")) };
                script src=(HTMX) defer {}
            }
            body hx-headers=(csrf_header) {
                header.top {
                    a.brand href="/" { (t(l, "app.name")) }
                    @if ctx.actor.is_some() {
                        nav {
                            @for (path, key) in NAV {
                                @if ctx.can_get(path) {
                                    a href=(path) { (t(l, key)) }
                                }
                            }
                        }
                    }
                    div.spacer {}
                    @if let Some(a) = &ctx.actor {
                        (lang_switch(ctx))
                        a.me href="/account" title=(t(l, "nav.account")) { (a.login) " · " (role_name(l, a.role.as_str())) }
                        form.inline method="post" action="/logout" {
                            input type="hidden" name="_csrf" value=(ctx.csrf);
                            button.link type="submit" { (t(l, "nav.logout")) }
                        }
                    }
                }
                main id="main" { (body) }
                footer.muted.small { (t(l, "common.utc")) }
            }
        }
    }
}

/// The language switch: one button per language not in use.
fn lang_switch(ctx: &Ctx) -> Markup {
    html! {
        form.inline.lang method="post" action="/account/locale" {
            input type="hidden" name="_csrf" value=(ctx.csrf);
            @for loc in [Locale::En, Locale::Ru] {
                @if loc != ctx.locale {
                    button.link type="submit" name="locale" value=(loc.as_str()) id={"lang-" (loc.as_str())} { (loc.as_str().to_uppercase()) }
                }
            }
        }
    }
}

/// Renders a fragment for htmx, or the whole page.
pub fn respond(ctx: &Ctx, title: &str, body: Markup) -> Markup {
    if ctx.htmx {
        body
    } else {
        page(ctx, title, body)
    }
}
