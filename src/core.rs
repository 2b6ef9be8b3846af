//! The core every entry point shares: the event store, the read models, the
//! secrets and the command side, opened from one data dir.

use std::io::Write;

use anyhow::Context;
use ispmon_events::secrets::{SecretKey, Secrets};
use ispmon_events::user::UserCommand;
use ispmon_events::values::{Locale, Login, NewPassword, Role};
use ispmon_events::{EventStore, Metadata, Source};
use ispmon_projections::Views;
use tokio_util::sync::CancellationToken;

use crate::auth::password;
use crate::commands::{CommandError, Commands};
use crate::config::Settings;

#[derive(Clone)]
pub struct Core {
    pub store: EventStore,
    pub views: Views,
    pub secrets: Secrets,
    pub commands: Commands,
    pub key: SecretKey,
    /// Ping samples (not events): `DATA/telemetry.db`.
    pub telemetry: ispmon_scheduler::telemetry::Telemetry,
    /// Config texts and firmware files: `DATA/blobs`.
    pub blobs: ispmon_events::blobs::BlobStore,
}

impl Core {
    /// [`Core::open`] on the blocking pool, for async callers: opening runs
    /// migrations and may rebuild a read model from the whole log (after a
    /// schema change), which must not hold an async worker thread.
    pub async fn start(settings: &Settings, cancel: CancellationToken) -> anyhow::Result<Self> {
        crate::allocator::tune();
        let settings = settings.clone();
        tokio::task::spawn_blocking(move || Self::open(&settings, cancel))
            .await
            .context("opening the data dir")?
    }

    /// Opens the data dir (creating it), the event store and the read models,
    /// and starts the projection runner.
    pub fn open(settings: &Settings, cancel: CancellationToken) -> anyhow::Result<Self> {
        let dir = &settings.data_dir;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        let key_given = settings
            .secret_key
            .as_deref()
            .is_some_and(|k| !k.trim().is_empty());
        if !key_given && !dir.join("secret.key").exists() && settings.events_path().exists() {
            anyhow::bail!(
                "{} has an event log but no secret.key: restore the key file (or set ISPMON_SECRET_KEY); \
                 a new key could not open the stored secrets",
                dir.display()
            );
        }
        let key = SecretKey::load_or_create(dir, settings.secret_key.as_deref())
            .context("loading the secret key")?;
        let store = EventStore::open(&settings.events_path(), settings.durability)
            .context("opening events.db")?;
        let views = Views::start(
            store.clone(),
            &settings.views_path(),
            settings.durability == ispmon_events::Durability::Full,
            cancel,
        )
        .context("opening views.db")?;
        let secrets = Secrets::new(store.clone(), key.clone());
        let commands = Commands::new(store.clone(), views.clone());
        let telemetry = ispmon_scheduler::telemetry::Telemetry::open(&dir.join("telemetry.db"))
            .context("opening telemetry.db")?;
        let blobs = ispmon_events::blobs::BlobStore::open(&dir.join("blobs"))
            .context("opening the blob store")?;
        Ok(Self {
            store,
            views,
            secrets,
            commands,
            key,
            telemetry,
            blobs,
        })
    }

    /// Registers a user with a password; returns the new user id.
    pub async fn register_user(
        &self,
        login: Login,
        role: Role,
        locale: Locale,
        password: &NewPassword,
        meta: &Metadata,
    ) -> Result<String, CommandError> {
        let hash = password::hash(password.expose().to_string())
            .await
            .map_err(CommandError::Internal)?;
        let secret = self
            .secrets
            .put("password", hash.as_bytes())
            .await
            .map_err(|e| CommandError::Internal(e.to_string()))?;
        let id = uuid::Uuid::new_v4().to_string();
        self.commands
            .user(
                &id,
                UserCommand::Register {
                    login,
                    role,
                    locale,
                    password: secret,
                },
                meta,
            )
            .await?;
        Ok(id)
    }

    /// On first start (no users at all) creates `admin`, with the password
    /// from settings or a generated one printed once on stdout.
    pub async fn bootstrap_admin(&self, settings: &Settings) -> anyhow::Result<()> {
        self.commands.settle().await;
        let users = self.views.read(ispmon_projections::users::count).await?;
        if users > 0 {
            return Ok(());
        }
        let (password, generated) = match settings.admin_password.as_deref() {
            Some(p) if !p.is_empty() => (p.to_string(), false),
            _ => (password::generate(), true),
        };
        let pw = NewPassword::parse(&password)
            .map_err(|e| anyhow::anyhow!("ISPMON_ADMIN_PASSWORD: {e}"))?;
        let meta = Metadata::system(Source::Cli, "system");
        self.register_user(
            Login::parse("admin").expect("valid login"),
            Role::Admin,
            Locale::En,
            &pw,
            &meta,
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating admin: {e}"))?;
        if generated {
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "ispmon: created user 'admin' with password: {password}\nispmon: it is shown only this once; change it on the account page."
            )?;
            out.flush()?;
        } else {
            tracing::info!("created user 'admin' with the password from ISPMON_ADMIN_PASSWORD");
        }
        Ok(())
    }
}
