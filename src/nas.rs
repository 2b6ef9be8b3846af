//! The NAS poller's world: how the engine in `ispmon_scheduler::nas` sees
//! the application — NAS devices from the devices read model, login
//! bindings from the logins read model, the Search Port settings in force,
//! and Login commands. The engine, its
//! job and its rules live in the scheduler crate; this is the thin adapter.

use std::collections::HashMap;
use std::sync::Arc;

use ispmon_events::login::{Binding, Login, LoginCommand};
use ispmon_events::Metadata;
use ispmon_projections::logins;
use ispmon_scheduler::config_pull::{PullTarget, Puller, WorldFuture};
use ispmon_scheduler::nas::NasWorld;
pub use ispmon_scheduler::nas::{Outcome, Poller};

use crate::core::Core;

pub struct AppNasWorld {
    core: Core,
}

/// The poller over this application, through `puller`'s CLI sessions,
/// polling each NAS as often as the Search Port settings in force say.
pub fn poller(core: &Core, puller: Arc<Puller>) -> Arc<Poller> {
    let world = Arc::new(AppNasWorld { core: core.clone() });
    Arc::new(Poller::new(world, puller, core.telemetry.clone()))
}

impl NasWorld for AppNasWorld {
    fn nas_devices(&self) -> WorldFuture<'_, Vec<PullTarget>> {
        Box::pin(crate::devices::pull::live_targets(
            &self.core,
            |d| d.roles.iter().any(|r| r == "nas"),
            "NAS session poll",
        ))
    }

    fn bindings(&self, names: Vec<String>) -> WorldFuture<'_, HashMap<String, Binding>> {
        Box::pin(async move {
            let found = self
                .core
                .views
                .read(move |c| logins::many(c, &names))
                .await
                .map_err(|e| e.to_string())?;
            Ok(found.into_iter().map(|(l, r)| (l, r.binding())).collect())
        })
    }

    fn login_command(
        &self,
        login: String,
        command: LoginCommand,
        meta: Metadata,
    ) -> WorldFuture<'_, bool> {
        Box::pin(async move {
            self.core
                .commands
                .execute_settled::<Login>(&login, command, &meta)
                .await
        })
    }

    fn settings(&self) -> WorldFuture<'_, ispmon_events::fdb_settings::FdbSettingsValues> {
        Box::pin(crate::fdb::settings(&self.core))
    }
}
