//! GPON wired into the app: the poller's and the saga's world over the
//! read models, the store and the commands; what the pages and the API ask
//! (register, delete, profiles, settings, the ONT card's live reads); the
//! saga's runner handle. The engines live in `ispmon_scheduler::gpon`.

use std::sync::Arc;
use std::time::Duration;

use ispmon_events::gpon::{
    description_ok, GponJob, GponJobCommand, GponJobEvent, GponOlt, GponOltCommand, GponProfile,
    GponProfileCommand, GponSettings, GponSettingsCommand, GponSettingsValues, JobKind, JobRequest,
    Ont, OntCommand, ProfileValues, SETTINGS_ID,
};
use ispmon_events::Metadata;
use ispmon_projections::gpon as views;
use ispmon_scheduler::config_pull::{PullTarget, Puller, WorldFuture};
use ispmon_scheduler::gpon::poll::{GponPoller, GponWorld, KnownOnt};
use ispmon_scheduler::gpon::saga::GponSaga;
use ispmon_scheduler::gpon::{normalise_sn, Fsp, GponCli, OntMac, Optics, ServicePort};
use ispmon_scheduler::reactor::{Runner, StepReport};
use tokio_util::sync::CancellationToken;

use crate::commands::CommandError;
use crate::core::Core;
use crate::error::{AppError, AppResult};
use crate::pages::components::FormErrors;
use crate::state::AppState;

/// Which dialects speak GPON.
pub fn cli_for(d: ispmon_scheduler::cli::Dialect) -> Option<&'static dyn GponCli> {
    ispmon_scheduler::gpon::gpon_cli(d)
}

pub struct AppGponWorld {
    core: Core,
}

/// The poller over this application, through `puller`'s CLI sessions.
pub fn poller(core: &Core, puller: Arc<Puller>, budget_window: Duration) -> Arc<GponPoller> {
    let world = Arc::new(AppGponWorld { core: core.clone() });
    Arc::new(
        GponPoller::new(world, puller, core.telemetry.clone(), cli_for)
            .with_budget_window(budget_window),
    )
}

fn is_olt(d: &ispmon_projections::devices::DeviceRow) -> bool {
    d.roles.iter().any(|r| r == "olt")
        && ispmon_scheduler::cli::Dialect::parse(&d.dialect).is_some_and(|d| cli_for(d).is_some())
}

/// Folds a job from its events (the saga reads the log, not a read model).
pub async fn load_job(core: &Core, id: &str) -> Result<Option<GponJob>, String> {
    let events = core
        .store
        .aggregate_events("GponJob", id, None)
        .await
        .map_err(|e| e.to_string())?;
    if events.is_empty() {
        return Ok(None);
    }
    let mut job = GponJob::default();
    for e in &events {
        let ev: GponJobEvent = e
            .decode()
            .map_err(|err| format!("event {} cannot be read: {err}", e.seq))?;
        cqrs_es::Aggregate::apply(&mut job, ev);
    }
    Ok(Some(job))
}

impl GponWorld for AppGponWorld {
    fn olts(&self) -> WorldFuture<'_, Vec<PullTarget>> {
        Box::pin(crate::devices::pull::live_targets(
            &self.core,
            is_olt,
            "GPON poll",
        ))
    }

    fn settings(&self) -> WorldFuture<'_, GponSettingsValues> {
        Box::pin(async move {
            self.core
                .views
                .read(|c| views::settings(c).map(|s| s.0))
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn known_onts(&self, olt_id: String) -> WorldFuture<'_, Vec<KnownOnt>> {
        Box::pin(async move {
            let rows = self
                .core
                .views
                .read(move |c| views::onts(c, &olt_id, None))
                .await
                .map_err(|e| e.to_string())?;
            Ok(rows
                .into_iter()
                .map(|o| KnownOnt {
                    sn: o.sn.clone(),
                    seen: ispmon_events::gpon::OntSeen {
                        olt_id: o.olt_id,
                        port: o.port,
                        ont_id: o.ont_id,
                        sn: o.sn,
                        description: o.description,
                        run: o.run,
                        last_down_cause: o.last_down_cause,
                        signal: o.signal,
                    },
                })
                .collect())
        })
    }

    fn ont_command(
        &self,
        id: String,
        command: OntCommand,
        meta: Metadata,
    ) -> WorldFuture<'_, bool> {
        Box::pin(async move {
            self.core
                .commands
                .execute_settled::<Ont>(&id, command, &meta)
                .await
        })
    }

    fn olt_command(
        &self,
        olt_id: String,
        command: GponOltCommand,
        meta: Metadata,
    ) -> WorldFuture<'_, bool> {
        Box::pin(async move {
            self.core
                .commands
                .execute_settled::<GponOlt>(&olt_id, command, &meta)
                .await
        })
    }

    fn job(&self, id: String) -> WorldFuture<'_, Option<GponJob>> {
        Box::pin(async move { load_job(&self.core, &id).await })
    }

    fn job_command(
        &self,
        id: String,
        command: GponJobCommand,
        meta: Metadata,
    ) -> WorldFuture<'_, ()> {
        Box::pin(async move {
            self.core
                .commands
                .execute::<GponJob>(&id, command, &meta)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

/// How long a saga runner owns a job it took (a runner that died leaves
/// it to the next one after this).
pub const SAGA_LEASE: std::time::Duration = std::time::Duration::from_secs(300);

/// Handle to the registration/deletion saga's runner.
#[derive(Clone)]
pub struct Sagas {
    runner: Runner<GponSaga>,
}

impl Sagas {
    pub fn new(state: &AppState) -> Self {
        let data = &state.settings.data_dir;
        let full_sync = state.settings.durability == ispmon_events::Durability::Full;
        Sagas {
            runner: Runner::new(
                GponSaga::new(Arc::clone(&state.gpon), SAGA_LEASE),
                state.core.store.clone(),
                data.join("reactors.db"),
                full_sync,
            ),
        }
    }

    /// Starts the supervised loop (woken on append); stops with `cancel`.
    pub async fn spawn(state: &AppState, cancel: CancellationToken) -> anyhow::Result<Sagas> {
        let s = Sagas::new(state);
        s.runner.checkpoint().await?;
        // This process holds the data dir: a job claimed in it was being
        // driven by a process that was killed; resume it now.
        s.runner.take_over_orphans().await?;
        s.runner.spawn(cancel);
        Ok(s)
    }

    pub async fn run_once(&self) -> Result<StepReport, String> {
        self.runner.run_once().await.map_err(|e| e.to_string())
    }

    pub async fn run_once_at(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<StepReport, String> {
        self.runner
            .run_once_at(now)
            .await
            .map_err(|e| e.to_string())
    }
}

/// The OLT (a live device with the `olt` role and a GPON dialect).
pub async fn olt(st: &AppState, id: &str) -> AppResult<PullTarget> {
    st.gpon
        .olts()
        .await
        .map_err(internal)?
        .into_iter()
        .find(|d| d.device_id == id)
        .ok_or(AppError::NotFound)
}

/// "Poll now" (page and API): the OLT's state and optics, then its
/// autofind list; answers when both are done.
pub async fn poll_now(
    st: &AppState,
    olt_id: &str,
    meta: &Metadata,
) -> AppResult<(
    ispmon_scheduler::gpon::poll::Outcome,
    ispmon_scheduler::gpon::poll::Outcome,
)> {
    let d = olt(st, olt_id).await?;
    let polled = st.gpon.poll(&d, meta).await;
    let found = st.gpon.autofind(&d, meta).await;
    Ok((polled, found))
}

/// A registration as asked from a page or the API.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RegisterInput {
    pub olt_id: String,
    pub port: String,
    pub sn: String,
    pub name: String,
    pub profile_id: String,
    /// Registered from autofind; when absent: whether the SN waits in
    /// autofind on that port.
    pub from_autofind: Option<bool>,
    pub subscriber_id: Option<String>,
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{e}"))
}

fn invalid(errors: Vec<(&'static str, String)>) -> AppError {
    let mut f = FormErrors::default();
    for (k, m) in errors {
        f.add(k, m);
    }
    AppError::Invalid(f)
}

fn command_error(e: CommandError) -> AppError {
    match e {
        CommandError::Taken(t) => {
            let msg = if t.scope == ispmon_events::reservations::GPON_PORT {
                "a registration or deletion is already running on this port; wait for it to end"
            } else {
                "a registration or deletion of this SN is already running"
            };
            invalid(vec![(
                if t.scope == ispmon_events::reservations::GPON_PORT {
                    "port"
                } else {
                    "sn"
                },
                msg.to_string(),
            )])
        }
        CommandError::Rejected(r) => invalid(r.field_errors()),
        other => internal(other),
    }
}

/// Starts a registration saga: checks everything it can without the OLT,
/// then records the request (the saga's runner takes it from the log).
/// The job id.
pub async fn register(st: &AppState, input: RegisterInput, meta: &Metadata) -> AppResult<String> {
    let mut errors: Vec<(&'static str, String)> = Vec::new();
    let olt = match olt(st, input.olt_id.trim()).await {
        Ok(o) => Some(o),
        Err(AppError::NotFound) => {
            errors.push(("olt_id", "no such OLT".to_string()));
            None
        }
        Err(e) => return Err(e),
    };
    let fsp: Option<Fsp> = match input.port.parse() {
        Ok(f) => Some(f),
        Err(e) => {
            errors.push(("port", e));
            None
        }
    };
    let sn = normalise_sn(&input.sn);
    if sn.is_none() {
        errors.push((
            "sn",
            "not a serial number: 16 hex digits (48575443CCB59A20) or vendor and 8 (HWTC-CCB59A20)"
                .to_string(),
        ));
    }
    let name = input.name.trim().to_string();
    if !description_ok(&name) {
        errors.push((
            "name",
            "1–64 printable Latin characters, no quotes (the OLT keeps it as the description)"
                .to_string(),
        ));
    }
    let pid = input.profile_id.trim().to_string();
    let profile = st
        .core
        .views
        .read({
            let pid = pid.clone();
            move |c| views::profile_by_id(c, &pid)
        })
        .await?;
    if profile.is_none() {
        errors.push(("profile_id", "pick a registration profile".to_string()));
    }
    if let Some(sn) = &sn {
        let sn2 = sn.clone();
        if let Some(o) = st.core.views.read(move |c| views::by_sn(c, &sn2)).await? {
            errors.push((
                "sn",
                format!(
                    "this SN is already registered: {} ONT {} ({})",
                    o.port, o.ont_id, o.description
                ),
            ));
        }
    }
    let (Some(olt), Some(fsp), Some(sn), Some(profile), true) =
        (olt, fsp, sn, profile, errors.is_empty())
    else {
        return Err(invalid(errors));
    };
    let (oid, port) = (olt.device_id.clone(), fsp.to_string());
    if let Some(j) = st
        .core
        .views
        .read({
            let (oid, port) = (oid.clone(), port.clone());
            move |c| views::running_on(c, &oid, &port)
        })
        .await?
    {
        return Err(invalid(vec![(
            "port",
            format!(
                "a {} of {} is running on this port; wait for it to end",
                j.kind, j.sn
            ),
        )]));
    }
    let from_autofind = match input.from_autofind {
        Some(b) => b,
        None => {
            let (oid, sn) = (oid.clone(), sn.clone());
            let port = port.clone();
            st.core
                .views
                .read(move |c| views::autofind(c, Some(&oid)))
                .await?
                .iter()
                .any(|a| a.port == port && a.sn == sn)
        }
    };
    let id = uuid::Uuid::new_v4().to_string();
    let req = JobRequest {
        olt_id: oid,
        olt_name: olt.name.clone(),
        port,
        sn,
        name,
        kind: JobKind::Register {
            profile_id: pid,
            profile,
            from_autofind,
            subscriber_id: input.subscriber_id.filter(|s| !s.trim().is_empty()),
        },
    };
    st.core
        .commands
        .execute::<GponJob>(&id, GponJobCommand::Request(req), meta)
        .await
        .map_err(command_error)?;
    tracing::info!(job = %id, "GPON registration asked for");
    Ok(id)
}

/// Starts a deletion saga for a present ONT. The job id.
pub async fn delete(st: &AppState, ont_id: &str, meta: &Metadata) -> AppResult<String> {
    let oid = ont_id.to_string();
    let ont = st
        .core
        .views
        .read(move |c| views::ont(c, &oid))
        .await?
        .filter(|o| !o.gone)
        .ok_or(AppError::NotFound)?;
    let olt = olt(st, &ont.olt_id).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let req = JobRequest {
        olt_id: ont.olt_id.clone(),
        olt_name: olt.name,
        port: ont.port.clone(),
        sn: ont.sn.clone(),
        name: ont.description.clone(),
        kind: JobKind::Delete { ont_id: ont.ont_id },
    };
    st.core
        .commands
        .execute::<GponJob>(&id, GponJobCommand::Request(req), meta)
        .await
        .map_err(command_error)?;
    Ok(id)
}

/// Saves a registration profile (`id` none: a new one). The profile id.
pub async fn save_profile(
    st: &AppState,
    id: Option<String>,
    values: ProfileValues,
    meta: &Metadata,
) -> AppResult<String> {
    let id = id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    match st
        .core
        .commands
        .execute::<GponProfile>(&id, GponProfileCommand::Save(values), meta)
        .await
    {
        Ok(_) => Ok(id),
        Err(e) if e.is_unchanged() => Ok(id),
        Err(e) => Err(command_error(e)),
    }
}

pub async fn remove_profile(st: &AppState, id: &str, meta: &Metadata) -> AppResult<()> {
    match st
        .core
        .commands
        .execute::<GponProfile>(id, GponProfileCommand::Remove, meta)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_unchanged() => Err(AppError::NotFound),
        Err(e) => Err(command_error(e)),
    }
}

pub async fn save_settings(
    st: &AppState,
    values: GponSettingsValues,
    meta: &Metadata,
) -> AppResult<()> {
    match st
        .core
        .commands
        .execute::<GponSettings>(SETTINGS_ID, GponSettingsCommand::Change(values), meta)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_unchanged() => Ok(()),
        Err(e) => Err(command_error(e)),
    }
}

/// What the OLT says of one ONT right now (the card's "read now").
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LiveOnt {
    pub detail: Option<ispmon_scheduler::gpon::OntDetail>,
    pub optics: Option<Optics>,
    pub service_ports: Vec<ServicePort>,
    pub macs: Vec<OntMac>,
    /// Why a part could not be read.
    pub errors: Vec<String>,
}

/// Reads an ONT's detail, optics, service ports and MACs in one session.
pub async fn live(st: &AppState, ont: &views::OntView, meta: &Metadata) -> AppResult<LiveOnt> {
    let d = olt(st, &ont.olt_id).await?;
    let p = &st.gpon;
    let cli = p.cli(&d).map_err(AppError::Rejected)?;
    let settings = p.settings().await.map_err(internal)?;
    let fsp: Fsp = ont.port.parse().map_err(internal)?;
    let mut s = p
        .session(&d, &settings, meta)
        .await
        .map_err(|e| AppError::Rejected(format!("cannot reach {}: {e}", d.name)))?;
    let mut out = LiveOnt::default();
    let n = ont.ont_id;
    macro_rules! read {
        ($line:expr, $parse:expr, $what:literal) => {
            match GponPoller::read(&mut s, cli, &$line).await {
                Ok(Some(o)) => match $parse(&o) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        out.errors.push(out_err($what, e.to_string()));
                        None
                    }
                },
                Ok(None) => None,
                Err(e) => {
                    out.errors.push(out_err($what, format!("{e:?}")));
                    None
                }
            }
        };
    }
    out.detail = read!(
        cli.detail_command(fsp, n),
        |o: &str| cli.parse_detail(o),
        "details"
    );
    out.optics = read!(
        cli.optics_command(fsp, n),
        |o: &str| cli.parse_optics(o),
        "optics"
    );
    out.service_ports = read!(
        cli.service_ports_of_command(fsp, n),
        |o: &str| cli.parse_service_ports(o),
        "service ports"
    )
    .unwrap_or_default();
    out.macs = read!(
        cli.macs_of_command(fsp, n),
        |o: &str| cli.parse_macs(o),
        "MACs"
    )
    .unwrap_or_default();
    s.close().await;
    Ok(out)
}

fn out_err(what: &str, e: String) -> String {
    format!("{what}: {e}")
}

/// A MAC's login and, when billing has them, the subscriber's billing id.
pub type MacLogin = (String, Option<String>);

/// The OLT's service-port and MAC tables as read live (one session), each
/// MAC joined with the login and subscriber Search Port knows for it.
#[derive(Debug, Default)]
pub struct OltTables {
    pub service_ports: Vec<ServicePort>,
    pub macs: Vec<(OntMac, Option<MacLogin>)>,
    pub errors: Vec<String>,
}

/// What the tables are narrowed to: a port, a VLAN, an ONT-ID, part of a
/// MAC (any notation).
#[derive(Debug, Default, Clone)]
pub struct TableFilter {
    pub port: Option<Fsp>,
    pub vlan: Option<u16>,
    pub ont_id: Option<u32>,
    pub mac: Option<String>,
}

impl TableFilter {
    /// From the form's text fields; each bad one is named.
    pub fn parse(port: &str, vlan: &str, ont: &str, mac: &str) -> Result<Self, FormErrors> {
        let mut errors = FormErrors::default();
        let mut f = TableFilter::default();
        let (port, vlan, ont, mac) = (port.trim(), vlan.trim(), ont.trim(), mac.trim());
        if !port.is_empty() {
            match port.parse::<Fsp>() {
                Ok(p) => f.port = Some(p),
                Err(e) => errors.add("port", e),
            }
        }
        if !vlan.is_empty() {
            match vlan.parse::<u16>() {
                Ok(v) if (1..=4094).contains(&v) => f.vlan = Some(v),
                _ => errors.add("vlan", "a VLAN is 1–4094"),
            }
        }
        if !ont.is_empty() {
            match ont.parse::<u32>() {
                Ok(v) if v <= 255 => f.ont_id = Some(v),
                _ => errors.add("ont_id", "an ONT-ID is a number 0–255"),
            }
        }
        if !mac.is_empty() {
            let hex: String = mac
                .chars()
                .filter(char::is_ascii_hexdigit)
                .collect::<String>()
                .to_ascii_lowercase();
            let only_mac_chars = mac
                .chars()
                .all(|c| c.is_ascii_hexdigit() || ":-. ".contains(c));
            if hex.len() < 2 || hex.len() > 12 || !only_mac_chars {
                errors.add("mac", "part of a MAC: 2–12 hex digits, in any notation");
            } else {
                f.mac = Some(hex);
            }
        }
        if errors.is_empty() {
            Ok(f)
        } else {
            Err(errors)
        }
    }

    fn port_ok(&self, fsp: Fsp, ont: u32) -> bool {
        self.port.is_none_or(|p| p == fsp) && self.ont_id.is_none_or(|o| o == ont)
    }

    pub fn keeps_service_port(&self, p: &ServicePort) -> bool {
        self.port_ok(p.fsp, p.ont_id) && self.vlan.is_none_or(|v| v == p.vlan)
    }

    pub fn keeps_mac(&self, m: &OntMac) -> bool {
        self.port_ok(m.fsp, m.ont_id)
            && self.vlan.is_none_or(|v| v == m.vlan)
            && self
                .mac
                .as_ref()
                .is_none_or(|h| m.mac.replace(':', "").contains(h.as_str()))
    }
}

/// Reads the OLT's whole service-port table and MAC table in one session
/// (within its budget) and keeps what `filter` lets through.
pub async fn olt_tables(
    st: &AppState,
    d: &PullTarget,
    filter: &TableFilter,
    meta: &Metadata,
) -> AppResult<OltTables> {
    let p = &st.gpon;
    let cli = p.cli(d).map_err(AppError::Rejected)?;
    let settings = p.settings().await.map_err(internal)?;
    let mut s = p
        .session(d, &settings, meta)
        .await
        .map_err(|e| AppError::Rejected(format!("cannot reach {}: {e}", d.name)))?;
    let mut out = OltTables::default();
    match GponPoller::read(&mut s, cli, &cli.service_ports_command()).await {
        Ok(Some(o)) => match cli.parse_service_ports(&o) {
            Ok(v) => {
                out.service_ports = v
                    .into_iter()
                    .filter(|x| filter.keeps_service_port(x))
                    .collect()
            }
            Err(e) => out.errors.push(out_err("service ports", e.to_string())),
        },
        Ok(None) => {}
        Err(e) => out.errors.push(out_err("service ports", format!("{e:?}"))),
    }
    let macs = match GponPoller::read(&mut s, cli, &cli.macs_command()).await {
        Ok(Some(o)) => match cli.parse_macs(&o) {
            Ok(v) => v.into_iter().filter(|x| filter.keeps_mac(x)).collect(),
            Err(e) => {
                out.errors.push(out_err("MACs", e.to_string()));
                Vec::new()
            }
        },
        Ok(None) => Vec::new(),
        Err(e) => {
            out.errors.push(out_err("MACs", format!("{e:?}")));
            Vec::new()
        }
    };
    s.close().await;
    for m in macs {
        let login = mac_login(st, &m.mac).await;
        out.macs.push((m, login));
    }
    Ok(out)
}

/// The login (and billing id) Search Port finds for `mac`.
pub async fn mac_login(st: &AppState, mac: &str) -> Option<MacLogin> {
    let found = crate::search::run(st, mac).await.ok()?;
    found.results.iter().find_map(|h| {
        h.subscriber
            .as_ref()
            .map(|s| (s.login.clone(), Some(s.billing_id.clone())))
            .or_else(|| h.login.as_ref().map(|l| (l.login.clone(), None)))
    })
}

/// The live Rx of one ONT, read every `every` until the receiver goes away
/// (the card's "optical ping"), at most `max` readings; one session.
pub async fn optical_ping(
    st: AppState,
    ont: views::OntView,
    meta: Metadata,
    tx: tokio::sync::mpsc::Sender<Result<Optics, String>>,
    every: std::time::Duration,
    max: usize,
) {
    let run = async {
        let d = olt(&st, &ont.olt_id).await.map_err(|e| e.to_string())?;
        let p = &st.gpon;
        let cli = p.cli(&d)?;
        let settings = p.settings().await?;
        let fsp: Fsp = ont.port.parse()?;
        let mut s = p.session(&d, &settings, &meta).await?;
        let mut tick = tokio::time::interval(every);
        for _ in 0..max {
            tick.tick().await;
            let r = match GponPoller::read(&mut s, cli, &cli.optics_command(fsp, ont.ont_id)).await
            {
                Ok(Some(o)) => cli.parse_optics(&o).map_err(|e| e.to_string()),
                Ok(None) => Err("no reading".to_string()),
                Err(e) => Err(format!("{e:?}")),
            };
            if tx.send(r).await.is_err() {
                break;
            }
        }
        s.close().await;
        Ok::<(), String>(())
    };
    if let Err(e) = run.await {
        let _ = tx.send(Err(e)).await;
    }
}

/// One OLT on the GPON list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OltSummary {
    pub id: String,
    pub name: String,
    pub address: String,
    pub dialect: String,
    pub counts: views::Counts,
    pub inventoried_at: Option<String>,
}

/// Every GPON OLT with its counts, by name.
pub async fn olt_list(st: &AppState) -> AppResult<Vec<OltSummary>> {
    let olts = st.gpon.olts().await.map_err(internal)?;
    let counts = st.core.views.read(views::olt_counts).await?;
    let ids: Vec<String> = olts.iter().map(|d| d.device_id.clone()).collect();
    let inv = st
        .core
        .views
        .read(move |c| {
            ids.iter()
                .map(|id| views::inventory(c, id).map(|i| i.map(|(_, at)| at)))
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .await?;
    let mut out: Vec<OltSummary> = olts
        .into_iter()
        .zip(inv)
        .map(|(d, at)| OltSummary {
            counts: counts
                .iter()
                .find(|(o, _)| *o == d.device_id)
                .map(|(_, c)| c.clone())
                .unwrap_or_default(),
            id: d.device_id,
            name: d.name,
            address: d.address,
            dialect: d.dialect.label().to_string(),
            inventoried_at: at,
        })
        .collect();
    out.sort_by_key(|a| a.name.to_lowercase());
    Ok(out)
}

/// An ONT with its latest reading.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OntWithReading {
    #[serde(flatten)]
    pub ont: views::OntView,
    pub reading: Option<ispmon_scheduler::gpon::readings::Reading>,
}

/// The ONTs of an OLT (or one port) with their latest readings.
pub async fn onts_with_readings(
    st: &AppState,
    olt_id: &str,
    port: Option<String>,
) -> AppResult<Vec<OntWithReading>> {
    let telemetry = Arc::clone(st.core.telemetry.readers());
    let olt = olt_id.to_string();
    Ok(st
        .core
        .views
        .read(move |c| {
            let onts = views::onts(c, &olt, port.as_deref())?;
            let mut readings =
                telemetry.with(|t| ispmon_scheduler::gpon::readings::latest_of_olt(t, &olt))?;
            Ok(onts
                .into_iter()
                .map(|o| OntWithReading {
                    reading: readings.remove(&o.sn),
                    ont: o,
                })
                .collect())
        })
        .await?)
}

/// The ONT card's data from the read models.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OntCard {
    pub ont: views::OntView,
    pub reading: Option<ispmon_scheduler::gpon::readings::Reading>,
    /// Rx over the last day.
    pub rx: Vec<ispmon_scheduler::gpon::readings::RxPoint>,
    /// The subscriber whose login is the ONT's description.
    pub subscriber: Option<ispmon_projections::subscribers::SubscriberRow>,
    pub jobs: Vec<views::JobView>,
}

pub async fn ont_card(st: &AppState, id: &str) -> AppResult<Option<OntCard>> {
    let telemetry = Arc::clone(st.core.telemetry.readers());
    let id = id.to_string();
    let now = chrono::Utc::now().timestamp();
    Ok(st
        .core
        .views
        .read(move |c| {
            let Some(ont) = views::ont(c, &id)? else {
                return Ok(None);
            };
            let (reading, rx) = telemetry.with(|t| {
                Ok((
                    ispmon_scheduler::gpon::readings::latest(t, &ont.olt_id, &ont.sn)?,
                    ispmon_scheduler::gpon::readings::rx_series(
                        t,
                        &ont.olt_id,
                        &ont.sn,
                        now - 86_400,
                        now,
                    )?,
                ))
            })?;
            let subscriber = if ont.description.is_empty() {
                None
            } else {
                ispmon_projections::subscribers::by_login(c, &ont.description)?
                    .into_iter()
                    .next()
            };
            let jobs = views::jobs(c, Some(&ont.olt_id), 200)?
                .into_iter()
                .filter(|j| j.sn == ont.sn)
                .collect();
            Ok(Some(OntCard {
                ont,
                reading,
                rx,
                subscriber,
                jobs,
            }))
        })
        .await?)
}

/// The ONTs of a subscriber (their login as the description).
pub async fn onts_of_login(st: &AppState, login: &str) -> AppResult<Vec<OntWithReading>> {
    let telemetry = Arc::clone(st.core.telemetry.readers());
    let login = login.to_string();
    Ok(st
        .core
        .views
        .read(move |c| {
            let onts = views::by_description(c, &login)?;
            onts.into_iter()
                .map(|o| {
                    let reading = telemetry
                        .with(|t| ispmon_scheduler::gpon::readings::latest(t, &o.olt_id, &o.sn))?;
                    Ok(OntWithReading { ont: o, reading })
                })
                .collect()
        })
        .await?)
}

/// ONTs by SN (any form, or part of one) or description.
pub async fn search(st: &AppState, q: &str) -> AppResult<Vec<views::OntView>> {
    let q = q.trim().to_string();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let hex = normalise_sn(&q).or_else(|| {
        let t: String = q.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        // A vendor prefix typed with part of the serial: `HWTC-3EBB`.
        if t.len() > 4
            && t[..4].chars().all(|c| c.is_ascii_alphabetic())
            && t[4..].chars().all(|c| c.is_ascii_hexdigit())
        {
            let v: String = t[..4]
                .to_ascii_uppercase()
                .bytes()
                .map(|b| format!("{b:02X}"))
                .collect();
            Some(format!("{v}{}", t[4..].to_ascii_uppercase()))
        } else if t.chars().all(|c| c.is_ascii_hexdigit()) {
            Some(t.to_ascii_uppercase())
        } else {
            None
        }
    });
    Ok(st
        .core
        .views
        .read(move |c| views::find(c, hex.as_deref(), &q, 50))
        .await?)
}
