//! The command line: `serve`, `demo`, `user add`, `token create`, `replay`,
//! `verify`, `export-events`, `backup`.

use std::io::{BufRead, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand, ValueEnum};
use ispmon_events::user::UserCommand;
use ispmon_events::values::{Locale, Login, NewPassword, Role};
use ispmon_events::{Durability, Metadata, Source};
use tokio_util::sync::CancellationToken;

use crate::app::Application;
use crate::config::{default_data_dir, Settings};
use crate::core::Core;

#[derive(Parser, Debug)]
#[command(name = "ispmon", version, about = "The operations console of an ISP")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web console.
    Serve(ServeArgs),
    /// Serve with a seeded demo data set (default data dir: ./ispmon-demo).
    Demo(ServeArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCmd),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Rebuild every read model from the event log (stop the server first).
    Replay(DataArgs),
    /// Check the hash chain and that every read model equals a fresh replay.
    Verify(DataArgs),
    /// Print the event log as JSON lines on stdout.
    ExportEvents {
        #[command(flatten)]
        data: DataArgs,
        /// Only events with a global sequence greater than this.
        #[arg(long, default_value_t = 0)]
        since: u64,
    },
    /// Copy the event log into FILE with SQLite's online backup, and the stored
    /// configs and firmware into FILE.blobs (safe while serving).
    Backup {
        #[command(flatten)]
        data: DataArgs,
        file: PathBuf,
    },
    /// Probe addresses once with ICMP echo and print fping-style results.
    Sweep(crate::sweep_command::SweepArgs),
    /// Subscribers from billing.
    #[command(subcommand)]
    Billing(BillingCmd),
}

#[derive(Subcommand, Debug)]
pub enum BillingCmd {
    /// Sync subscribers from FILE (CSV with a header, or JSON lines) with
    /// the same rules as the cabinet sync: the file is the whole billing,
    /// so subscribers of a folder listed whole and missing from it are
    /// marked "left billing"; a folder with a bad row marks nobody left.
    /// Bad rows are reported by line number.
    Import {
        file: PathBuf,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Add a user; the password is read from the first line of stdin.
    Add {
        login: String,
        #[arg(long)]
        role: String,
        #[arg(long, default_value = "en")]
        locale: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Create a personal API token for LOGIN and print it (shown once).
    Create {
        login: String,
        #[arg(long, default_value = "cli")]
        name: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DurabilityArg {
    /// synchronous=FULL: acknowledged commands survive power loss.
    Full,
    /// synchronous=NORMAL: survive a crash of the process; faster.
    Normal,
}

#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// Data directory (events.db, views.db, secret.key).
    #[arg(long, env = "ISPMON_DATA")]
    pub data: Option<PathBuf>,
    #[arg(long, env = "ISPMON_DURABILITY", value_enum, default_value = "full")]
    pub durability: DurabilityArg,
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Address to listen on.
    #[arg(long, env = "ISPMON_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The reverse proxy whose X-Forwarded-For is trusted.
    #[arg(long, env = "ISPMON_TRUSTED_PROXY")]
    pub trusted_proxy: Option<IpAddr>,
    /// Mark cookies Secure (behind TLS).
    #[arg(long, env = "ISPMON_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Session lifetime in hours.
    #[arg(long, env = "ISPMON_SESSION_HOURS", default_value_t = 12, value_parser = clap::value_parser!(i64).range(1..=720))]
    pub session_hours: i64,
    /// Largest firmware upload accepted, in MiB.
    #[arg(long, env = "ISPMON_FIRMWARE_MAX_MB", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub firmware_max_mb: u64,
    /// Default config-pull schedule (cron expression, UTC).
    #[arg(long, env = "ISPMON_CONFIG_PULL_CRON", default_value = "0 3 * * *")]
    pub config_pull_cron: String,
    /// How many device CLI sessions may be open at once.
    #[arg(long, env = "ISPMON_CLI_SESSIONS", default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub cli_sessions: u64,
    /// Seconds a device may stay silent while running a command (connect
    /// and login get a third of it, at least 2 s).
    #[arg(long, env = "ISPMON_CLI_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub cli_timeout: u64,
}

impl DataArgs {
    fn settings(&self, fallback: PathBuf) -> Settings {
        let mut s = Settings::new(self.data.clone().unwrap_or(fallback));
        s.durability = match self.durability {
            DurabilityArg::Full => Durability::Full,
            DurabilityArg::Normal => Durability::Normal,
        };
        s.secret_key = std::env::var("ISPMON_SECRET_KEY").ok();
        s.admin_password = std::env::var("ISPMON_ADMIN_PASSWORD").ok();
        s
    }
}

impl ServeArgs {
    fn settings(&self, fallback: PathBuf, demo: bool) -> Settings {
        let mut s = self.data.settings(fallback);
        s.listen = self.listen;
        s.trusted_proxy = self.trusted_proxy;
        s.secure_cookies = self.secure_cookies;
        s.session_hours = self.session_hours;
        s.demo = demo;
        s.firmware_max_bytes = self.firmware_max_mb * 1024 * 1024;
        s.config_pull_cron = self.config_pull_cron.clone();
        s.cli_sessions = self.cli_sessions as usize;
        let third = std::time::Duration::from_secs((self.cli_timeout / 3).max(2));
        s.cli_timeouts = ispmon_scheduler::cli::session::Timeouts {
            connect: third,
            login: third,
            command: std::time::Duration::from_secs(self.cli_timeout),
        };
        s
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Serve(a) => serve(a.settings(default_data_dir(), false)).await,
        Command::Demo(a) => serve(a.settings(PathBuf::from("ispmon-demo"), true)).await,
        Command::User(UserCmd::Add {
            login,
            role,
            locale,
            data,
        }) => user_add(data.settings(default_data_dir()), &login, &role, &locale).await,
        Command::Token(TokenCmd::Create { login, name, data }) => {
            token_create(data.settings(default_data_dir()), &login, &name).await
        }
        Command::Replay(d) => {
            let s = d.settings(default_data_dir());
            require_log(&s)?;
            let _lock = s.lock_data_dir()?;
            let n = tokio::task::spawn_blocking(move || {
                ispmon_projections::rebuild::rebuild(&s.events_path(), &s.views_path())
            })
            .await??;
            eprintln!("replayed {n} events into every read model");
            Ok(0)
        }
        Command::Verify(d) => verify(d.settings(default_data_dir())).await,
        Command::ExportEvents { data, since } => {
            export(data.settings(default_data_dir()), since).await
        }
        Command::Backup { data, file } => backup(data.settings(default_data_dir()), file).await,
        Command::Sweep(a) => crate::sweep_command::run(a).await,
        Command::Billing(BillingCmd::Import { file, data }) => {
            billing_import(data.settings(default_data_dir()), &file).await
        }
    }
}

fn require_log(s: &Settings) -> anyhow::Result<()> {
    if !s.events_path().exists() {
        bail!(
            "no event log at {} (set --data or ISPMON_DATA)",
            s.events_path().display()
        );
    }
    Ok(())
}

async fn serve(settings: Settings) -> anyhow::Result<i32> {
    let app = Application::build(settings).await?;
    app.run_until_stopped().await?;
    Ok(0)
}

async fn open_core(s: &Settings) -> anyhow::Result<(Core, CancellationToken)> {
    let cancel = CancellationToken::new();
    let core = Core::start(s, cancel.clone()).await?;
    core.commands.settle().await;
    Ok((core, cancel))
}

async fn user_add(s: Settings, login: &str, role: &str, locale: &str) -> anyhow::Result<i32> {
    let login = Login::parse(login).map_err(|e| anyhow::anyhow!("login: {e}"))?;
    let role = Role::parse(role).map_err(|e| anyhow::anyhow!("--role: {e}"))?;
    let locale = Locale::parse(locale).map_err(|e| anyhow::anyhow!("--locale: {e}"))?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let pw = NewPassword::parse(line.trim_end_matches(['\r', '\n']))
        .map_err(|e| anyhow::anyhow!("password: {e}"))?;
    let (core, cancel) = open_core(&s).await?;
    let meta = Metadata::system(Source::Cli, "cli");
    let result = core
        .register_user(login.clone(), role, locale, &pw, &meta)
        .await;
    cancel.cancel();
    match result {
        Ok(id) => {
            println!("created user {login} ({role}), id {id}");
            Ok(0)
        }
        Err(e) => bail!("cannot create {login}: {e}"),
    }
}

async fn billing_import(s: Settings, file: &std::path::Path) -> anyhow::Result<i32> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        // Exports from Russian billings are often windows-1251.
        Err(e) => encoding_rs::WINDOWS_1251
            .decode(e.as_bytes())
            .0
            .into_owned(),
    };
    let source = ispmon_scheduler::billing::FileSource::parse(&text);
    let bad = source.bad_rows.clone();
    let (core, cancel) = open_core(&s).await?;
    let (syncer, world) = crate::billing::syncer(&core);
    world.use_source(std::sync::Arc::new(source));
    let meta = Metadata::system(Source::Cli, "billing-import");
    let result = syncer.run(&meta).await;
    cancel.cancel();
    for b in &bad {
        eprintln!("{}:{}: {}", file.display(), b.line, b.error);
    }
    match result {
        Ok(r) => {
            println!("{}", r.summary());
            Ok(if bad.is_empty() { 0 } else { 1 })
        }
        Err(e) => bail!("import of {} failed: {e}", file.display()),
    }
}

async fn token_create(s: Settings, login: &str, name: &str) -> anyhow::Result<i32> {
    require_log(&s)?;
    let (core, cancel) = open_core(&s).await?;
    let l = login.to_lowercase();
    let user = core
        .views
        .read(move |c| ispmon_projections::users::by_login(c, &l))
        .await?
        .with_context(|| format!("no user '{login}'"))?;
    let (token_id, full, hash) = crate::auth::tokens::new_api_token();
    let sealed = core.secrets.put("api-token", hash.as_bytes()).await?;
    let meta = Metadata::system(Source::Cli, "cli");
    let r = core
        .commands
        .user(
            &user.user_id,
            UserCommand::CreateApiToken {
                token_id,
                name: name.to_string(),
                hash: sealed,
            },
            &meta,
        )
        .await;
    cancel.cancel();
    r.map_err(|e| anyhow::anyhow!("cannot create a token: {e}"))?;
    println!("{full}");
    Ok(0)
}

async fn verify(s: Settings) -> anyhow::Result<i32> {
    require_log(&s)?;
    let events = s.events_path();
    let views = s.views_path();
    let blobs = s.data_dir.join("blobs");
    let outcome = tokio::task::spawn_blocking(move || -> anyhow::Result<Result<String, String>> {
        let conn = ispmon_events::sqlite::open_ro(&events)?;
        let n = match ispmon_events::store::verify_chain(&conn) {
            Ok(n) => n,
            Err(e) => return Ok(Err(e.to_string())),
        };
        if !views.exists() {
            return Ok(Err(format!("no read models at {}", views.display())));
        }
        let p = match ispmon_projections::rebuild::verify(&events, &views)? {
            Ok(p) => p,
            Err(m) => {
                return Ok(Err(format!(
                    "projection {} differs from a fresh replay (table {}, checkpoint {})",
                    m.projection, m.table, m.checkpoint
                )))
            }
        };
        let files = match verify_blobs(&views, &blobs)? {
            Ok(files) => files,
            Err(e) => return Ok(Err(e)),
        };
        Ok(Ok(format!(
            "hash chain holds over {n} events; {p} projections equal a fresh replay; \
             {files} stored configs and firmware files are whole"
        )))
    })
    .await??;
    match outcome {
        Ok(msg) => {
            println!("ok: {msg}");
            Ok(0)
        }
        Err(msg) => {
            eprintln!("verify failed: {msg}");
            Ok(1)
        }
    }
}

/// Every file the read models reference (config versions, firmware) is in
/// the blob store and matches its sha256. Returns how many were read, or
/// the first that is missing or corrupt, named by what references it.
fn verify_blobs(
    views: &std::path::Path,
    blobs: &std::path::Path,
) -> anyhow::Result<Result<usize, String>> {
    let conn = ispmon_events::sqlite::open_ro(views)?;
    let store = ispmon_events::blobs::BlobStore::open(blobs)?;
    let mut seen = std::collections::HashSet::new();
    for (hash, what) in ispmon_projections::devices::stored_files(&conn)? {
        if !seen.insert(hash.clone()) {
            continue;
        }
        // Read through, never held whole: firmware files can be large.
        let read = store.reader(&hash).and_then(|r| {
            r.map(|mut r| std::io::copy(&mut r, &mut std::io::sink()))
                .transpose()
        });
        match read {
            Ok(Some(_)) => {}
            Ok(None) => {
                let dir = blobs.display();
                return Ok(Err(format!("{what}: file {hash} is missing from {dir}")));
            }
            Err(e) => return Ok(Err(format!("{what}: file {hash}: {e}"))),
        }
    }
    Ok(Ok(seen.len()))
}

async fn export(s: Settings, since: u64) -> anyhow::Result<i32> {
    require_log(&s)?;
    let path = s.events_path();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let conn = ispmon_events::sqlite::open_ro(&path)?;
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let mut from = since;
        loop {
            let batch = ispmon_events::store::read::since(&conn, from, 5000)?;
            let Some(last) = batch.last() else { break };
            from = last.seq;
            for e in &batch {
                serde_json::to_writer(&mut out, &e.to_json())?;
                out.write_all(b"\n")?;
            }
        }
        out.flush()?;
        Ok(())
    })
    .await??;
    Ok(0)
}

async fn backup(s: Settings, file: PathBuf) -> anyhow::Result<i32> {
    require_log(&s)?;
    let blobs_dst = blobs_beside(&file);
    for p in [&file, &blobs_dst] {
        if p.exists() {
            bail!("{} exists; choose a new file", p.display());
        }
    }
    let src = s.events_path();
    let (dst, blobs_src) = (file.clone(), s.data_dir.join("blobs"));
    let blobs_to = blobs_dst.clone();
    let (files, bytes) = tokio::task::spawn_blocking(move || -> anyhow::Result<(usize, u64)> {
        let from = ispmon_events::sqlite::open_ro(&src)?;
        let mut to = rusqlite::Connection::open(&dst)?;
        let b = rusqlite::backup::Backup::new(&from, &mut to)?;
        b.run_to_completion(256, std::time::Duration::from_millis(5), None)?;
        // After the log: every blob an event in the copy references was
        // written before that event was committed, so it is there now.
        let blobs = ispmon_events::blobs::BlobStore::open(&blobs_src)?;
        Ok(blobs.copy_into(&blobs_to)?)
    })
    .await??;
    eprintln!(
        "backed up the event log to {} and {files} stored configs and firmware files ({bytes} bytes) to {}; \
         keep secret.key (or ISPMON_SECRET_KEY) with them: secrets cannot be opened without it. \
         Restore: copy the file to DATA/events.db and the directory to DATA/blobs, then `ispmon replay`.",
        file.display(),
        blobs_dst.display()
    );
    Ok(0)
}

/// Where `ispmon backup FILE` puts the blob store: `FILE.blobs`.
pub fn blobs_beside(file: &std::path::Path) -> PathBuf {
    let mut name = file.as_os_str().to_os_string();
    name.push(".blobs");
    PathBuf::from(name)
}
