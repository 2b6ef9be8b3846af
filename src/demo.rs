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
