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
    spec_form(&dev.spec, dev.addr, name)
}

/// The device form for an emulated device described by `spec` listening
/// on `addr` (for emulators started in another process).
pub fn spec_form(
    spec: &ispmon_sim::DeviceSpec,
    addr: std::net::SocketAddr,
    name: &str,
) -> crate::devices::DeviceForm {
    crate::devices::DeviceForm {
        profile: ispmon_events::device::ProfileInput {
            name: name.into(),
            address: addr.ip().to_string(),
            port: addr.port().to_string(),
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

/// The demo's emulated world: a small mixed fleet (every dialect, OLTs
/// included) and the Search Port population (core, aggregation and access
/// switches with subscribers behind their ports, a NAS), both on loopback.
pub struct DemoWorld {
    pub fleet: ispmon_sim::Fleet,
    pub population_fleet: ispmon_sim::Fleet,
    pub population: ispmon_sim::LivePopulation,
    /// The billing cabinet of the same population.
    pub billing: ispmon_sim::billing::BillingServer,
}

/// The population the demo and the tests share (seed 7, demo size).
/// The demo's network: switches, NAS, billing and two OLTs (Huawei and
/// ZTE, a few hundred ONTs, some waiting in autofind) on one population.
pub fn demo_population() -> ispmon_sim::Population {
    ispmon_sim::Population::generate(7, ispmon_sim::PopulationSize::demo_gpon())
}

/// Local registration profiles that fit the demo OLTs: Huawei's line and
/// service profile 10, ZTE's ONU type F660 (its second type).
async fn seed_gpon_profiles(core: &Core) -> anyhow::Result<()> {
    use ispmon_events::gpon::{GponProfile, GponProfileCommand, ProfileValues};
    let meta = Metadata::system(Source::Cli, "demo");
    for (id, values) in [
        (
            "demo-ftth-huawei",
            ProfileValues {
                name: "FTTH bridge (Huawei)".into(),
                vlan: 100,
                gemport: 1,
                line_profile_id: 10,
                service_profile_id: 10,
                bridge: true,
                onu_type: String::new(),
            },
        ),
        (
            "demo-ftth-zte",
            ProfileValues {
                name: "FTTH bridge (ZTE F660)".into(),
                vlan: 100,
                gemport: 1,
                line_profile_id: 2,
                service_profile_id: 2,
                bridge: true,
                onu_type: "ZTE-F660".into(),
            },
        ),
    ] {
        match core
            .commands
            .execute::<GponProfile>(id, GponProfileCommand::Save(values), &meta)
            .await
        {
            Ok(_) => {}
            Err(e) if e.is_unchanged() => {}
            Err(e) => return Err(anyhow::anyhow!("seeding the GPON profile {id}: {e}")),
        }
    }
    Ok(())
}

/// Registers `dev` under `name` with `role`, `tags` and its management MAC
/// (lower-case colon form), or points the device already registered under
/// that name at it (a new start has new ports and new SSH host keys).
/// Returns whether it was newly registered.
async fn seed_one(
    core: &Core,
    dev: &ispmon_sim::SimDevice,
    name: &str,
    role: &str,
    tags: &str,
    mask_secrets: bool,
    mgmt_mac: Option<&str>,
) -> anyhow::Result<bool> {
    use ispmon_events::device::DeviceCommand;
    let meta = Metadata::system(Source::Cli, "demo");
    let mut form = device_form(dev, name);
    form.profile.roles = vec![role.into()];
    form.profile.tags = tags.into();
    form.profile.mask_secrets = mask_secrets;
    form.profile.mgmt_mac = mgmt_mac.map(str::to_string);
    let lookup = name.to_string();
    let existing = core
        .views
        .read(move |c| ispmon_projections::devices::by_name(c, &lookup))
        .await?;
    match existing {
        None => {
            crate::devices::register(core, &form, &meta)
                .await?
                .map_err(|e| anyhow::anyhow!("seeding devices: {e:?}"))?;
            return Ok(true);
        }
        Some(d) if d.port != dev.addr.port() || d.mgmt_mac.as_deref() != mgmt_mac => {
            let profile = crate::devices::parse_profile(core, Some(&d.device_id), &form)
                .await?
                .map_err(|e| anyhow::anyhow!("seeding devices: {e:?}"))?;
            core.commands
                .device(&d.device_id, DeviceCommand::Edit { profile }, &meta)
                .await?;
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
    Ok(false)
}

/// Registers a population's devices: switches with the `switch` role and a
/// tag for their place (`core`, `aggregation`, `access`), NAS with `nas`,
/// each with its management MAC (so a port that shows a neighbour's MAC
/// is known to lead to it).
pub async fn seed_population(
    core: &Core,
    population: &ispmon_sim::Population,
    fleet: &ispmon_sim::Fleet,
) -> anyhow::Result<usize> {
    use ispmon_sim::population::Role;
    let mut added = 0;
    for (pd, dev) in population.device_specs().iter().zip(&fleet.devices) {
        let (role, tag) = match pd.role {
            Role::Core => ("switch", "core"),
            Role::Aggregation => ("switch", "aggregation"),
            Role::Access => ("switch", "access"),
            Role::Nas => ("nas", "nas"),
            Role::Olt => ("olt", "olt"),
        };
        let mac = Some(pd.mgmt_mac.as_str());
        added += usize::from(seed_one(core, dev, &pd.name, role, tag, false, mac).await?);
    }
    Ok(added)
}

/// Starts the demo's emulated world and registers its devices; on a later
/// start the registered ones are pointed at the new ports.
pub async fn seed_devices(core: &Core) -> anyhow::Result<DemoWorld> {
    let fleet = ispmon_sim::Fleet::mixed(DEMO_DEVICES).await?;
    let mut added = 0;
    for (i, dev) in fleet.devices.iter().enumerate() {
        let spec = &dev.spec;
        let role = match spec.kind {
            ispmon_sim::Kind::HuaweiSmartax | ispmon_sim::Kind::ZteC300 => "olt",
            ispmon_sim::Kind::Mikrotik => "nas",
            _ => "switch",
        };
        let name = demo_name(spec, i);
        added += usize::from(seed_one(core, dev, &name, role, "demo", i % 3 == 0, None).await?);
    }
    println!(
        "ispmon demo: {} emulated devices on 127.0.0.1:{}-{} ({added} newly registered)",
        fleet.devices.len(),
        fleet.devices.first().map(|d| d.addr.port()).unwrap_or(0),
        fleet.devices.last().map(|d| d.addr.port()).unwrap_or(0),
    );
    let (population_fleet, population) =
        ispmon_sim::LivePopulation::start(demo_population()).await?;
    let added = seed_population(core, population.population(), &population_fleet).await?;
    let subscribers = &population.population().subscribers;
    println!(
        "ispmon demo: Search Port network of {} switches and NAS, {} subscribers ({added} newly registered); try Search Port with the login {}",
        population_fleet.devices.len(),
        subscribers.len(),
        subscribers
            .iter()
            .find(|s| s.in_fdb && s.online)
            .map(|s| s.login.as_str())
            .unwrap_or("a login"),
    );
    seed_gpon_profiles(core).await?;
    let pop = population.population();
    println!(
        "ispmon demo: GPON on {} OLTs with {} ONTs and {} waiting in autofind; open GPON to register one",
        pop.olts().len(),
        (0..pop.olts().len()).map(|k| pop.gpon(k).onts().len()).sum::<usize>(),
        (0..pop.olts().len()).map(|k| pop.gpon(k).autofind_on(None).len()).sum::<usize>(),
    );
    let billing = start_billing(core, population.population()).await?;
    seed_tickets(core, population.population(), &billing).await?;
    seed_requests(core, population.population(), &billing).await?;
    seed_helpdesk(&billing);
    Ok(DemoWorld {
        fleet,
        population_fleet,
        population,
        billing,
    })
}

/// The emulated billing's own helpdesk: five tickets from subscribers,
/// one answered there by its operator, one closed there; the app imports
/// them right after start (see `Application::build`) and sends our replies
/// and closes back.
fn seed_helpdesk(billing: &ispmon_sim::billing::BillingServer) {
    let ids = billing.seed_helpdesk(5);
    if let [answered, closed, ..] = ids[..] {
        billing.add_helpdesk_message(
            answered,
            ispmon_sim::billing::STAFF_SENDER,
            "Проверили линию, перезагрузите роутер и напишите, помогло ли.",
            true,
        );
        billing.set_helpdesk_status(closed, ispmon_sim::billing::HelpdeskStatus::Closed);
    }
    println!(
        "ispmon demo: the billing helpdesk holds {} tickets; Tickets imports them (category \"billing\")",
        ids.len()
    );
}

/// Repair tickets in every state, some near or past their SLA, on the
/// population's subscribers (linked by their billing ids); only on the
/// first start (fixed ids: a later start finds them open).
async fn seed_tickets(
    core: &Core,
    population: &ispmon_sim::Population,
    billing: &ispmon_sim::billing::BillingServer,
) -> anyhow::Result<()> {
    use chrono::{Duration, Utc};
    use ispmon_events::ticket::*;
    let meta = Metadata::system(Source::Cli, "demo");
    let now = Utc::now();
    // (problem, priority, category, opened minutes ago, moves, assignee)
    type Case<'a> = (
        &'a str,
        Priority,
        &'a str,
        i64,
        &'a [TicketStatus],
        Option<&'a str>,
    );
    let cases: [Case; 8] = [
        (
            "Нет интернета с утра, роутер горит красным",
            Priority::High,
            "no-internet",
            30,
            &[],
            None,
        ),
        (
            "Низкая скорость вечером, по тарифу 100 Мбит/с, по факту 5",
            Priority::Normal,
            "slow",
            26 * 60,
            &[TicketStatus::InProgress],
            Some("ivan"),
        ),
        (
            "Пропадает связь каждые 10 минут",
            Priority::Urgent,
            "no-internet",
            6 * 60,
            &[TicketStatus::InProgress],
            Some("ivan"),
        ),
        (
            "Обрыв кабеля в подъезде после ремонта",
            Priority::High,
            "wiring",
            3 * 24 * 60,
            &[TicketStatus::InProgress, TicketStatus::WaitingParts],
            Some("pavel"),
        ),
        (
            "Абонент просит перезвонить после 18:00",
            Priority::Low,
            "other",
            50 * 60,
            &[TicketStatus::WaitingSubscriber],
            Some("olga"),
        ),
        (
            "Не работает IPTV на второй приставке",
            Priority::Normal,
            "no-tv",
            4 * 24 * 60,
            &[TicketStatus::InProgress, TicketStatus::Resolved],
            Some("ivan"),
        ),
        (
            "Замена ONT после грозы",
            Priority::High,
            "equipment",
            7 * 24 * 60,
            &[
                TicketStatus::InProgress,
                TicketStatus::Resolved,
                TicketStatus::Closed,
            ],
            Some("pavel"),
        ),
        (
            "Мигает LOS на ONT",
            Priority::Urgent,
            "no-internet",
            10,
            &[],
            None,
        ),
    ];
    let mut opened = 0;
    for (i, (problem, priority, category, minutes_ago, moves, who)) in cases.iter().enumerate() {
        let Some(sub) = population.subscribers.get(i * 7) else {
            break;
        };
        let card = billing.cabinet().subscriber(&sub.login);
        let id = format!("demo-ticket-{}", i + 1);
        let mut at = now - Duration::minutes(*minutes_ago);
        let details = TicketDetails {
            subscriber_id: card.as_ref().map(|c| c.id.to_string()),
            login: Some(sub.login.clone()),
            address: card.as_ref().map(|c| c.address.clone()).unwrap_or_default(),
            phone: card.as_ref().and_then(|c| {
                c.phones
                    .iter()
                    .find_map(|p| ispmon_events::phone::normalise_phone(p))
            }),
            problem: problem.to_string(),
            category: category.to_string(),
            priority: *priority,
            links: TicketLinks::default(),
        };
        let open = TicketCommand::Open {
            details,
            source: TicketSource::Staff,
            at,
        };
        match core.commands.execute::<Ticket>(&id, open, &meta).await {
            Ok(_) => opened += 1,
            Err(crate::commands::CommandError::Rejected(r))
                if r.get::<TicketError>() == Some(&TicketError::AlreadyOpened) =>
            {
                continue
            }
            Err(e) => return Err(anyhow::anyhow!("seeding ticket {id}: {e}")),
        }
        if let Some(who) = who {
            at += Duration::minutes(5);
            let assign = TicketCommand::Assign {
                assignee: Some(who.to_string()),
                at,
            };
            core.commands
                .execute::<Ticket>(&id, assign, &meta)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        for to in moves.iter() {
            at +=
                Duration::minutes(minutes_ago / (moves.len() as i64 + 2)).max(Duration::minutes(1));
            let c = TicketCommand::ChangeStatus {
                to: *to,
                note: None,
                at: at.min(now),
            };
            core.commands
                .execute::<Ticket>(&id, c, &meta)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    if opened > 0 {
        println!("ispmon demo: {opened} repair tickets in every state; open Tickets");
    }
    Ok(())
}

/// Starts the billing cabinet of `population` and points the billing
/// settings at it (the sync at start-up reads it).
async fn start_billing(
    core: &Core,
    population: &ispmon_sim::Population,
) -> anyhow::Result<ispmon_sim::billing::BillingServer> {
    use ispmon_events::billing_settings::{BillingSettingsCommand, BillingSettingsValues};
    let config = ispmon_sim::billing::BillingConfig::for_population(population);
    let (login, password) = (config.staff_login.clone(), config.staff_password.clone());
    let server = ispmon_sim::billing::start(population, config).await?;
    let current = core
        .views
        .read(ispmon_projections::billing_settings::values)
        .await?;
    let password_ref = match &current.password_ref {
        Some(r) if core.secrets.get(r).await?.as_deref() == Some(password.as_bytes()) => r.clone(),
        _ => {
            core.secrets
                .put("billing-password", password.as_bytes())
                .await?
        }
    };
    let values = BillingSettingsValues {
        url: server.url(""),
        login,
        password_ref: Some(password_ref),
        ..current
    };
    let meta = Metadata::system(Source::Cli, "demo");
    match core
        .commands
        .billing_settings(BillingSettingsCommand::Change(values), &meta)
        .await
    {
        Ok(_) => {}
        Err(e) if e.is_unchanged() => {}
        Err(e) => anyhow::bail!("demo billing settings: {e}"),
    }
    println!(
        "ispmon demo: billing cabinet with {} subscribers on {}",
        server.subscribers().len(),
        server.url("/cabinet/login")
    );
    Ok(server)
}

/// Pulls every demo device once and reads every switch's MAC table, then
/// changes two configs on the devices and pulls those again, so Config
/// Storage has versions and diffs to show.
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
        // Every switch's MAC table, once its config (and so its trunks) is
        // stored, so a technician finds a subscriber's port at once.
        match scheduler
            .run(ispmon_scheduler::fdb::job::JOB_NAME, Scope::All, None)
            .await
        {
            Ok(Ok(summary)) => println!("ispmon demo: MAC tables: {summary}"),
            Ok(Err(reason)) => println!("ispmon demo: MAC table collection failed: {reason}"),
            Err(e) => println!("ispmon demo: MAC table collection not run: {e}"),
        }
        match scheduler
            .run(ispmon_scheduler::nas::job::JOB_NAME, Scope::All, None)
            .await
        {
            Ok(Ok(summary)) => println!("ispmon demo: NAS sessions: {summary}"),
            Ok(Err(reason)) => println!("ispmon demo: NAS poll failed: {reason}"),
            Err(e) => println!("ispmon demo: NAS poll not run: {e}"),
        }
        for (job, what) in [
            (ispmon_scheduler::gpon::job::POLL_JOB, "GPON poll"),
            (ispmon_scheduler::gpon::job::AUTOFIND_JOB, "GPON autofind"),
        ] {
            match scheduler.run(job, Scope::All, None).await {
                Ok(Ok(summary)) => println!("ispmon demo: {what}: {summary}"),
                Ok(Err(reason)) => println!("ispmon demo: {what} failed: {reason}"),
                Err(e) => println!("ispmon demo: {what} not run: {e}"),
            }
        }
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

/// A request board: folders, a checklist template, a cap of visits a day,
/// and requests in every status with labels of the old palette, installers
/// and today's visits; two done ones offer the GPON registration of an ONT
/// waiting in autofind. Only on the first start (the board's folders).
async fn seed_requests(
    core: &Core,
    population: &ispmon_sim::Population,
    billing: &ispmon_sim::billing::BillingServer,
) -> anyhow::Result<()> {
    use chrono::{Duration, NaiveTime, Utc};
    use ispmon_events::request::*;
    use ispmon_events::request_board::*;
    let meta = Metadata::system(Source::Cli, "demo");
    let at = Utc::now();
    let fail = |e: crate::commands::CommandError| anyhow::anyhow!("seeding the request board: {e}");
    let exists = core
        .views
        .read(|c| ispmon_projections::requests::folder_exists(c, "f-new"))
        .await?;
    if exists {
        return Ok(());
    }
    let folders = [
        ("f-new", "Новые"),
        ("f-private", "Частный сектор"),
        ("f-flats", "Многоэтажки"),
    ];
    let board = folders
        .iter()
        .map(|(id, name)| RequestBoardCommand::CreateFolder {
            id: id.to_string(),
            name: name.to_string(),
            at,
        })
        .chain([
            RequestBoardCommand::SetChecklistTemplate {
                name: "GPON".into(),
                items: vec![
                    "Протянуть кабель".into(),
                    "Установить и подключить ONT".into(),
                    "Настроить роутер".into(),
                    "Проверить скорость".into(),
                ],
                at,
            },
            RequestBoardCommand::SetDefaultCap { cap: Some(4), at },
        ]);
    for c in board {
        core.commands
            .execute::<RequestBoard>(BOARD_ID, c, &meta)
            .await
            .map_err(fail)?;
    }
    let today = crate::requests::today();
    let hm = |h: u32| NaiveTime::from_hms_opt(h, 0, 0).expect("an hour");
    let autofind: Vec<String> = (0..population.olts().len())
        .flat_map(|k| {
            population
                .gpon(k)
                .autofind_on(None)
                .into_iter()
                .map(|a| a.sn.clone())
                .collect::<Vec<_>>()
        })
        .collect();
    // (folder, status, label, colour, installer, visit hour)
    type Case<'a> = (
        &'a str,
        RequestStatus,
        &'a str,
        Colour,
        Option<&'a str>,
        Option<u32>,
    );
    let cases: [Case; 10] = [
        (
            "f-new",
            RequestStatus::Open,
            "для всех",
            Colour::Black,
            None,
            None,
        ),
        (
            "f-new",
            RequestStatus::AwaitingReply,
            "для Ольги",
            Colour::DarkViolet,
            None,
            None,
        ),
        (
            "f-new",
            RequestStatus::Open,
            "срочно",
            Colour::Red,
            None,
            None,
        ),
        (
            "f-private",
            RequestStatus::Scheduled,
            "для Павла",
            Colour::DodgerBlue,
            Some("pavel"),
            Some(9),
        ),
        (
            "f-private",
            RequestStatus::Scheduled,
            "для Павла",
            Colour::DodgerBlue,
            Some("pavel"),
            Some(12),
        ),
        (
            "f-private",
            RequestStatus::InProgress,
            "для Ивана",
            Colour::Green,
            Some("ivan"),
            Some(10),
        ),
        (
            "f-flats",
            RequestStatus::Scheduled,
            "для Павла",
            Colour::DodgerBlue,
            Some("pavel"),
            Some(15),
        ),
        (
            "f-flats",
            RequestStatus::Done,
            "для Ивана",
            Colour::Green,
            Some("ivan"),
            Some(8),
        ),
        (
            "f-flats",
            RequestStatus::Done,
            "для Павла",
            Colour::DodgerBlue,
            Some("pavel"),
            Some(8),
        ),
        (
            "f-flats",
            RequestStatus::Closed,
            "дубль",
            Colour::DarkSlateGray,
            None,
            None,
        ),
    ];
    let mut ranks: std::collections::HashMap<&str, String> = Default::default();
    let mut done = 0;
    for (i, (folder, status, label, colour, installer, hour)) in cases.iter().enumerate() {
        let Some(sub) = population.subscribers.get(i * 11 + 3) else {
            break;
        };
        let card = billing.cabinet().subscriber(&sub.login);
        let id = format!("demo-request-{}", i + 1);
        let rank = ispmon_events::rank::between(ranks.get(folder).map(String::as_str), None);
        ranks.insert(folder, rank.clone());
        let sn = (*status == RequestStatus::Done)
            .then(|| autofind.get(done).cloned())
            .flatten();
        if sn.is_some() {
            done += 1;
        }
        let details = RequestDetails {
            name: format!("Подключение: {}", sub.login),
            address: card.as_ref().map(|c| c.address.clone()).unwrap_or_default(),
            subscriber_id: card.as_ref().map(|c| c.id.to_string()),
            login: Some(sub.login.clone()),
            phone: card.as_ref().and_then(|c| {
                c.phones
                    .iter()
                    .find_map(|p| ispmon_events::phone::normalise_phone(p))
            }),
            area: Some(
                if *folder == "f-private" {
                    "Заречье"
                } else {
                    "Центр"
                }
                .to_string(),
            ),
            gpon: GponHints {
                sn,
                ..GponHints::default()
            },
        };
        let opened = at - Duration::hours(30 - 3 * i as i64);
        let mut commands = vec![RequestCommand::Open {
            details,
            folder: Some(folder.to_string()),
            rank,
            first_message: Some((
                "olga".into(),
                "Звонил, хочет GPON 300 Мбит/с, удобно после обеда".into(),
            )),
            at: opened,
        }];
        if *colour != Colour::Black {
            commands.push(RequestCommand::Label {
                text: label.to_string(),
                colour: *colour,
                at: opened,
            });
        }
        if let Some(who) = installer {
            commands.push(RequestCommand::AssignInstaller {
                installer: Some(who.to_string()),
                at: opened,
            });
            commands.push(RequestCommand::SetChecklist {
                items: vec![
                    "Протянуть кабель".into(),
                    "Установить и подключить ONT".into(),
                    "Настроить роутер".into(),
                    "Проверить скорость".into(),
                ],
                at: opened,
            });
        }
        if let Some(h) = hour {
            commands.push(RequestCommand::Schedule {
                visit: Some(Visit {
                    date: today,
                    from: hm(*h),
                    to: hm(h + 2),
                }),
                at: opened,
            });
        }
        if *status != RequestStatus::Open {
            commands.push(RequestCommand::ChangeStatus {
                to: *status,
                note: None,
                at: opened,
            });
        }
        for c in commands {
            // A visit schedules the request by itself: its status may be so already.
            match core.commands.execute::<Request>(&id, c, &meta).await {
                Err(e) if !e.is_unchanged() => return Err(fail(e)),
                _ => {}
            }
        }
    }
    println!(
        "ispmon demo: a request board of {} requests in 3 folders; pavel (installer) has visits today under My visits",
        cases.len()
    );
    Ok(())
}
