//! Polling OLTs: one session per OLT sweeps its inventory and every GPON
//! port (the ONT list, the port summary, the port's optics), within the
//! OLT's poll budget; state changes become ONT commands (only the ONTs
//! whose state differs from the read model), readings go to telemetry.
//! Autofind is polled on its own, more often.
//!
//! A port whose answer cannot be read changes nothing for that port (its
//! ONTs stay as last seen and none is marked vanished); a session that
//! dies stops the sweep with the reason recorded.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ispmon_events::gpon::{
    AutofindEntry, BoardInfo, GponJob, GponJobCommand, GponOltCommand, GponSettingsValues,
    Inventory, OltProfileInfo, Ont, OntCommand, OntSeen,
};
use ispmon_events::Metadata;

use super::model::{Fsp, GponCli, GponParseError, Line, Optics, RunState, Thresholds};
use super::readings::Reading;
use super::session::{Budgets, OltSession};
use crate::cli::session::CliError;
use crate::cli::Dialect;
use crate::config_pull::{PullTarget, Puller, WorldFuture};
use crate::fdb::sightings::{recorded, Recorded};
use crate::lease::Leases;
use crate::telemetry::Telemetry;

/// An ONT as the read model has it (the part a poll compares).
#[derive(Debug, Clone, PartialEq)]
pub struct KnownOnt {
    pub sn: String,
    pub seen: OntSeen,
}

/// What the GPON work needs from the application.
pub trait GponWorld: Send + Sync {
    /// Every live device with the `olt` role and a GPON dialect.
    fn olts(&self) -> WorldFuture<'_, Vec<PullTarget>>;
    fn settings(&self) -> WorldFuture<'_, GponSettingsValues>;
    /// The ONTs the read model has on this OLT now (gone ones left out).
    fn known_onts(&self, olt_id: String) -> WorldFuture<'_, Vec<KnownOnt>>;
    /// Issues an ONT command: whether it recorded an event.
    fn ont_command(&self, id: String, command: OntCommand, meta: Metadata)
        -> WorldFuture<'_, bool>;
    fn olt_command(
        &self,
        olt_id: String,
        command: GponOltCommand,
        meta: Metadata,
    ) -> WorldFuture<'_, bool>;
    /// A job's state as of the log (`None`: no such job).
    fn job(&self, id: String) -> WorldFuture<'_, Option<GponJob>>;
    /// Issues a job command; `Err` when refused (with why) or not stored.
    fn job_command(
        &self,
        id: String,
        command: GponJobCommand,
        meta: Metadata,
    ) -> WorldFuture<'_, ()>;
}

/// Which dialects speak GPON, and how.
pub type CliFor = fn(Dialect) -> Option<&'static dyn GponCli>;

/// What one poll did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Polled {
        onts: usize,
        changed: usize,
        /// Ports whose answer could not be read, with why.
        failed_ports: Vec<String>,
        commands: usize,
    },
    Failed(String),
    Busy,
}

impl Recorded for Outcome {
    fn counts(&self) -> Option<(usize, usize)> {
        match self {
            Outcome::Polled { onts, changed, .. } => Some((*onts, *changed)),
            _ => None,
        }
    }
    fn failure(&self) -> Option<&str> {
        match self {
            Outcome::Failed(r) => Some(r),
            _ => None,
        }
    }
    fn busy() -> Self {
        Outcome::Busy
    }
    fn failed(reason: String) -> Self {
        Outcome::Failed(reason)
    }
}

/// The telemetry kinds of the poll records.
pub const POLL_KIND: &str = "gpon";
pub const AUTOFIND_KIND: &str = "gpon-autofind";

/// Polls OLTs; one per process, shared by the jobs, the sagas and the pages.
pub struct GponPoller {
    pub(crate) world: Arc<dyn GponWorld>,
    pub(crate) puller: Arc<Puller>,
    pub(crate) telemetry: Telemetry,
    pub(crate) cli_for: CliFor,
    pub(crate) budgets: Budgets,
    leases: Leases,
}

/// One port's answers, read.
struct PortRead {
    fsp: Fsp,
    rows: Vec<(OntSeen, Reading)>,
}

fn refused_or(e: CliError, cli: &dyn GponCli) -> Result<Option<String>, String> {
    match e {
        CliError::Rejected { message, .. } if cli.failure_means_none(&message) => Ok(None),
        CliError::Rejected { command, message } => {
            Err(format!("the OLT refused `{command}`: {message}"))
        }
        other => Err(other.reason()),
    }
}

impl GponPoller {
    pub fn new(
        world: Arc<dyn GponWorld>,
        puller: Arc<Puller>,
        telemetry: Telemetry,
        cli_for: CliFor,
    ) -> Self {
        GponPoller {
            world,
            puller,
            leases: Leases::new(telemetry.clone()),
            telemetry,
            cli_for,
            budgets: Budgets::default(),
        }
    }

    /// The same poller with "commands per minute" counted over `window`
    /// instead (tests that must see the limit bite without waiting).
    pub fn with_budget_window(mut self, window: std::time::Duration) -> Self {
        self.budgets = Budgets::with_window(window);
        self
    }

    pub async fn olts(&self) -> Result<Vec<PullTarget>, String> {
        self.world.olts().await
    }

    pub async fn settings(&self) -> Result<GponSettingsValues, String> {
        self.world.settings().await
    }

    /// The dialect's GPON commands, or why there are none.
    pub fn cli(&self, d: &PullTarget) -> Result<&'static dyn GponCli, String> {
        (self.cli_for)(d.dialect)
            .ok_or_else(|| format!("{} does not speak GPON", d.dialect.label()))
    }

    /// Opens a session on an OLT within its budget.
    pub async fn session(
        &self,
        d: &PullTarget,
        settings: &GponSettingsValues,
        meta: &Metadata,
    ) -> Result<OltSession, String> {
        let budget = self.budgets.of(
            &d.device_id,
            settings.max_sessions as usize,
            settings.commands_per_min as usize,
        );
        let slot = OltSession::slot(&budget).await;
        let open = self.puller.open(d, meta).await?;
        Ok(OltSession::new(open, d.dialect, budget, slot))
    }

    /// Runs a line; a refusal that means "none" is `Ok(None)`.
    pub async fn read(
        s: &mut OltSession,
        cli: &dyn GponCli,
        line: &Line,
    ) -> Result<Option<String>, ReadError> {
        match s.run(line).await {
            Ok(out) => Ok(Some(out)),
            Err(e) if super::session::is_transport(&e) => Err(ReadError::Transport(e.reason())),
            Err(e) => refused_or(e, cli).map_err(ReadError::Refused),
        }
    }

    /// Polls one OLT (inventory, every port's ONTs, state and optics) under
    /// its lease, and records the poll.
    #[tracing::instrument(name = "gpon_poll", skip(self, d, meta), fields(olt = %d.name))]
    pub async fn poll(&self, d: &PullTarget, meta: &Metadata) -> Outcome {
        let lease = format!("gpon/{}", d.device_id);
        let run = async {
            let o = self.poll_inner(d, meta).await;
            if let Outcome::Failed(reason) = &o {
                tracing::warn!(address = %d.address, %reason, "OLT poll failed; its ONTs stay as last seen");
            }
            o
        };
        recorded(
            &self.leases,
            &self.telemetry,
            POLL_KIND,
            &d.device_id,
            lease,
            Duration::from_secs(600),
            run,
        )
        .await
    }

    async fn poll_inner(&self, d: &PullTarget, meta: &Metadata) -> Outcome {
        let cli = match self.cli(d) {
            Ok(c) => c,
            Err(e) => return Outcome::Failed(e),
        };
        let settings = match self.settings().await {
            Ok(s) => s,
            Err(e) => return Outcome::Failed(format!("reading the GPON settings: {e}")),
        };
        let thresholds = Thresholds {
            high: settings.rx_high,
            good: settings.rx_good,
            marginal: settings.rx_marginal,
        };
        let mut s = match self.session(d, &settings, meta).await {
            Ok(s) => s,
            Err(e) => return Outcome::Failed(e),
        };
        let swept = self.sweep(&mut s, cli, d, &thresholds).await;
        let commands = s.commands;
        s.close().await;
        let (inventory, ports, failed_ports) = match swept {
            Ok(x) => x,
            Err(e) => return Outcome::Failed(e),
        };
        let mut changed = 0;
        match self
            .world
            .olt_command(
                d.device_id.clone(),
                GponOltCommand::Inventory(inventory),
                meta.clone(),
            )
            .await
        {
            Ok(true) => changed += 1,
            Ok(false) => {}
            Err(e) => return Outcome::Failed(format!("recording the inventory: {e}")),
        }
        let onts: usize = ports.iter().map(|p| p.rows.len()).sum();
        let readings: Vec<Reading> = ports
            .iter()
            .flat_map(|p| {
                p.rows.iter().map(|(_, r)| Reading {
                    olt_id: d.device_id.clone(),
                    ..r.clone()
                })
            })
            .collect();
        if let Err(e) = self.telemetry.record_ont_readings(readings).await {
            return Outcome::Failed(format!("keeping the optical readings: {e}"));
        }
        match self.apply(d, &ports, meta).await {
            Ok(n) => changed += n,
            Err(e) => return Outcome::Failed(format!("recording ONT changes: {e}")),
        }
        Outcome::Polled {
            onts,
            changed,
            failed_ports,
            commands,
        }
    }

    /// Reads the inventory and every port.
    async fn sweep(
        &self,
        s: &mut OltSession,
        cli: &dyn GponCli,
        d: &PullTarget,
        t: &Thresholds,
    ) -> Result<(Inventory, Vec<PortRead>, Vec<String>), String> {
        let fatal = |e: ReadError| match e {
            ReadError::Transport(r) | ReadError::Refused(r) => r,
        };
        let boards_out = Self::read(s, cli, &cli.boards_command())
            .await
            .map_err(fatal)?
            .ok_or("the OLT lists no boards")?;
        let boards = cli
            .parse_boards(&boards_out)
            .map_err(|e| format!("the board list could not be read: {e}"))?;
        let mut profiles = Vec::new();
        for line in [cli.line_profiles_command(), cli.service_profiles_command()] {
            let out = Self::read(s, cli, &line).await.map_err(fatal)?;
            let list = match out {
                Some(o) => cli
                    .parse_profiles(&o)
                    .map_err(|e| format!("the profiles could not be read: {e}"))?,
                None => Vec::new(),
            };
            profiles.push(
                list.into_iter()
                    .map(|p| OltProfileInfo {
                        id: p.id,
                        name: p.name,
                    })
                    .collect::<Vec<_>>(),
            );
        }
        let service_profiles = profiles.pop().unwrap_or_default();
        let line_profiles = profiles.pop().unwrap_or_default();
        let inventory = Inventory {
            boards: boards
                .iter()
                .map(|b| BoardInfo {
                    slot: b.slot,
                    name: b.name.clone(),
                    status: b.status.clone(),
                    gpon_ports: b.gpon_ports,
                })
                .collect(),
            line_profiles,
            service_profiles,
        };
        let (frame, first) = cli.first_frame_and_port();
        let ports: Vec<Fsp> = boards
            .iter()
            .flat_map(|b| (first..first + b.gpon_ports).map(move |p| Fsp::new(frame, b.slot, p)))
            .collect();
        let mut read = Vec::new();
        let mut failed = Vec::new();
        let mut port_optics = true;
        for fsp in ports {
            match self.port(s, cli, fsp, t, &mut port_optics).await {
                Ok(p) => read.push(p),
                Err(ReadError::Transport(r)) => {
                    return Err(format!("the session ended while reading port {fsp}: {r}"))
                }
                Err(ReadError::Refused(r)) => {
                    tracing::warn!(olt = %d.name, port = %fsp, reason = %r, "a port could not be read; it stays as last seen");
                    failed.push(format!("{fsp}: {r}"));
                }
            }
        }
        Ok((inventory, read, failed))
    }

    async fn port(
        &self,
        s: &mut OltSession,
        cli: &dyn GponCli,
        fsp: Fsp,
        t: &Thresholds,
        port_optics: &mut bool,
    ) -> Result<PortRead, ReadError> {
        let bad = |what: &str, e: GponParseError| ReadError::Refused(format!("{what}: {e}"));
        let mut outs = Vec::new();
        for line in cli.ont_list_commands(fsp) {
            match Self::read(s, cli, &line).await? {
                Some(o) => outs.push(o),
                None => {
                    return Ok(PortRead {
                        fsp,
                        rows: Vec::new(),
                    })
                }
            }
        }
        let list = cli
            .parse_ont_list(fsp, &outs)
            .map_err(|e| bad("the ONT list", e))?;
        if list.is_empty() {
            return Ok(PortRead {
                fsp,
                rows: Vec::new(),
            });
        }
        let summary = match Self::read(s, cli, &cli.summary_command(fsp)).await? {
            Some(o) => cli
                .parse_summary(fsp, &o)
                .map_err(|e| bad("the port summary", e))?,
            None => Vec::new(),
        };
        let mut optics: HashMap<u32, Optics> = HashMap::new();
        if *port_optics {
            if let Some(line) = cli.port_optics_command(fsp) {
                match Self::read(s, cli, &line).await {
                    Ok(Some(o)) => match cli.parse_port_optics(&o) {
                        Ok(rows) => optics.extend(rows.into_iter().map(|r| (r.ont_id, r.optics))),
                        Err(e) => return Err(bad("the port optics", e)),
                    },
                    Ok(None) => {}
                    // Old firmware lacks the table: the summary's Rx/Tx serve.
                    Err(ReadError::Refused(_)) => *port_optics = false,
                    Err(e) => return Err(e),
                }
            }
        }
        let now = chrono::Utc::now().timestamp();
        let rows = list
            .into_iter()
            .map(|o| {
                let sum = summary.iter().find(|x| x.ont_id == o.ont_id);
                let opt = optics.get(&o.ont_id).copied().unwrap_or_default();
                let online = o.run == RunState::Online;
                let rx = opt.rx_dbm.or(sum.and_then(|x| x.rx_dbm));
                let signal = if online {
                    t.classify(rx)
                } else {
                    super::model::Signal::None
                };
                let seen = OntSeen {
                    olt_id: String::new(),
                    port: fsp.to_string(),
                    ont_id: o.ont_id,
                    sn: o.sn.clone(),
                    description: o.description.clone(),
                    run: o.run.as_str().to_string(),
                    last_down_cause: sum.and_then(|x| x.last_down_cause.clone()),
                    signal: signal.as_str().to_string(),
                };
                let reading = Reading {
                    olt_id: String::new(),
                    sn: o.sn,
                    at: now,
                    rx_dbm: online.then_some(rx).flatten(),
                    tx_dbm: online
                        .then_some(opt.tx_dbm.or(sum.and_then(|x| x.tx_dbm)))
                        .flatten(),
                    olt_rx_dbm: online.then_some(opt.olt_rx_dbm).flatten(),
                    temperature_c: opt.temperature_c,
                    distance_m: sum.and_then(|x| x.distance_m),
                    last_up: sum.and_then(|x| x.last_up.clone()),
                    last_down: sum.and_then(|x| x.last_down.clone()),
                };
                (seen, reading)
            })
            .collect();
        Ok(PortRead { fsp, rows })
    }

    /// Commands the ONTs whose state differs from the read model, and marks
    /// vanished those the read ports no longer list.
    async fn apply(
        &self,
        d: &PullTarget,
        ports: &[PortRead],
        meta: &Metadata,
    ) -> Result<usize, String> {
        let known: HashMap<String, OntSeen> = self
            .world
            .known_onts(d.device_id.clone())
            .await?
            .into_iter()
            .map(|k| (k.sn, k.seen))
            .collect();
        let mut changed = 0;
        let mut listed = std::collections::HashSet::new();
        for p in ports {
            for (seen, _) in &p.rows {
                let mut seen = seen.clone();
                seen.olt_id = d.device_id.clone();
                listed.insert(seen.sn.clone());
                // The aggregate's own rule says whether this is news; only
                // news becomes a command (a steady poll writes nothing).
                let unchanged = known.get(&seen.sn).is_some_and(|k| {
                    let ont = Ont {
                        seen: Some(k.clone()),
                        gone: false,
                    };
                    ont.decide(OntCommand::Observe(seen.clone())).is_err()
                });
                if unchanged {
                    continue;
                }
                let id = ispmon_events::gpon::ont_id(&d.device_id, &seen.sn);
                if self
                    .world
                    .ont_command(id, OntCommand::Observe(seen), meta.clone())
                    .await?
                {
                    changed += 1;
                }
            }
        }
        let read_ports: std::collections::HashSet<String> =
            ports.iter().map(|p| p.fsp.to_string()).collect();
        for (sn, k) in &known {
            if read_ports.contains(&k.port) && !listed.contains(sn) {
                let id = ispmon_events::gpon::ont_id(&d.device_id, sn);
                if self
                    .world
                    .ont_command(id, OntCommand::Vanish, meta.clone())
                    .await?
                {
                    changed += 1;
                }
            }
        }
        Ok(changed)
    }

    /// Polls one OLT's autofind list under its lease, and records it.
    #[tracing::instrument(name = "gpon_autofind", skip(self, d, meta), fields(olt = %d.name))]
    pub async fn autofind(&self, d: &PullTarget, meta: &Metadata) -> Outcome {
        let lease = format!("gpon-autofind/{}", d.device_id);
        recorded(
            &self.leases,
            &self.telemetry,
            AUTOFIND_KIND,
            &d.device_id,
            lease,
            Duration::from_secs(120),
            self.autofind_inner(d, meta),
        )
        .await
    }

    async fn autofind_inner(&self, d: &PullTarget, meta: &Metadata) -> Outcome {
        let cli = match self.cli(d) {
            Ok(c) => c,
            Err(e) => return Outcome::Failed(e),
        };
        let settings = match self.settings().await {
            Ok(s) => s,
            Err(e) => return Outcome::Failed(format!("reading the GPON settings: {e}")),
        };
        let mut s = match self.session(d, &settings, meta).await {
            Ok(s) => s,
            Err(e) => return Outcome::Failed(e),
        };
        let out = Self::read(&mut s, cli, &cli.autofind_command()).await;
        let commands = s.commands;
        s.close().await;
        let entries = match out {
            Ok(Some(o)) => match cli.parse_autofind(&o) {
                Ok(e) => e,
                Err(e) => {
                    return Outcome::Failed(format!("the autofind list could not be read: {e}"))
                }
            },
            Ok(None) => Vec::new(),
            Err(ReadError::Transport(r) | ReadError::Refused(r)) => return Outcome::Failed(r),
        };
        let n = entries.len();
        let list = entries
            .into_iter()
            .map(|a| AutofindEntry {
                port: a.fsp.to_string(),
                sn: a.sn,
                vendor_sn: a.vendor_sn,
                equipment_id: a.equipment_id,
                version: a.version,
                software_version: a.software_version,
                found_at: a.found_at,
            })
            .collect();
        match self
            .world
            .olt_command(
                d.device_id.clone(),
                GponOltCommand::Autofind(list),
                meta.clone(),
            )
            .await
        {
            Ok(changed) => Outcome::Polled {
                onts: n,
                changed: usize::from(changed),
                failed_ports: Vec::new(),
                commands,
            },
            Err(e) => Outcome::Failed(format!("recording the autofind list: {e}")),
        }
    }
}

/// Why a read failed: the session is gone, or the OLT refused this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    Transport(String),
    Refused(String),
}
