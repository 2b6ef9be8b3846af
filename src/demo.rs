//! `ispmon demo`: a seeded data set so every view has something to show.

use ispmon_events::values::{Locale, Login, NewPassword, Role};
use ispmon_events::{Metadata, Source};

use crate::core::Core;

/// The password of the seeded demo users (not of `admin`).
pub const DEMO_PASSWORD: &str = "demo-password";

/// Seeds one user per role (once; skipped when they exist).
pub async fn seed(core: &Core) -> anyhow::Result<()> {
    let meta = Metadata::system(Source::Cli, "demo");
    let pw = NewPassword::parse(DEMO_PASSWORD).map_err(anyhow::Error::msg)?;
    let people = [
        ("olga", Role::Noc, Locale::Ru),
        ("ivan", Role::Technician, Locale::Ru),
        ("pavel", Role::Installer, Locale::Ru),
        ("alice", Role::Auditor, Locale::En),
        ("boris", Role::Admin, Locale::En),
    ];
    let mut created = 0;
    for (login, role, locale) in people {
        let name = login.to_string();
        let exists = core
            .views
            .read(move |c| ispmon_projections::users::by_login(c, &name))
            .await?
            .is_some();
        if !exists {
            let login = Login::parse(login).map_err(anyhow::Error::msg)?;
            core.register_user(login, role, locale, &pw, &meta)
                .await
                .map_err(|e| anyhow::anyhow!("seeding: {e}"))?;
            created += 1;
        }
    }
    seed_hosts(core, &meta).await?;
    if created > 0 {
        println!(
            "ispmon demo: users olga (noc), ivan (technician), pavel (installer), alice (auditor), boris (admin) \
             have the password '{DEMO_PASSWORD}'"
        );
    }
    Ok(())
}

/// Folders and a few hundred hosts on loopback addresses (127.10.x.y), with
/// parents, so the ICMP board is alive out of the box. Only on an empty board.
async fn seed_hosts(core: &Core, meta: &Metadata) -> anyhow::Result<()> {
    use ispmon_events::folder::FolderCommand;
    use ispmon_events::host::{HostCommand, HostDetails};
    let existing = core.views.read(ispmon_projections::hosts::counts).await?.0;
    if existing > 0 {
        return Ok(());
    }
    let err = |e: crate::commands::CommandError| anyhow::anyhow!("seeding hosts: {e}");
    let mut n = 0;
    for (f, folder) in ["Core", "Access", "Wireless"].iter().enumerate() {
        let folder_id = uuid::Uuid::new_v4().to_string();
        core.commands
            .folder(
                &folder_id,
                FolderCommand::Create {
                    name: folder.to_string(),
                },
                meta,
            )
            .await
            .map_err(err)?;
        let router = uuid::Uuid::new_v4().to_string();
        let details = HostDetails {
            name: format!("{}-gw", folder.to_lowercase()),
            folder: Some(folder_id.clone()),
            tags: vec!["gateway".into()],
            ..Default::default()
        };
        let ip = format!("127.10.{}.1", f + 1);
        core.commands
            .host(&router, HostCommand::Add { ip, details }, meta)
            .await
            .map_err(err)?;
        for i in 2..=100u32 {
            let details = HostDetails {
                name: format!("{}-{i:03}", folder.to_lowercase()),
                folder: Some(folder_id.clone()),
                parent: Some(router.clone()),
                ..Default::default()
            };
            let ip = format!("127.10.{}.{i}", f + 1);
            core.commands
                .host(
                    &uuid::Uuid::new_v4().to_string(),
                    HostCommand::Add { ip, details },
                    meta,
                )
                .await
                .map_err(err)?;
            n += 1;
        }
    }
    println!(
        "ispmon demo: seeded 3 folders and {} hosts on 127.10.0.0/16",
        n + 3
    );
    Ok(())
}

/// How many emulated devices the demo starts.
const DEMO_DEVICES: usize = 14;

/// The device form for an emulated device: its address, transport,
/// dialect and credentials (callers add roles, tags, schedule).
pub fn device_form(dev: &ispmon_sim::SimDevice, name: &str) -> crate::devices::DeviceForm {
    let spec = &dev.spec;
    crate::devices::DeviceForm {
        profile: ispmon_events::device::ProfileInput {
            name: name.into(),
            address: dev.addr.ip().to_string(),
            port: dev.addr.port().to_string(),
            transport: match spec.transport {
                ispmon_sim::Transport::Ssh => "ssh".into(),
                ispmon_sim::Transport::Telnet => "telnet".into(),
            },
            dialect: spec.kind.slug().into(),
            login: spec.login.clone(),
            legacy_ssh: spec.legacy_ssh,
            ..Default::default()
        },
        password: spec.password.clone(),
        enable_password: spec.enable_password.clone().unwrap_or_default(),
        ..Default::default()
    }
}

fn demo_name(spec: &ispmon_sim::DeviceSpec, i: usize) -> String {
    format!("demo-{}-{}", spec.kind.slug(), i + 1)
}

/// Starts a small fleet of emulated devices (every dialect, SSH and telnet,
/// on loopback ports) and registers them as devices; on a later start the
/// registered ones are pointed at the new ports.
pub async fn seed_devices(core: &Core) -> anyhow::Result<ispmon_sim::Fleet> {
    use ispmon_events::device::DeviceCommand;
    let fleet = ispmon_sim::Fleet::mixed(DEMO_DEVICES).await?;
    let meta = Metadata::system(Source::Cli, "demo");
    let mut added = 0;
    for (i, dev) in fleet.devices.iter().enumerate() {
        let spec = &dev.spec;
        let role = match spec.kind {
            ispmon_sim::Kind::HuaweiSmartax => "olt",
            ispmon_sim::Kind::Mikrotik => "nas",
            _ => "switch",
        };
        let mut form = device_form(dev, &demo_name(spec, i));
        form.profile.roles = vec![role.into()];
        form.profile.tags = "demo".into();
        form.profile.mask_secrets = i % 3 == 0;
        let name = form.profile.name.clone();
        let existing = core
            .views
            .read(move |c| ispmon_projections::devices::by_name(c, &name))
            .await?;
        match existing {
            None => {
                crate::devices::register(core, &form, &meta)
                    .await?
                    .map_err(|e| anyhow::anyhow!("seeding devices: {e:?}"))?;
                added += 1;
            }
            Some(d) if d.port != dev.addr.port() => {
                let profile = crate::devices::parse_profile(core, Some(&d.device_id), &form)
                    .await?
                    .map_err(|e| anyhow::anyhow!("seeding devices: {e:?}"))?;
                core.commands
                    .device(&d.device_id, DeviceCommand::Edit { profile }, &meta)
                    .await?;
                // A fresh fleet has fresh SSH host keys.
                if let Some(fp) = dev.host_key_fingerprint() {
                    if d.host_key.as_deref().is_some_and(|k| k != fp) {
                        core.commands
                            .device(
                                &d.device_id,
                                DeviceCommand::AcceptHostKey { fingerprint: fp },
                                &meta,
                            )
                            .await?;
                    }
                }
            }
            Some(_) => {}
        }
    }
    println!(
        "ispmon demo: {} emulated devices on 127.0.0.1:{}-{} ({added} newly registered)",
        fleet.devices.len(),
        fleet.devices.first().map(|d| d.addr.port()).unwrap_or(0),
        fleet.devices.last().map(|d| d.addr.port()).unwrap_or(0),
    );
    Ok(fleet)
}

/// Pulls every demo device once, then changes two configs on the devices and
/// pulls those again, so Config Storage has versions and diffs to show.
pub fn pull_devices(state: &crate::state::AppState, fleet: &ispmon_sim::Fleet) {
    use ispmon_scheduler::config_pull::job::JOB_NAME;
    use ispmon_scheduler::Scope;
    let scheduler = state.scheduler.clone();
    let states: Vec<_> = fleet
        .devices
        .iter()
        .take(2)
        .map(|d| (std::sync::Arc::clone(&d.state), d.spec.kind))
        .collect();
    // Started once at start-up (not from a handler); each pull is the
    // scheduler's run, recorded on the jobs page.
    tokio::spawn(async move {
        let pull = |what: &'static str| {
            let scheduler = scheduler.clone();
            async move {
                match scheduler.run(JOB_NAME, Scope::All, None).await {
                    Ok(Ok(summary)) => println!("ispmon demo: {what} config pull: {summary}"),
                    Ok(Err(reason)) => println!("ispmon demo: {what} config pull failed: {reason}"),
                    Err(e) => println!("ispmon demo: {what} config pull not run: {e}"),
                }
            }
        };
        pull("first").await;
        for (s, kind) in &states {
            let mut st = s.lock().expect("device state");
            let line = match kind {
                ispmon_sim::Kind::Mikrotik => {
                    "/ip firewall address-list add list=demo address=127.0.0.0/8"
                }
                ispmon_sim::Kind::HuaweiSmartax | ispmon_sim::Kind::HuaweiVrp => "vlan 1000",
                _ => "vlan 1000",
            };
            st.config.push_str(line);
            st.config.push('\n');
        }
        pull("second").await;
    });
}
