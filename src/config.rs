//! Settings: from the command line and the environment, with defaults.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use ispmon_events::Durability;

#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub durability: Durability,
    /// 64 hex digits; else `DATA/secret.key` (generated on first start).
    pub secret_key: Option<String>,
    /// Password for the bootstrap `admin` user; generated when absent.
    pub admin_password: Option<String>,
    /// The reverse proxy whose `X-Forwarded-For` is trusted.
    pub trusted_proxy: Option<IpAddr>,
    /// Mark cookies `Secure` (when served behind TLS).
    pub secure_cookies: bool,
    pub session_hours: i64,
    /// Seed demo data on start.
    pub demo: bool,
    /// Largest firmware upload accepted, in bytes.
    pub firmware_max_bytes: u64,
    /// Default config-pull schedule (cron, UTC) for devices without their own.
    pub config_pull_cron: String,
    /// How many CLI sessions to devices may be open at once.
    pub cli_sessions: usize,
    /// Device CLI timeouts: connect, login, and silence during a command.
    pub cli_timeouts: ispmon_scheduler::cli::session::Timeouts,
    /// What the GPON poll budget's "commands per minute" counts over: 60 s;
    /// tests shorten it to see the limit bite.
    pub gpon_budget_window: std::time::Duration,
}

impl Settings {
    /// Defaults for a data dir: listen on 127.0.0.1:8080, FULL durability.
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            durability: Durability::Full,
            secret_key: None,
            admin_password: None,
            trusted_proxy: None,
            secure_cookies: false,
            session_hours: 12,
            demo: false,
            firmware_max_bytes: 256 * 1024 * 1024,
            config_pull_cron: "0 3 * * *".into(),
            cli_sessions: 32,
            cli_timeouts: ispmon_scheduler::cli::session::Timeouts::default(),
            gpon_budget_window: std::time::Duration::from_secs(60),
        }
    }

    pub fn events_path(&self) -> PathBuf {
        self.data_dir.join("events.db")
    }
    pub fn views_path(&self) -> PathBuf {
        self.data_dir.join("views.db")
    }

    /// Takes the data dir's lock file, held while a server (or a replay) runs.
    /// Fails when another process holds it.
    pub fn lock_data_dir(&self) -> anyhow::Result<std::fs::File> {
        std::fs::create_dir_all(&self.data_dir)?;
        let path = self.data_dir.join("ispmon.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
                "another ispmon server or replay is using {} (stop it first)",
                self.data_dir.display()
            ),
            Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
        }
    }
}

/// The default data dir: `$XDG_DATA_HOME/ispmon` (or the platform's), else `./data`.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .map(|d| d.join("ispmon"))
        .unwrap_or_else(|| PathBuf::from("data"))
}
