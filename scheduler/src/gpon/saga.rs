//! Registration and deletion as sagas: a reactor that takes each requested
//! [`GponJob`] and drives it to its end, one step at a time, each step a
//! command that records its start, then its outcome with the masked
//! transcript. A failed registration step is compensated by inspection
//! (whatever the OLT has for this SN — its service ports, the ONT — is
//! removed, then saved), so it is safe to run again.
//!
//! The job's state lives in the log, never only here. A step recorded as
//! started but never finished (ispmon was killed during it) is failed as
//! interrupted and compensated when the effect is taken over after its
//! lease ran out; a compensation that was running is simply run again.

use std::sync::Arc;
use std::time::Duration;

use ispmon_events::gpon::{
    GponJob, GponJobCommand, JobKind, JobRequest, Next, OntCommand, OntSeen,
};
use ispmon_events::{EventStore, Metadata, Source, StoredEvent};
use serde::{Deserialize, Serialize};

use super::model::{normalise_sn, Fsp, GponCli, Line, RegistrationPlan, ServicePort};
use super::poll::{GponPoller, ReadError};
use super::session::OltSession;
use crate::config_pull::PullTarget;
use crate::reactor::{Decision, Done, Failure, Policy, Reactor};

pub const NAME: &str = "gpon-saga";

/// The one effect: drive this job to its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drive {
    pub job_id: String,
}

pub struct GponSaga {
    poller: Arc<GponPoller>,
    lease: Duration,
}

impl GponSaga {
    /// `lease`: how long a runner owns a job it took; a runner that died
    /// leaves it to the next after this.
    pub fn new(poller: Arc<GponPoller>, lease: Duration) -> Self {
        GponSaga { poller, lease }
    }
}

impl Reactor for GponSaga {
    type Effect = Drive;
    type State = ();
    type Context = ();

    fn name(&self) -> &'static str {
        NAME
    }

    fn policy(&self) -> Policy {
        Policy {
            max_attempts: 5,
            first_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(120),
            lease: self.lease,
            // Jobs on different ports (one per port is the rule) and OLTs
            // run side by side; each OLT's budget bounds its sessions.
            claim: 20,
            concurrent: true,
            idle: Duration::from_secs(10),
            ..Policy::default()
        }
    }

    // Every job ever asked for is this reactor's: start at the log's start.
    async fn start(&self, _store: &EventStore, _head: u64) -> Result<(u64, ()), String> {
        Ok((0, ()))
    }

    fn decide(
        &self,
        _state: &mut (),
        _ctx: &(),
        event: &StoredEvent,
    ) -> Result<Vec<Decision<Drive>>, String> {
        if event.aggregate_type == "GponJob" && event.event_type == "GponJobRequested" {
            return Ok(vec![Decision::perform(
                "drive",
                Drive {
                    job_id: event.aggregate_id.clone(),
                },
            )]);
        }
        Ok(Vec::new())
    }

    fn perform(
        &self,
        effect: &Drive,
        attempt: u32,
    ) -> impl std::future::Future<Output = Result<Done, Failure>> + Send {
        let last = attempt >= self.policy().max_attempts;
        let job_id = effect.job_id.clone();
        async move { Driver::new(&self.poller, job_id, last).run().await }
    }
}

/// One drive of one job.
struct Driver<'a> {
    p: &'a GponPoller,
    id: String,
    /// The last attempt: a compensation that cannot reach the OLT ends the
    /// job as `failed-dirty` instead of trying later.
    last: bool,
    meta: Metadata,
    session: Option<OltSession>,
}

/// What a step did.
struct StepOutcome {
    ok: bool,
    skipped: bool,
    failure: Option<String>,
    values: Vec<(String, String)>,
    /// The session is unusable.
    transport: bool,
}

impl StepOutcome {
    fn done(values: Vec<(String, String)>) -> Self {
        StepOutcome {
            ok: true,
            skipped: false,
            failure: None,
            values,
            transport: false,
        }
    }
    fn failed(reason: impl Into<String>) -> Self {
        StepOutcome {
            ok: false,
            skipped: false,
            failure: Some(reason.into()),
            values: Vec::new(),
            transport: false,
        }
    }
    fn from_read(e: ReadError) -> Self {
        match e {
            ReadError::Transport(r) => StepOutcome {
                transport: true,
                ..StepOutcome::failed(r)
            },
            ReadError::Refused(r) => StepOutcome::failed(r),
        }
    }
}

impl<'a> Driver<'a> {
    fn new(p: &'a GponPoller, id: String, last: bool) -> Self {
        Driver {
            p,
            meta: Metadata::system(Source::Scheduler, NAME),
            id,
            last,
            session: None,
        }
    }

    /// Futures below borrow only the poller, never `self` (the session in
    /// it is `Send` but not `Sync`).
    fn command(
        &self,
        c: GponJobCommand,
    ) -> impl std::future::Future<Output = Result<(), String>> + Send + 'a {
        let (p, id, meta) = (self.p, self.id.clone(), self.meta.clone());
        async move { p.world.job_command(id, c, meta).await }
    }

    async fn run(mut self) -> Result<Done, Failure> {
        let r = self.drive().await;
        if let Some(s) = self.session.take() {
            s.close().await;
        }
        r
    }

    async fn drive(&mut self) -> Result<Done, Failure> {
        loop {
            let job = match self.p.world.job(self.id.clone()).await {
                Ok(Some(j)) => j,
                Ok(None) => return Err(Failure::drop("no such job")),
                Err(e) => return Err(Failure::retry(format!("reading the job: {e}"))),
            };
            let req = job
                .request
                .clone()
                .expect("a job past Done has its request");
            match job.next() {
                Next::Done => return Ok(Done::default()),
                Next::Interrupted(step) => {
                    tracing::warn!(job = %self.id, step, "a step was interrupted (ispmon stopped during it); compensating");
                    self.command(GponJobCommand::FinishStep {
                        step,
                        ok: false,
                        skipped: false,
                        transcript: String::new(),
                        failure: Some(
                            "interrupted: ispmon stopped during this step; what the OLT has for this SN is undone"
                                .into(),
                        ),
                        values: Vec::new(),
                    })
                    .await
                    .map_err(Failure::retry)?;
                }
                Next::Step(step) => {
                    self.command(GponJobCommand::StartStep { step })
                        .await
                        .map_err(Failure::retry)?;
                    let out = self.step(&job, &req, step).await;
                    let transcript = self
                        .session
                        .as_mut()
                        .map(OltSession::take_log)
                        .unwrap_or_default();
                    if out.transport {
                        if let Some(s) = self.session.take() {
                            s.close().await;
                        }
                    }
                    self.command(GponJobCommand::FinishStep {
                        step,
                        ok: out.ok,
                        skipped: out.skipped,
                        transcript,
                        failure: out.failure,
                        values: out.values,
                    })
                    .await
                    .map_err(Failure::retry)?;
                }
                Next::Compensate => {
                    if !job.compensating {
                        self.command(GponJobCommand::StartCompensation)
                            .await
                            .map_err(Failure::retry)?;
                    }
                    let r = self.compensate(&req).await;
                    let transcript = self
                        .session
                        .as_mut()
                        .map(OltSession::take_log)
                        .unwrap_or_default();
                    match r {
                        Err(reason) if !self.last => {
                            if let Some(s) = self.session.take() {
                                s.close().await;
                            }
                            return Err(Failure::retry(format!(
                                "compensation could not reach the OLT, tried again later: {reason}"
                            )));
                        }
                        r => {
                            self.command(GponJobCommand::FinishCompensation {
                                ok: r.is_ok(),
                                transcript,
                                failure: r.err(),
                            })
                            .await
                            .map_err(Failure::retry)?;
                        }
                    }
                }
            }
        }
    }

    fn olt(
        &self,
        req: &JobRequest,
    ) -> impl std::future::Future<Output = Result<PullTarget, String>> + Send + 'a {
        let (p, id, name) = (self.p, req.olt_id.clone(), req.olt_name.clone());
        async move {
            p.olts()
                .await?
                .into_iter()
                .find(|d| d.device_id == id)
                .ok_or_else(|| format!("the OLT {name} is not registered any more"))
        }
    }

    /// The session, opened on first use.
    async fn session(
        &mut self,
        req: &JobRequest,
    ) -> Result<(&mut OltSession, &'static dyn GponCli), ReadError> {
        let d = self.olt(req).await.map_err(ReadError::Refused)?;
        let cli = self.p.cli(&d).map_err(ReadError::Refused)?;
        if self.session.is_none() {
            let settings = self.p.settings().await.map_err(ReadError::Refused)?;
            let s = self
                .p
                .session(&d, &settings, &self.meta)
                .await
                .map_err(ReadError::Transport)?;
            self.session = Some(s);
        }
        Ok((self.session.as_mut().expect("just opened"), cli))
    }

    async fn read(&mut self, req: &JobRequest, line: &Line) -> Result<Option<String>, ReadError> {
        let (s, cli) = self.session(req).await?;
        GponPoller::read(s, cli, line).await
    }

    /// Runs lines in order; the outputs, or the first refusal.
    async fn lines(&mut self, req: &JobRequest, lines: &[Line]) -> Result<Vec<String>, ReadError> {
        let (s, _) = self.session(req).await?;
        let mut outs = Vec::new();
        for l in lines {
            match s.run(l).await {
                Ok(o) => outs.push(o),
                Err(e) if super::session::is_transport(&e) => {
                    return Err(ReadError::Transport(e.reason()))
                }
                Err(crate::cli::session::CliError::Rejected { message, .. }) => {
                    return Err(ReadError::Refused(message))
                }
                Err(e) => return Err(ReadError::Refused(e.reason())),
            }
        }
        Ok(outs)
    }

    fn cli(
        &self,
        req: &JobRequest,
    ) -> impl std::future::Future<Output = Result<&'static dyn GponCli, String>> + Send + 'a {
        let (olt, p) = (self.olt(req), self.p);
        async move { p.cli(&olt.await?) }
    }

    async fn step(&mut self, job: &GponJob, req: &JobRequest, step: usize) -> StepOutcome {
        let cli = match self.cli(req).await {
            Ok(c) => c,
            Err(e) => return StepOutcome::failed(e),
        };
        let fsp: Fsp = match req.port.parse() {
            Ok(f) => f,
            Err(e) => return StepOutcome::failed(e),
        };
        let r = match &req.kind {
            JobKind::Register { .. } => self.register_step(cli, job, req, fsp, step).await,
            JobKind::Delete { ont_id } => self.delete_step(cli, req, fsp, *ont_id, step).await,
        };
        r.unwrap_or_else(StepOutcome::from_read)
    }

    fn plan(req: &JobRequest, fsp: Fsp) -> Option<RegistrationPlan> {
        let JobKind::Register {
            profile,
            from_autofind,
            ..
        } = &req.kind
        else {
            return None;
        };
        Some(RegistrationPlan {
            fsp,
            sn: req.sn.clone(),
            description: req.name.clone(),
            line_profile_id: profile.line_profile_id,
            service_profile_id: profile.service_profile_id,
            vlan: profile.vlan as u16,
            gemport: profile.gemport,
            native_vlan: profile.bridge,
            from_autofind: *from_autofind,
            onu_type: profile.onu_type.clone(),
        })
    }

    async fn register_step(
        &mut self,
        cli: &'static dyn GponCli,
        job: &GponJob,
        req: &JobRequest,
        fsp: Fsp,
        step: usize,
    ) -> Result<StepOutcome, ReadError> {
        let plan = Self::plan(req, fsp).expect("a registration");
        let value = |k: &str| job.value(k).and_then(|v| v.parse::<u32>().ok());
        match step {
            // check: the profiles exist on the OLT, the SN is nowhere on it,
            // it waits in autofind on this port (when registering from
            // there), and (ZTE) which ONT-ID is free.
            0 => {
                for (line, id, what) in [
                    (
                        cli.line_profiles_command(),
                        plan.line_profile_id,
                        "line profile",
                    ),
                    (
                        cli.service_profiles_command(),
                        plan.service_profile_id,
                        "service profile",
                    ),
                ] {
                    let list = match self.read(req, &line).await? {
                        Some(o) => cli
                            .parse_profiles(&o)
                            .map_err(|e| ReadError::Refused(e.to_string()))?,
                        None => Vec::new(),
                    };
                    if !list.iter().any(|p| p.id == id) {
                        return Ok(StepOutcome::failed(format!(
                            "the OLT has no {what} {id} (the local profile names it)"
                        )));
                    }
                }
                if let Some(o) = self.read(req, &cli.find_by_sn_command(&plan.sn)).await? {
                    if let Some((at, n)) = cli
                        .parse_find_by_sn(&o)
                        .map_err(|e| ReadError::Refused(e.to_string()))?
                    {
                        return Ok(StepOutcome::failed(format!(
                            "the OLT already has this SN: {at} ONT {n}"
                        )));
                    }
                }
                if plan.from_autofind {
                    let waiting = match self.read(req, &cli.autofind_command()).await? {
                        Some(o) => cli
                            .parse_autofind(&o)
                            .map_err(|e| ReadError::Refused(e.to_string()))?,
                        None => Vec::new(),
                    };
                    if !waiting.iter().any(|a| a.fsp == fsp && a.sn == plan.sn) {
                        return Ok(StepOutcome::failed(format!(
                            "the SN is not in autofind on {fsp} any more"
                        )));
                    }
                }
                let mut outs = Vec::new();
                for line in cli.ont_list_commands(fsp) {
                    match self.read(req, &line).await? {
                        Some(o) => outs.push(o),
                        None => break,
                    }
                }
                let used: Vec<u32> = if outs.is_empty() {
                    Vec::new()
                } else {
                    cli.parse_ont_list(fsp, &outs)
                        .map_err(|e| ReadError::Refused(e.to_string()))?
                        .iter()
                        .map(|o| o.ont_id)
                        .collect()
                };
                let Some(free) = cli.ont_ids().find(|i| !used.contains(i)) else {
                    return Ok(StepOutcome::failed(format!(
                        "port {fsp} is full ({} ONTs)",
                        cli.ont_ids().count()
                    )));
                };
                Ok(StepOutcome::done(vec![(
                    "free_id".into(),
                    free.to_string(),
                )]))
            }
            1 => {
                let free = value("free_id").unwrap_or(0);
                let outs = self.lines(req, &cli.add_ont_commands(&plan, free)).await;
                let outs = match outs {
                    Ok(o) => o,
                    Err(ReadError::Refused(r)) => return Ok(StepOutcome::failed(r)),
                    Err(e) => return Err(e),
                };
                match cli.parse_added(&outs.join("\n"), free) {
                    Ok(id) => Ok(StepOutcome::done(vec![("ont_id".into(), id.to_string())])),
                    Err(e) => Ok(StepOutcome::failed(e.to_string())),
                }
            }
            2 => {
                let Some(ont) = value("ont_id") else {
                    return Ok(StepOutcome::failed("no ONT-ID was recorded"));
                };
                let index = match cli.next_free_index_command() {
                    Some(line) => match self.read(req, &line).await? {
                        Some(o) => match cli.parse_next_free_index(&o) {
                            Ok(i) => i,
                            Err(e) => return Ok(StepOutcome::failed(e.to_string())),
                        },
                        None => return Ok(StepOutcome::failed("no free service-port index")),
                    },
                    None => 1,
                };
                match self
                    .lines(req, &cli.service_port_commands(&plan, ont, index))
                    .await
                {
                    Ok(_) => Ok(StepOutcome::done(vec![(
                        "service_port".into(),
                        index.to_string(),
                    )])),
                    Err(ReadError::Refused(r)) => Ok(StepOutcome::failed(r)),
                    Err(e) => Err(e),
                }
            }
            3 => {
                let Some(ont) = value("ont_id") else {
                    return Ok(StepOutcome::failed("no ONT-ID was recorded"));
                };
                let lines = cli.native_vlan_commands(&plan, ont);
                if lines.is_empty() {
                    return Ok(StepOutcome {
                        skipped: true,
                        ..StepOutcome::done(Vec::new())
                    });
                }
                match self.lines(req, &lines).await {
                    Ok(_) => Ok(StepOutcome::done(Vec::new())),
                    Err(ReadError::Refused(r)) => Ok(StepOutcome::failed(r)),
                    Err(e) => Err(e),
                }
            }
            _ => {
                let out = self.save(req, cli).await?;
                if !out.ok {
                    return Ok(out);
                }
                let ont = value("ont_id").unwrap_or(0);
                self.record_registered(cli, req, fsp, ont).await;
                Ok(out)
            }
        }
    }

    async fn save(
        &mut self,
        req: &JobRequest,
        cli: &dyn GponCli,
    ) -> Result<StepOutcome, ReadError> {
        match self.lines(req, &[cli.save_command()]).await {
            Ok(outs) => match cli.parse_saved(&outs.join("\n")) {
                Ok(()) => Ok(StepOutcome::done(Vec::new())),
                Err(e) => Ok(StepOutcome::failed(e.to_string())),
            },
            Err(ReadError::Refused(r)) => Ok(StepOutcome::failed(r)),
            Err(e) => Err(e),
        }
    }

    /// The new ONT as the OLT lists it now, into the read model at once.
    async fn record_registered(&mut self, cli: &dyn GponCli, req: &JobRequest, fsp: Fsp, ont: u32) {
        let mut outs = Vec::new();
        for line in cli.ont_list_commands(fsp) {
            match self.read(req, &line).await {
                Ok(Some(o)) => outs.push(o),
                _ => break,
            }
        }
        let row = cli
            .parse_ont_list(fsp, &outs)
            .ok()
            .and_then(|rows| rows.into_iter().find(|r| r.ont_id == ont));
        let seen = OntSeen {
            olt_id: req.olt_id.clone(),
            port: fsp.to_string(),
            ont_id: ont,
            sn: req.sn.clone(),
            description: row
                .as_ref()
                .map(|r| r.description.clone())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| req.name.clone()),
            run: row
                .as_ref()
                .map(|r| r.run.as_str().to_string())
                .unwrap_or_else(|| "unknown".into()),
            last_down_cause: None,
            signal: "none".into(),
        };
        let profile = match &req.kind {
            JobKind::Register { profile, .. } => profile.name.clone(),
            JobKind::Delete { .. } => String::new(),
        };
        let id = ispmon_events::gpon::ont_id(&req.olt_id, &req.sn);
        let cmd = OntCommand::Register {
            seen,
            job_id: self.id.clone(),
            profile,
        };
        if let Err(e) = self.p.world.ont_command(id, cmd, self.meta.clone()).await {
            tracing::warn!(job = %self.id, error = %e, "recording the registered ONT; the next poll will");
        }
    }

    async fn delete_step(
        &mut self,
        cli: &'static dyn GponCli,
        req: &JobRequest,
        fsp: Fsp,
        ont_id: u32,
        step: usize,
    ) -> Result<StepOutcome, ReadError> {
        match step {
            0 => {
                let found = match self.read(req, &cli.find_by_sn_command(&req.sn)).await? {
                    Some(o) => cli
                        .parse_find_by_sn(&o)
                        .map_err(|e| ReadError::Refused(e.to_string()))?,
                    None => None,
                };
                match found {
                    Some((at, n)) if at == fsp && n == ont_id => Ok(StepOutcome::done(vec![])),
                    Some((at, n)) => Ok(StepOutcome::failed(format!(
                        "the OLT has this SN at {at} ONT {n}, not {fsp} ONT {ont_id}: poll the OLT and try again"
                    ))),
                    None => Ok(StepOutcome::failed("the OLT does not know this SN")),
                }
            }
            1 => {
                let ports = self.service_ports(req, cli, fsp, ont_id).await?;
                let undo: Vec<Line> = ports
                    .iter()
                    .map(|p| cli.undo_service_port_command(p))
                    .collect();
                match self.lines(req, &undo).await {
                    Ok(_) => Ok(StepOutcome::done(vec![(
                        "service_ports".into(),
                        ports
                            .iter()
                            .map(|p| p.index.to_string())
                            .collect::<Vec<_>>()
                            .join(","),
                    )])),
                    Err(ReadError::Refused(r)) => Ok(StepOutcome::failed(r)),
                    Err(e) => Err(e),
                }
            }
            2 => match self.lines(req, &cli.delete_ont_commands(fsp, ont_id)).await {
                Ok(_) => Ok(StepOutcome::done(vec![])),
                Err(ReadError::Refused(r)) => Ok(StepOutcome::failed(r)),
                Err(e) => Err(e),
            },
            _ => {
                let out = self.save(req, cli).await?;
                if out.ok {
                    let id = ispmon_events::gpon::ont_id(&req.olt_id, &req.sn);
                    let cmd = OntCommand::Delete {
                        job_id: self.id.clone(),
                    };
                    if let Err(e) = self.p.world.ont_command(id, cmd, self.meta.clone()).await {
                        tracing::warn!(job = %self.id, error = %e, "recording the deleted ONT");
                    }
                }
                Ok(out)
            }
        }
    }

    async fn service_ports(
        &mut self,
        req: &JobRequest,
        cli: &dyn GponCli,
        fsp: Fsp,
        ont: u32,
    ) -> Result<Vec<ServicePort>, ReadError> {
        Ok(
            match self
                .read(req, &cli.service_ports_of_command(fsp, ont))
                .await?
            {
                Some(o) => cli
                    .parse_service_ports(&o)
                    .map_err(|e| ReadError::Refused(e.to_string()))?
                    .into_iter()
                    .filter(|p| p.fsp == fsp && p.ont_id == ont)
                    .collect(),
                None => Vec::new(),
            },
        )
    }

    /// Undoes what the OLT has for this job's SN. `Err` only when the OLT
    /// could not be asked (tried again later); a refusal of an undo step is
    /// reported in the outcome.
    async fn compensate(&mut self, req: &JobRequest) -> Result<(), String> {
        if let JobKind::Delete { .. } = req.kind {
            // A deletion is not rolled back: its steps say what was done.
            return Ok(());
        }
        let cli = self.cli(req).await?;
        let transport = |e: ReadError| match e {
            ReadError::Transport(r) | ReadError::Refused(r) => r,
        };
        let sn = normalise_sn(&req.sn).unwrap_or_else(|| req.sn.clone());
        let found = match self
            .read(req, &cli.find_by_sn_command(&sn))
            .await
            .map_err(transport)?
        {
            Some(o) => cli.parse_find_by_sn(&o).map_err(|e| e.to_string())?,
            None => None,
        };
        let Some((fsp, ont)) = found else {
            return Ok(());
        };
        let ports = self
            .service_ports(req, cli, fsp, ont)
            .await
            .map_err(transport)?;
        let mut undo: Vec<Line> = ports
            .iter()
            .map(|p| cli.undo_service_port_command(p))
            .collect();
        undo.extend(cli.delete_ont_commands(fsp, ont));
        undo.push(cli.save_command());
        self.lines(req, &undo).await.map_err(transport)?;
        Ok(())
    }
}
