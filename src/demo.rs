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
    if created > 0 {
        println!(
            "ispmon demo: users olga (noc), ivan (technician), pavel (installer), alice (auditor), boris (admin) \
             have the password '{DEMO_PASSWORD}'"
        );
    }
    Ok(())
}
