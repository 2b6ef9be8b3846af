//! The router and the permission table, both made from one table per
//! feature in which each route's method, path, access and handler are
//! written once; the guard enforces the access and a test walks every route.

use std::sync::OnceLock;

use axum::handler::Handler;
use axum::middleware::{from_fn_with_state, map_response};
use axum::routing::MethodRouter;
use axum::Router;
use ispmon_events::values::Role;

use crate::state::AppState;
use crate::{
    api, api_billing, api_devices, api_gpon, api_hosts, api_requests, api_search, api_sla,
    api_subscribers, api_tickets, auth, observe, pages, static_files,
};

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

/// One route: its method, path, who may call it, and its handler, written
/// once. The router and the permission table are both made from these.
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    handler: MethodRouter<AppState>,
}

macro_rules! verb {
    ($name:ident, $method:literal, $make:path) => {
        fn $name<H, T>(path: &'static str, access: Access, handler: H) -> Route
        where
            H: Handler<T, AppState>,
            T: 'static,
        {
            Route {
                method: $method,
                path,
                access,
                handler: $make(handler),
            }
        }
    };
}

verb!(get, "GET", axum::routing::get);
verb!(post, "POST", axum::routing::post);
verb!(patch, "PATCH", axum::routing::patch);
verb!(put, "PUT", axum::routing::put);
verb!(delete, "DELETE", axum::routing::delete);

impl Route {
    /// The same route with a larger request body limit (uploads).
    fn body_limit(mut self, bytes: usize) -> Self {
        self.handler = self
            .handler
            .layer(axum::extract::DefaultBodyLimit::max(bytes));
        self
    }
}

/// The shell: health, metrics, static files, login, home, account.
fn shell() -> Vec<Route> {
    use pages::{account, home, login};
    vec![
        get("/healthz", Access::Public, || async { "ok" }),
        get("/metrics", Access::Public, observe::metrics),
        get("/static/{file}", Access::Public, static_files::serve),
        get("/login", Access::Public, login::form),
        post("/login", Access::Public, login::submit),
        post("/logout", Access::AnyRole, login::logout),
        get("/", Access::AnyRole, home::show),
        get("/home/live", Access::AnyRole, home::live),
        get("/account", Access::AnyRole, account::show),
        post("/account/locale", Access::AnyRole, account::set_locale),
        post(
            "/account/password",
            Access::AnyRole,
            account::change_password,
        ),
        post("/account/tokens", Access::AnyRole, account::create_token),
        post(
            "/account/tokens/{id}/revoke",
            Access::AnyRole,
            account::revoke_token,
        ),
        get("/api/v1/me", Access::AnyRole, api::me),
    ]
}

/// Users, sessions, scheduler jobs (admin).
fn admin() -> Vec<Route> {
    use pages::{jobs, sessions, users};
    vec![
        get("/admin/users", ADMIN, users::list),
        post("/admin/users", ADMIN, users::create),
        get("/admin/users/{id}", ADMIN, users::show),
        post("/admin/users/{id}/role", ADMIN, users::change_role),
        post("/admin/users/{id}/disable", ADMIN, users::disable),
        post("/admin/users/{id}/enable", ADMIN, users::enable),
        post("/admin/users/{id}/password", ADMIN, users::reset_password),
        get("/admin/sessions", ADMIN, sessions::list),
        post("/admin/sessions/{id}/revoke", ADMIN, sessions::revoke),
        get("/admin/jobs", ADMIN, jobs::list),
        post("/admin/jobs/{name}/run", ADMIN, jobs::run),
    ]
}

/// The audit pages and the event log API.
fn audit() -> Vec<Route> {
    use pages::audit;
    vec![
        get("/audit/events", AUDIT, audit::change_log),
        get("/audit/entity/{kind}/{id}", AUDIT, audit::timeline),
        get("/audit/state", AUDIT, audit::state_as_of),
        get("/api/v1/events", AUDIT, api::events),
    ]
}

/// ICMP monitoring: the board, hosts, folders, settings, notifications, API.
fn icmp() -> Vec<Route> {
    use pages::icmp::{board, csv, folders, forms, host, live, settings};
    use pages::notifications;
    vec![
        get("/icmp", Access::AnyRole, board::board),
        get("/icmp/changes", Access::AnyRole, live::changes),
        post("/icmp/check", OPS, board::check),
        get("/icmp/hosts/{id}", Access::AnyRole, host::show_host),
        post("/icmp/hosts", ADMIN, forms::add_host),
        post("/icmp/hosts/{id}", ADMIN, forms::edit_host),
        post("/icmp/hosts/{id}/delete", ADMIN, host::delete_host),
        post("/icmp/hosts/{id}/pause", OPS, host::pause_host),
        post("/icmp/hosts/{id}/resume", OPS, host::resume_host),
        post("/icmp/hosts/{id}/ack", OPS, host::ack_host),
        post(
            "/icmp/hosts/{id}/maintenance",
            OPS,
            host::schedule_maintenance,
        ),
        post("/icmp/hosts/{id}/check", OPS, host::check_host),
        get("/icmp/export.csv", Access::AnyRole, csv::export),
        get("/icmp/import", ADMIN, csv::form),
        post("/icmp/import", ADMIN, csv::import),
        post("/icmp/folders", ADMIN, folders::create_folder),
        post("/icmp/folders/{id}/rename", ADMIN, folders::rename_folder),
        post("/icmp/folders/{id}/delete", ADMIN, folders::delete_folder),
        get("/admin/icmp/settings", ADMIN, settings::show),
        post("/admin/icmp/settings", ADMIN, settings::save),
        get("/admin/notifications", ADMIN, notifications::show),
        post("/admin/notifications", ADMIN, notifications::save),
        get("/api/v1/hosts", Access::AnyRole, api_hosts::list),
        post("/api/v1/hosts", ADMIN, api_hosts::create),
        get("/api/v1/hosts/{id}", Access::AnyRole, api_hosts::get),
        patch("/api/v1/hosts/{id}", ADMIN, api_hosts::patch),
        delete("/api/v1/hosts/{id}", ADMIN, api_hosts::delete),
        get(
            "/api/v1/hosts/{id}/samples",
            Access::AnyRole,
            api_hosts::samples,
        ),
        post("/api/v1/sweeps", OPS, api_hosts::sweep),
    ]
}

/// Devices, Config Storage, firmware, and their API.
fn devices(firmware_max_bytes: u64) -> Vec<Route> {
    use pages::{configs, devices, devices_csv, firmware};
    let upload_limit = (firmware_max_bytes as usize).saturating_add(64 * 1024);
    vec![
        get("/devices", DEVICES, devices::list),
        post("/devices", ADMIN, devices::create),
        post("/devices/pull", OPS, devices::pull_all),
        get("/devices/import", ADMIN, devices_csv::form),
        post("/devices/import", ADMIN, devices_csv::import),
        get("/devices/{id}", DEVICES, devices::show),
        post("/devices/{id}", ADMIN, devices::edit),
        post("/devices/{id}/retire", ADMIN, devices::retire),
        post("/devices/{id}/pull", OPS, devices::pull),
        post("/devices/{id}/test", ADMIN, devices::test),
        post("/devices/{id}/hostkey", ADMIN, devices::accept_host_key),
        get("/devices/{id}/configs/{version}", DEVICES, configs::show),
        get("/devices/{id}/configs/{version}/raw", DEVICES, configs::raw),
        get("/devices/{id}/diff", DEVICES, configs::diff),
        get("/configs/search", DEVICES, configs::search),
        get("/firmware", OPS, firmware::list),
        post("/firmware", ADMIN, firmware::upload).body_limit(upload_limit),
        get("/firmware/{id}/download", OPS, firmware::download),
        post("/firmware/{id}/delete", ADMIN, firmware::delete),
        get("/api/v1/devices", DEVICES, api_devices::list),
        post("/api/v1/devices", ADMIN, api_devices::create),
        get("/api/v1/devices/{id}", DEVICES, api_devices::get),
        patch("/api/v1/devices/{id}", ADMIN, api_devices::patch),
        delete("/api/v1/devices/{id}", ADMIN, api_devices::retire),
        get(
            "/api/v1/devices/{id}/configs",
            DEVICES,
            api_devices::configs,
        ),
        get(
            "/api/v1/devices/{id}/configs/{version}",
            DEVICES,
            api_devices::config,
        ),
        post("/api/v1/devices/{id}/pull", OPS, api_devices::pull),
    ]
}

/// Search Port: the search page, the live re-check, the settings, and the
/// API.
fn search() -> Vec<Route> {
    use pages::{fdb_settings, search};
    vec![
        get("/search", DEVICES, search::page),
        get(fdb_settings::PATH, ADMIN, fdb_settings::show),
        post(fdb_settings::PATH, ADMIN, fdb_settings::save),
        post("/search/recheck", OPS, search::recheck),
        post("/devices/{id}/fdb", OPS, pages::device_fdb::collect),
        post("/devices/{id}/sessions", OPS, pages::device_fdb::poll),
        get("/api/v1/search", DEVICES, api_search::search),
        get("/api/v1/macs/{mac}", DEVICES, api_search::mac),
        get("/api/v1/locate", DEVICES, api_search::locate),
        get("/api/v1/sessions", DEVICES, api_search::sessions),
        post("/api/v1/devices/{id}/fdb", OPS, api_search::collect_now),
        post("/api/v1/devices/{id}/sessions", OPS, api_search::poll_now),
        put(
            "/api/v1/devices/{id}/ports/{port}",
            ADMIN,
            api_search::mark_port,
        ),
    ]
}

/// Who may read subscribers: everyone on staff (installers visit them,
/// auditors read everything).
const STAFF: Access = Access::Roles(&[
    Role::Admin,
    Role::Noc,
    Role::Technician,
    Role::Installer,
    Role::Auditor,
]);
/// Who may write notes and tags on a subscriber: staff who talk to them.
const FIELD: Access = Access::Roles(&[Role::Admin, Role::Noc, Role::Technician, Role::Installer]);

/// Subscribers from billing: the list, the card, notes and tags, the API.
fn subscribers() -> Vec<Route> {
    use pages::subscribers;
    vec![
        get("/subscribers", STAFF, subscribers::list),
        get("/subscribers/{id}", STAFF, subscribers::show),
        post("/subscribers/{id}/notes", FIELD, subscribers::add_note),
        post("/subscribers/{id}/tags", FIELD, subscribers::set_tags),
        get("/api/v1/subscribers", STAFF, api_subscribers::list),
        get("/api/v1/subscribers/{id}", STAFF, api_subscribers::show),
        get("/subscribers/{id}/stats", STAFF, subscribers::stats),
        get(pages::billing::PATH, ADMIN, pages::billing::show),
        post(pages::billing::PATH, ADMIN, pages::billing::save),
        post("/admin/billing/test", ADMIN, pages::billing::test),
        post("/admin/billing/sync", ADMIN, pages::billing::sync),
        get("/api/v1/billing/settings", ADMIN, api_billing::get),
        put("/api/v1/billing/settings", ADMIN, api_billing::put),
        post("/api/v1/billing/sync", ADMIN, api_billing::sync),
        post(
            "/api/v1/billing/helpdesk/sync",
            ADMIN,
            api_billing::helpdesk_sync,
        ),
    ]
}

/// Who registers and deletes ONTs: admins, NOC and technicians (OPS).
/// GPON: OLTs, ports, ONTs, autofind, registration and deletion sagas,
/// profiles and settings, the API.
fn gpon() -> Vec<Route> {
    use pages::gpon;
    vec![
        get("/gpon", DEVICES, gpon::index),
        get("/gpon/search", DEVICES, gpon::search),
        get("/gpon/olts/{id}", DEVICES, gpon::olt),
        post("/gpon/olts/{id}/poll", OPS, gpon::poll),
        get("/gpon/olts/{id}/port", DEVICES, gpon::port),
        get("/gpon/olts/{id}/tables", OPS, gpon::tables),
        get("/gpon/onts/{id}", DEVICES, gpon::ont),
        get("/gpon/onts/{id}/live", OPS, gpon::live),
        get("/gpon/onts/{id}/ping", OPS, gpon::ping),
        post("/gpon/onts/{id}/delete", OPS, gpon::delete),
        get("/gpon/register", OPS, gpon::register_form),
        post("/gpon/register", OPS, gpon::register),
        get("/gpon/jobs/{id}", DEVICES, gpon::job),
        get("/admin/gpon", ADMIN, gpon::admin),
        post("/admin/gpon/profiles", ADMIN, gpon::save_profile),
        post(
            "/admin/gpon/profiles/{id}/remove",
            ADMIN,
            gpon::remove_profile,
        ),
        post("/admin/gpon/settings", ADMIN, gpon::save_settings),
        get("/api/v1/olts", DEVICES, api_gpon::olts),
        get("/api/v1/olts/{id}", DEVICES, api_gpon::olt),
        get("/api/v1/olts/{id}/onts", DEVICES, api_gpon::onts),
        get("/api/v1/olts/{id}/autofind", DEVICES, api_gpon::autofind),
        post("/api/v1/olts/{id}/poll", OPS, api_gpon::poll),
        get("/api/v1/onts/{id}", DEVICES, api_gpon::ont),
        get("/api/v1/onts/{id}/live", OPS, api_gpon::ont_live),
        delete("/api/v1/onts/{id}", OPS, api_gpon::delete),
        post("/api/v1/registrations", OPS, api_gpon::register),
        get("/api/v1/registrations/{id}", DEVICES, api_gpon::job),
        get("/api/v1/gpon/profiles", DEVICES, api_gpon::profiles),
        post("/api/v1/gpon/profiles", ADMIN, api_gpon::create_profile),
    ]
}

/// HelpDesk: repair tickets, read by all staff, worked by the field roles
/// (admins, NOC, technicians, installers); the API.
fn tickets() -> Vec<Route> {
    use pages::tickets;
    vec![
        get("/tickets", STAFF, tickets::list),
        get("/tickets/new", FIELD, tickets::new),
        get("/tickets/suggest", FIELD, tickets::suggest),
        post("/tickets", FIELD, tickets::create),
        get("/tickets/{id}", STAFF, tickets::show),
        post("/tickets/{id}/status", FIELD, tickets::status),
        post("/tickets/{id}/assign", FIELD, tickets::assign),
        post("/tickets/{id}/subscriber", FIELD, tickets::link),
        post("/tickets/{id}/comments", FIELD, tickets::comment),
        post("/tickets/{id}/attachments", FIELD, tickets::attach)
            .body_limit(ispmon_events::ticket::MAX_ATTACHMENT as usize + 64 * 1024),
        get(
            "/tickets/{id}/attachments/{blob}",
            STAFF,
            tickets::attachment,
        ),
        get("/api/v1/tickets", STAFF, api_tickets::list),
        post("/api/v1/tickets", FIELD, api_tickets::create),
        get("/api/v1/tickets/{id}", STAFF, api_tickets::get),
        patch("/api/v1/tickets/{id}", FIELD, api_tickets::patch),
        post("/api/v1/tickets/{id}/comments", FIELD, api_tickets::comment),
    ]
}

/// Who works the request board: admins, NOC and technicians.
const DESK: Access = OPS;
/// Who reads the board: the desk and auditors (installers see their own
/// visits and requests only).
const BOARD: Access = DEVICES;

/// ConnectStatements: the request board (the desk), a request's page and
/// its field work (installers on their own requests, checked by the
/// handler), the installer's day, the board's settings; the API.
fn requests() -> Vec<Route> {
    use pages::{request_board as rb, requests as rq};
    vec![
        get("/requests", BOARD, rq::board),
        get("/requests/new", DESK, rq::new),
        post("/requests", DESK, rq::create),
        get("/requests/settings", DESK, rb::settings),
        post("/requests/settings/caps", DESK, rb::set_cap),
        post("/requests/settings/templates", DESK, rb::set_template),
        post("/requests/folders", DESK, rb::create_folder),
        get("/requests/folders/{id}", DESK, rb::folder),
        post("/requests/folders/{id}", DESK, rb::rename_folder),
        post("/requests/folders/{id}/delete", DESK, rb::delete_folder),
        get("/requests/{id}", STAFF, rq::show),
        post("/requests/{id}", DESK, rq::edit),
        post("/requests/{id}/status", FIELD, rq::status),
        post("/requests/{id}/messages", FIELD, rq::message),
        post("/requests/{id}/label", DESK, rq::label),
        post("/requests/{id}/move", DESK, rq::move_request),
        post("/requests/{id}/installer", DESK, rq::installer),
        post("/requests/{id}/visit", DESK, rq::visit),
        post("/requests/{id}/checklist", DESK, rq::checklist),
        post("/requests/{id}/checklist/{n}", FIELD, rq::check),
        post("/requests/{id}/attachments", FIELD, rq::attach)
            .body_limit(ispmon_events::ticket::MAX_ATTACHMENT as usize + 64 * 1024),
        get("/requests/{id}/attachments/{blob}", STAFF, rq::attachment),
        get("/visits", STAFF, rb::day),
        get("/api/v1/requests", STAFF, api_requests::list),
        post("/api/v1/requests", DESK, api_requests::create),
        get("/api/v1/requests/{id}", STAFF, api_requests::get),
        patch("/api/v1/requests/{id}", FIELD, api_requests::patch),
        post(
            "/api/v1/requests/{id}/messages",
            FIELD,
            api_requests::message,
        ),
        post(
            "/api/v1/requests/{id}/move",
            DESK,
            api_requests::move_request,
        ),
    ]
}

/// The SLA settings (admin): the page and the API.
fn sla() -> Vec<Route> {
    use pages::sla;
    vec![
        get(sla::PATH, ADMIN, sla::show),
        post(sla::PATH, ADMIN, sla::save),
        get("/api/v1/sla", ADMIN, api_sla::get),
        put("/api/v1/sla", ADMIN, api_sla::put),
    ]
}

/// Every route of every feature; a new feature adds its table here.
fn all_routes(firmware_max_bytes: u64) -> Vec<Route> {
    [
        shell(),
        admin(),
        audit(),
        subscribers(),
        icmp(),
        devices(firmware_max_bytes),
        search(),
        gpon(),
        tickets(),
        requests(),
        sla(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// (method, route pattern, access) of every route, made from the tables.
pub fn permissions() -> &'static [(&'static str, &'static str, Access)] {
    static TABLE: OnceLock<Vec<(&'static str, &'static str, Access)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        all_routes(0)
            .into_iter()
            .map(|r| (r.method, r.path, r.access))
            .collect()
    })
}

/// The access rule of a matched route.
pub fn permission(method: &str, route: &str) -> Option<Access> {
    let method = if method == "HEAD" { "GET" } else { method };
    permissions()
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
    let mut router = Router::new();
    for r in all_routes(state.settings.firmware_max_bytes) {
        router = router.route(r.path, r.handler);
    }
    router
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
