//! The router and the permission table: every route has exactly one entry
//! saying who may call it; the guard enforces it and a test walks it.

use axum::middleware::{from_fn_with_state, map_response};
use axum::routing::{get, post};
use axum::Router;
use ispmon_events::values::Role;

use crate::state::AppState;
use crate::{api, api_devices, api_hosts, auth, observe, pages, static_files};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    AnyRole,
    /// Signed-in users with one of these roles.
    Roles(&'static [Role]),
}

const ADMIN: Access = Access::Roles(&[Role::Admin]);
const AUDIT: Access = Access::Roles(&[Role::Admin, Role::Auditor]);
/// Operators of the network: admins, NOC and technicians.
const OPS: Access = Access::Roles(&[Role::Admin, Role::Noc, Role::Technician]);
/// Who may read devices and stored configs: operators and auditors.
const DEVICES: Access = Access::Roles(&[Role::Admin, Role::Noc, Role::Technician, Role::Auditor]);

/// (method, route pattern, access) — every route of the router.
pub const PERMISSIONS: &[(&str, &str, Access)] = &[
    ("GET", "/healthz", Access::Public),
    ("GET", "/metrics", Access::Public),
    ("GET", "/static/{file}", Access::Public),
    ("GET", "/login", Access::Public),
    ("POST", "/login", Access::Public),
    ("POST", "/logout", Access::AnyRole),
    ("GET", "/", Access::AnyRole),
    ("GET", "/account", Access::AnyRole),
    ("POST", "/account/locale", Access::AnyRole),
    ("POST", "/account/password", Access::AnyRole),
    ("POST", "/account/tokens", Access::AnyRole),
    ("POST", "/account/tokens/{id}/revoke", Access::AnyRole),
    ("GET", "/admin/users", ADMIN),
    ("POST", "/admin/users", ADMIN),
    ("GET", "/admin/users/{id}", ADMIN),
    ("POST", "/admin/users/{id}/role", ADMIN),
    ("POST", "/admin/users/{id}/disable", ADMIN),
    ("POST", "/admin/users/{id}/enable", ADMIN),
    ("POST", "/admin/users/{id}/password", ADMIN),
    ("GET", "/admin/sessions", ADMIN),
    ("POST", "/admin/sessions/{id}/revoke", ADMIN),
    ("GET", "/audit/events", AUDIT),
    ("GET", "/audit/entity/{kind}/{id}", AUDIT),
    ("GET", "/audit/state", AUDIT),
    ("GET", "/icmp", Access::AnyRole),
    ("GET", "/icmp/changes", Access::AnyRole),
    ("GET", "/icmp/hosts/{id}", Access::AnyRole),
    ("POST", "/icmp/hosts", ADMIN),
    ("POST", "/icmp/hosts/{id}", ADMIN),
    ("POST", "/icmp/hosts/{id}/delete", ADMIN),
    ("POST", "/icmp/hosts/{id}/pause", OPS),
    ("POST", "/icmp/hosts/{id}/resume", OPS),
    ("POST", "/icmp/hosts/{id}/ack", OPS),
    ("POST", "/icmp/hosts/{id}/maintenance", OPS),
    ("POST", "/icmp/hosts/{id}/check", OPS),
    ("POST", "/icmp/check", OPS),
    ("GET", "/icmp/export.csv", Access::AnyRole),
    ("GET", "/icmp/import", ADMIN),
    ("POST", "/icmp/import", ADMIN),
    ("POST", "/icmp/folders", ADMIN),
    ("POST", "/icmp/folders/{id}/rename", ADMIN),
    ("POST", "/icmp/folders/{id}/delete", ADMIN),
    ("GET", "/admin/icmp/settings", ADMIN),
    ("POST", "/admin/icmp/settings", ADMIN),
    ("GET", "/admin/notifications", ADMIN),
    ("POST", "/admin/notifications", ADMIN),
    ("GET", "/api/v1/me", Access::AnyRole),
    ("GET", "/api/v1/events", AUDIT),
    ("GET", "/api/v1/hosts", Access::AnyRole),
    ("POST", "/api/v1/hosts", ADMIN),
    ("GET", "/api/v1/hosts/{id}", Access::AnyRole),
    ("PATCH", "/api/v1/hosts/{id}", ADMIN),
    ("DELETE", "/api/v1/hosts/{id}", ADMIN),
    ("GET", "/api/v1/hosts/{id}/samples", Access::AnyRole),
    ("POST", "/api/v1/sweeps", OPS),
    ("GET", "/admin/jobs", ADMIN),
    ("POST", "/admin/jobs/{name}/run", ADMIN),
    ("GET", "/devices", DEVICES),
    ("POST", "/devices", ADMIN),
    ("POST", "/devices/pull", OPS),
    ("GET", "/devices/import", ADMIN),
    ("POST", "/devices/import", ADMIN),
    ("GET", "/devices/{id}", DEVICES),
    ("POST", "/devices/{id}", ADMIN),
    ("POST", "/devices/{id}/retire", ADMIN),
    ("POST", "/devices/{id}/pull", OPS),
    ("POST", "/devices/{id}/test", ADMIN),
    ("POST", "/devices/{id}/hostkey", ADMIN),
    ("GET", "/devices/{id}/configs/{version}", DEVICES),
    ("GET", "/devices/{id}/configs/{version}/raw", DEVICES),
    ("GET", "/devices/{id}/diff", DEVICES),
    ("GET", "/configs/search", DEVICES),
    ("GET", "/firmware", OPS),
    ("POST", "/firmware", ADMIN),
    ("GET", "/firmware/{id}/download", OPS),
    ("POST", "/firmware/{id}/delete", ADMIN),
    ("GET", "/api/v1/devices", DEVICES),
    ("POST", "/api/v1/devices", ADMIN),
    ("GET", "/api/v1/devices/{id}", DEVICES),
    ("PATCH", "/api/v1/devices/{id}", ADMIN),
    ("DELETE", "/api/v1/devices/{id}", ADMIN),
    ("GET", "/api/v1/devices/{id}/configs", DEVICES),
    ("GET", "/api/v1/devices/{id}/configs/{version}", DEVICES),
    ("POST", "/api/v1/devices/{id}/pull", OPS),
];

/// The access rule of a matched route.
pub fn permission(method: &str, route: &str) -> Option<Access> {
    let method = if method == "HEAD" { "GET" } else { method };
    PERMISSIONS
        .iter()
        .find(|(m, p, _)| *m == method && *p == route)
        .map(|(_, _, a)| *a)
}

/// Whether `role` may call `method path` (a concrete path without
/// parameters, as nav links use).
pub fn allowed(method: &str, path: &str, role: Option<Role>) -> bool {
    match permission(method, path) {
        Some(Access::Public) => true,
        Some(Access::AnyRole) => role.is_some(),
        Some(Access::Roles(rs)) => role.is_some_and(|r| rs.contains(&r)),
        None => false,
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(observe::metrics))
        .route("/static/{file}", get(static_files::serve))
        .route("/login", get(pages::login::form).post(pages::login::submit))
        .route("/logout", post(pages::login::logout))
        .route("/", get(pages::home::show))
        .route("/account", get(pages::account::show))
        .route("/account/locale", post(pages::account::set_locale))
        .route("/account/password", post(pages::account::change_password))
        .route("/account/tokens", post(pages::account::create_token))
        .route(
            "/account/tokens/{id}/revoke",
            post(pages::account::revoke_token),
        )
        .route(
            "/admin/users",
            get(pages::users::list).post(pages::users::create),
        )
        .route("/admin/users/{id}", get(pages::users::show))
        .route("/admin/users/{id}/role", post(pages::users::change_role))
        .route("/admin/users/{id}/disable", post(pages::users::disable))
        .route("/admin/users/{id}/enable", post(pages::users::enable))
        .route(
            "/admin/users/{id}/password",
            post(pages::users::reset_password),
        )
        .route("/admin/sessions", get(pages::sessions::list))
        .route("/admin/sessions/{id}/revoke", post(pages::sessions::revoke))
        .route("/audit/events", get(pages::audit::change_log))
        .route("/audit/entity/{kind}/{id}", get(pages::audit::timeline))
        .route("/audit/state", get(pages::audit::state_as_of))
        .route("/icmp", get(pages::icmp::board::board))
        .route("/icmp/changes", get(pages::icmp::live::changes))
        .route("/icmp/hosts", post(pages::icmp::forms::add_host))
        .route(
            "/icmp/hosts/{id}",
            get(pages::icmp::host::show_host).post(pages::icmp::forms::edit_host),
        )
        .route(
            "/icmp/hosts/{id}/delete",
            post(pages::icmp::host::delete_host),
        )
        .route(
            "/icmp/hosts/{id}/pause",
            post(pages::icmp::host::pause_host),
        )
        .route(
            "/icmp/hosts/{id}/resume",
            post(pages::icmp::host::resume_host),
        )
        .route("/icmp/hosts/{id}/ack", post(pages::icmp::host::ack_host))
        .route(
            "/icmp/hosts/{id}/maintenance",
            post(pages::icmp::host::schedule_maintenance),
        )
        .route("/icmp/check", post(pages::icmp::board::check))
        .route("/icmp/export.csv", get(pages::icmp::csv::export))
        .route(
            "/icmp/import",
            get(pages::icmp::csv::form).post(pages::icmp::csv::import),
        )
        .route(
            "/icmp/hosts/{id}/check",
            post(pages::icmp::host::check_host),
        )
        .route("/icmp/folders", post(pages::icmp::folders::create_folder))
        .route(
            "/icmp/folders/{id}/rename",
            post(pages::icmp::folders::rename_folder),
        )
        .route(
            "/icmp/folders/{id}/delete",
            post(pages::icmp::folders::delete_folder),
        )
        .route(
            "/admin/icmp/settings",
            get(pages::icmp::settings::show).post(pages::icmp::settings::save),
        )
        .route(
            "/admin/notifications",
            get(pages::notifications::show).post(pages::notifications::save),
        )
        .route("/api/v1/me", get(api::me))
        .route("/api/v1/events", get(api::events))
        .route(
            "/api/v1/hosts",
            get(api_hosts::list).post(api_hosts::create),
        )
        .route(
            "/api/v1/hosts/{id}",
            get(api_hosts::get)
                .patch(api_hosts::patch)
                .delete(api_hosts::delete),
        )
        .route("/api/v1/hosts/{id}/samples", get(api_hosts::samples))
        .route("/api/v1/sweeps", post(api_hosts::sweep))
        .route("/admin/jobs", get(pages::jobs::list))
        .route("/admin/jobs/{name}/run", post(pages::jobs::run))
        .route(
            "/devices",
            get(pages::devices::list).post(pages::devices::create),
        )
        .route("/devices/pull", post(pages::devices::pull_all))
        .route(
            "/devices/import",
            get(pages::devices_csv::form).post(pages::devices_csv::import),
        )
        .route(
            "/devices/{id}",
            get(pages::devices::show).post(pages::devices::edit),
        )
        .route("/devices/{id}/retire", post(pages::devices::retire))
        .route("/devices/{id}/pull", post(pages::devices::pull))
        .route("/devices/{id}/test", post(pages::devices::test))
        .route(
            "/devices/{id}/hostkey",
            post(pages::devices::accept_host_key),
        )
        .route("/devices/{id}/configs/{version}", get(pages::configs::show))
        .route(
            "/devices/{id}/configs/{version}/raw",
            get(pages::configs::raw),
        )
        .route("/devices/{id}/diff", get(pages::configs::diff))
        .route("/configs/search", get(pages::configs::search))
        .route(
            "/firmware",
            get(pages::firmware::list)
                .post(pages::firmware::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    (state.settings.firmware_max_bytes as usize).saturating_add(64 * 1024),
                )),
        )
        .route("/firmware/{id}/download", get(pages::firmware::download))
        .route("/firmware/{id}/delete", post(pages::firmware::delete))
        .route(
            "/api/v1/devices",
            get(api_devices::list).post(api_devices::create),
        )
        .route(
            "/api/v1/devices/{id}",
            get(api_devices::get)
                .patch(api_devices::patch)
                .delete(api_devices::retire),
        )
        .route("/api/v1/devices/{id}/configs", get(api_devices::configs))
        .route(
            "/api/v1/devices/{id}/configs/{version}",
            get(api_devices::config),
        )
        .route("/api/v1/devices/{id}/pull", post(api_devices::pull))
        .route_layer(from_fn_with_state(state.clone(), auth::guard::guard))
        .layer(from_fn_with_state(state.clone(), observe::observe))
        .layer(map_response(security_headers))
        .layer(axum::Extension(crate::notify::Notifier::new(&state)))
        .with_state(state)
}

async fn security_headers(mut resp: axum::response::Response) -> axum::response::Response {
    let h = resp.headers_mut();
    h.insert("x-content-type-options", "nosniff".parse().expect("static"));
    h.insert("x-frame-options", "DENY".parse().expect("static"));
    h.insert("referrer-policy", "same-origin".parse().expect("static"));
    resp
}
