//! Building and running the web application.

use std::io::Write;
use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::core::Core;
use crate::state::AppState;

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    cancel: CancellationToken,
    _lock: std::fs::File,
    /// The emulated devices of `ispmon demo`, served while the app runs.
    _demo: Option<crate::demo::DemoWorld>,
}

impl Application {
    /// Opens the data dir, creates the admin on first start, seeds demo data
    /// when asked, and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let lock = settings.lock_data_dir()?;
        let cancel = CancellationToken::new();
        let core = Core::start(&settings, cancel.clone()).await?;
        core.bootstrap_admin(&settings).await?;
        if settings.demo {
            crate::demo::seed(&core).await?;
        }
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("binding {}", settings.listen))?;
        let fleet = if settings.demo {
            Some(crate::demo::seed_devices(&core).await?)
        } else {
            None
        };
        let state = AppState::new(core, settings);
        state.scheduler.add(state.sweeper.job(), cancel.clone());
        state.scheduler.add(
            std::sync::Arc::new(ispmon_scheduler::config_pull::job::ConfigPullJob::new(
                std::sync::Arc::clone(&state.puller),
                state.settings.config_pull_cron.clone(),
            )),
            cancel.clone(),
        );
        state.scheduler.add(
            std::sync::Arc::new(ispmon_scheduler::fdb::job::FdbJob::new(
                std::sync::Arc::clone(&state.fdb),
            )),
            cancel.clone(),
        );
        state.scheduler.add(
            std::sync::Arc::new(ispmon_scheduler::nas::job::NasJob::new(
                std::sync::Arc::clone(&state.nas),
            )),
            cancel.clone(),
        );
        state.scheduler.add(
            std::sync::Arc::new(ispmon_scheduler::fdb::prune::PruneJob::new(
                std::sync::Arc::clone(&state.fdb),
            )),
            cancel.clone(),
        );
        state.scheduler.add(
            std::sync::Arc::new(ispmon_scheduler::billing::BillingSyncJob::new(
                std::sync::Arc::clone(&state.billing),
            )),
            cancel.clone(),
        );
        // The billing helpdesk import, on the billing sync's schedule.
        state.scheduler.add(
            std::sync::Arc::new(ispmon_scheduler::billing::HelpdeskSyncJob::new(
                std::sync::Arc::clone(&state.helpdesk),
            )),
            cancel.clone(),
        );
        for job in [
            ispmon_scheduler::gpon::job::GponJob::poll(std::sync::Arc::clone(&state.gpon)),
            ispmon_scheduler::gpon::job::GponJob::autofind(std::sync::Arc::clone(&state.gpon)),
        ] {
            state
                .scheduler
                .add(std::sync::Arc::new(job), cancel.clone());
        }
        // Its first run finishes any deletion a crash left half way.
        let folders = crate::folder_deletion::job(&state.core);
        state.scheduler.add(folders, cancel.clone());
        if let Err(e) = state.scheduler.run_now(
            ispmon_scheduler::folder_deletion::JOB_NAME,
            ispmon_scheduler::Scope::Due,
            None,
        ) {
            tracing::warn!(error = %e, "resuming folder deletions");
        }
        if let Some(world) = &fleet {
            crate::demo::pull_devices(&state, &world.fleet);
        }
        crate::notify::spawn(&state, cancel.clone()).await?;
        // Replies and closes of imported tickets, sent to billing.
        crate::helpdesk::Outbox::spawn(&state, cancel.clone()).await?;
        // Registrations and deletions resume from the log.
        crate::gpon::Sagas::spawn(&state, cancel.clone()).await?;
        if state.settings.demo {
            // A first sweep right away, so the demo board is not all "pending".
            if let Err(e) = state.scheduler.run_now(
                ispmon_scheduler::sweep::JOB_NAME,
                ispmon_scheduler::Scope::All,
                None,
            ) {
                tracing::warn!(error = %e, "the demo's first sweep did not start");
            }
            // And a first billing sync, so Subscribers is filled at once.
            if let Err(e) = state.scheduler.run_now(
                ispmon_scheduler::billing::job::JOB_NAME,
                ispmon_scheduler::Scope::All,
                None,
            ) {
                tracing::warn!(error = %e, "the demo's first billing sync did not start");
            }
            // And the billing's helpdesk, so Tickets has its imported ones.
            if let Err(e) = state.scheduler.run_now(
                ispmon_scheduler::billing::helpdesk_sync::JOB_NAME,
                ispmon_scheduler::Scope::All,
                None,
            ) {
                tracing::warn!(error = %e, "the demo's first helpdesk import did not start");
            }
        }
        let router = crate::routes::router(state.clone());
        Ok(Self {
            listener,
            router,
            state,
            cancel,
            _lock: lock,
            _demo: fleet,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// A token that stops the server gracefully when cancelled.
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Serves until SIGTERM/ctrl-c (or the cancel token), then drains.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let addr = self.local_addr();
        tracing::info!(%addr, "listening");
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "ispmon: listening on http://{addr}")?;
            out.flush()?;
        }
        let cancel = self.cancel.clone();
        let result = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown(cancel.clone()))
        .await;
        cancel.cancel();
        tracing::info!("stopped");
        result.context("serving")
    }
}

async fn shutdown(cancel: CancellationToken) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("interrupt: shutting down"),
        _ = term => tracing::info!("SIGTERM: shutting down"),
        _ = cancel.cancelled() => {},
    }
}
