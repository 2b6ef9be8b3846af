//! Network devices at the edge: validating device forms (dialect, cron,
//! credentials), sealing passwords into the secrets store, reading stored
//! config texts from the blob store (cached: they never change), searching
//! the latest configs, and pulling configs over the devices' CLIs.

pub mod diff;
pub mod pull;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ispmon_events::device::{DeviceCommand, DeviceProfile, ProfileInput, SshKeyRef};
use ispmon_events::Metadata;
use ispmon_projections::devices::{self as device_views, DeviceRow};
use ispmon_scheduler::cli::{normalise_mac, Dialect};

use crate::commands::CommandError;
use crate::core::Core;
use crate::pages::components::FormErrors;

/// Checks a dialect slug.
pub fn dialect_ok(slug: &str) -> Result<(), String> {
    Dialect::parse(slug).map(|_| ()).ok_or_else(|| {
        let known: Vec<&str> = Dialect::ALL.iter().map(|d| d.as_str()).collect();
        format!("unknown dialect “{slug}” (known: {})", known.join(", "))
    })
}

/// Checks a cron expression (5 fields, or 6 with seconds; UTC).
pub fn cron_ok(expr: &str) -> Result<(), String> {
    parse_cron(expr).map(|_| ())
}

pub use ispmon_scheduler::config_pull::job::parse_cron;

/// The next time a cron expression fires after now (UTC), as RFC 3339.
pub fn next_run(expr: &str) -> Option<String> {
    let cron = parse_cron(expr).ok()?;
    cron.find_next_occurrence(&chrono::Utc::now(), false)
        .ok()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// A device form: the profile and the passwords (blank password on edit =
/// keep the stored one).
#[derive(Clone, Default)]
pub struct DeviceForm {
    pub profile: ProfileInput,
    pub password: String,
    pub enable_password: String,
    /// Edit only: remove the stored enable password.
    pub clear_enable: bool,
    /// An SSH private key (OpenSSH or PEM); blank on edit = keep.
    pub ssh_key: String,
    /// Edit only: remove the stored SSH key.
    pub clear_ssh_key: bool,
}

impl std::fmt::Debug for DeviceForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceForm")
            .field("profile", &self.profile)
            .field("password", &"********")
            .field("enable_password", &"********")
            .field("clear_enable", &self.clear_enable)
            .field("ssh_key", &(!self.ssh_key.is_empty()).then_some("********"))
            .finish()
    }
}

fn map_field(errors: &mut FormErrors, (field, msg): (&'static str, String)) {
    errors.add(field, msg);
}

/// Reads a profile's fields, the MAC in any notation the CLI parsers read.
pub fn parse_input(input: &ProfileInput) -> Result<DeviceProfile, (&'static str, String)> {
    DeviceProfile::parse(input, dialect_ok, cron_ok, normalise_mac)
}

/// Validates the profile part of a form, with the name and management MAC
/// uniqueness and the ICMP host link checked against the read models.
pub async fn parse_profile(
    core: &Core,
    id: Option<&str>,
    form: &DeviceForm,
) -> Result<Result<DeviceProfile, FormErrors>, CommandError> {
    let mut errors = FormErrors::default();
    let profile = parse_input(&form.profile)
        .map_err(|e| map_field(&mut errors, e))
        .ok();
    if let Some(p) = &profile {
        let (name, host, mac) = (p.name.clone(), p.host.clone(), p.mgmt_mac.clone());
        let (taken, host_ok, mac_of) = core
            .views
            .read(move |c| {
                let taken = device_views::by_name(c, &name)?;
                let host_ok = match &host {
                    Some(h) => ispmon_projections::hosts::get(c, h)?.is_some(),
                    None => true,
                };
                let mac_of = match &mac {
                    Some(m) => device_views::by_mac(c, m)?,
                    None => None,
                };
                Ok((taken, host_ok, mac_of))
            })
            .await
            .map_err(|e| CommandError::Internal(e.to_string()))?;
        if taken.is_some_and(|t| Some(t.device_id.as_str()) != id) {
            errors.add("name", "a device with this name exists");
        }
        if let Some(other) = mac_of.filter(|d| Some(d.device_id.as_str()) != id) {
            errors.add(
                "mgmt_mac",
                format!("{} already has this MAC address", other.name),
            );
        }
        if !host_ok {
            errors.add("host", "no such ICMP host");
        }
    }
    Ok(match profile {
        Some(p) if errors.is_empty() => Ok(p),
        _ => Err(errors),
    })
}

/// Checks an SSH key field: blank, or a key that can be read; returns its
/// public fingerprint.
fn check_key(errors: &mut FormErrors, text: &str) -> Option<String> {
    if text.trim().is_empty() {
        return None;
    }
    match ispmon_scheduler::cli::ssh::check_private_key(text) {
        Ok(fp) => Some(fp),
        Err(m) => {
            errors.add("ssh_key", m);
            None
        }
    }
}

async fn seal_key(core: &Core, text: &str, fingerprint: String) -> Result<SshKeyRef, CommandError> {
    let sealed = core
        .secrets
        .put("device-ssh-key", text.trim().as_bytes())
        .await
        .map_err(|e| CommandError::Internal(e.to_string()))?;
    Ok(SshKeyRef {
        key_ref: sealed.0,
        fingerprint,
    })
}

fn check_password(errors: &mut FormErrors, field: &'static str, pw: &str, required: bool) {
    if required && pw.is_empty() {
        errors.add(field, "a password is required");
    } else if pw.chars().count() > 128 || pw.contains(['\r', '\n']) {
        errors.add(field, "a password is at most 128 characters, on one line");
    }
}

/// Registers a device; returns its id, or the form's errors.
pub async fn register(
    core: &Core,
    form: &DeviceForm,
    meta: &Metadata,
) -> Result<Result<String, FormErrors>, CommandError> {
    let mut errors = match parse_profile(core, None, form).await? {
        Ok(profile) => {
            let mut errors = FormErrors::default();
            let key = check_key(&mut errors, &form.ssh_key);
            let by_key = !form.ssh_key.trim().is_empty();
            check_password(&mut errors, "password", &form.password, !by_key);
            check_password(&mut errors, "enable_password", &form.enable_password, false);
            if errors.is_empty() {
                let password_ref = match form.password.as_str() {
                    "" => String::new(),
                    pw => seal(core, pw).await?,
                };
                let ssh_key = match key {
                    Some(fp) => Some(seal_key(core, &form.ssh_key, fp).await?),
                    None => None,
                };
                let enable_ref = match form.enable_password.as_str() {
                    "" => None,
                    pw => Some(seal(core, pw).await?),
                };
                let id = uuid::Uuid::new_v4().to_string();
                let cmd = DeviceCommand::Register {
                    profile,
                    password_ref,
                    enable_ref,
                    ssh_key,
                };
                return match core.commands.device(&id, cmd, meta).await {
                    Ok(_) => Ok(Ok(id)),
                    Err(CommandError::Taken(_)) => {
                        let mut e = FormErrors::default();
                        e.add("name", "a device with this name exists");
                        Ok(Err(e))
                    }
                    Err(e) => Err(e),
                };
            }
            errors
        }
        Err(errors) => errors,
    };
    check_key(&mut errors, &form.ssh_key);
    check_password(
        &mut errors,
        "password",
        &form.password,
        form.ssh_key.trim().is_empty(),
    );
    Ok(Err(errors))
}

/// Applies an edit form: the profile (if changed) and any new passwords.
/// Returns whether anything changed.
pub async fn edit(
    core: &Core,
    id: &str,
    current: &DeviceRow,
    form: &DeviceForm,
    meta: &Metadata,
) -> Result<Result<bool, FormErrors>, CommandError> {
    let profile = match parse_profile(core, Some(id), form).await? {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    let mut errors = FormErrors::default();
    check_password(&mut errors, "password", &form.password, false);
    check_password(&mut errors, "enable_password", &form.enable_password, false);
    let key = check_key(&mut errors, &form.ssh_key);
    if form.clear_ssh_key
        && current.key_ref.is_some()
        && current.password_ref.is_empty()
        && form.password.is_empty()
    {
        errors.add(
            "ssh_key",
            "this device has no password: it needs its key (or set a password)",
        );
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let mut changed = false;
    match core
        .commands
        .device(id, DeviceCommand::Edit { profile }, meta)
        .await
    {
        Ok(_) => changed = true,
        Err(e) if e.is_unchanged() => {}
        Err(CommandError::Taken(_)) => {
            errors.add("name", "a device with this name exists");
            return Ok(Err(errors));
        }
        Err(e) => return Err(e),
    }
    if !form.password.is_empty() {
        let password_ref = seal(core, &form.password).await?;
        core.commands
            .device(id, DeviceCommand::RotatePassword { password_ref }, meta)
            .await?;
        changed = true;
    }
    if !form.enable_password.is_empty() {
        let enable_ref = Some(seal(core, &form.enable_password).await?);
        core.commands
            .device(id, DeviceCommand::RotateEnablePassword { enable_ref }, meta)
            .await?;
        changed = true;
    }
    if let Some(fp) = key {
        let ssh_key = Some(seal_key(core, &form.ssh_key, fp).await?);
        core.commands
            .device(id, DeviceCommand::SetSshKey { ssh_key }, meta)
            .await?;
        changed = true;
    } else if form.clear_ssh_key && current.key_ref.is_some() {
        core.commands
            .device(id, DeviceCommand::SetSshKey { ssh_key: None }, meta)
            .await?;
        changed = true;
    }
    if form.enable_password.is_empty() && form.clear_enable && current.has_enable {
        core.commands
            .device(
                id,
                DeviceCommand::RotateEnablePassword { enable_ref: None },
                meta,
            )
            .await?;
        changed = true;
    }
    Ok(Ok(changed))
}

async fn seal(core: &Core, password: &str) -> Result<String, CommandError> {
    core.secrets
        .put("device-password", password.as_bytes())
        .await
        .map(|r| r.0)
        .map_err(|e| CommandError::Internal(e.to_string()))
}

/// Stored config texts by hash. Texts never change, so the cache only needs
/// a bound.
#[derive(Clone, Default)]
pub struct ConfigCache {
    inner: Arc<Mutex<HashMap<String, Arc<str>>>>,
}

const CACHE_ENTRIES: usize = 2048;

impl ConfigCache {
    /// The text stored under `hash`.
    pub async fn text(&self, core: &Core, hash: &str) -> anyhow::Result<Option<Arc<str>>> {
        if let Some(t) = self.inner.lock().expect("cache lock").get(hash) {
            return Ok(Some(Arc::clone(t)));
        }
        let blobs = core.blobs.clone();
        let h = hash.to_string();
        let bytes = tokio::task::spawn_blocking(move || blobs.get(&h)).await??;
        let Some(bytes) = bytes else { return Ok(None) };
        let text: Arc<str> = String::from_utf8_lossy(&bytes).into();
        let mut map = self.inner.lock().expect("cache lock");
        if map.len() >= CACHE_ENTRIES {
            map.clear();
        }
        map.insert(hash.to_string(), Arc::clone(&text));
        Ok(Some(text))
    }
}

/// A device whose latest config matches a search, with the matching lines.
pub struct SearchHit {
    pub device: DeviceRow,
    /// (line number, line)
    pub lines: Vec<(usize, String)>,
    pub more: usize,
}

/// Case-insensitive substring search over the latest config of every live
/// device. At most `per_device` lines are returned per device.
pub async fn search(
    core: &Core,
    cache: &ConfigCache,
    needle: &str,
    per_device: usize,
) -> anyhow::Result<Vec<SearchHit>> {
    let needle = needle.trim().to_lowercase();
    if needle.is_empty() {
        return Ok(Vec::new());
    }
    let devices = core.views.read(device_views::all_live).await?;
    let mut hits = Vec::new();
    for d in devices {
        let Some(hash) = d.last_hash.clone() else {
            continue;
        };
        let Some(text) = cache.text(core, &hash).await? else {
            continue;
        };
        let matching: Vec<(usize, String)> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.to_lowercase().contains(&needle))
            .map(|(i, l)| (i + 1, l.to_string()))
            .collect();
        if !matching.is_empty() {
            let more = matching.len().saturating_sub(per_device);
            hits.push(SearchHit {
                device: d,
                lines: matching.into_iter().take(per_device).collect(),
                more,
            });
        }
    }
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crons_and_dialects_are_checked_with_clear_messages() {
        assert_eq!(cron_ok("0 3 * * *"), Ok(()));
        assert_eq!(cron_ok("*/15 * * * *"), Ok(()));
        assert_eq!(cron_ok("0 0 3 * * *"), Ok(()), "with seconds");
        assert_eq!(
            cron_ok("nightly"),
            Err("“nightly” is not a cron expression: it needs 5 fields (minute hour day month weekday)".to_string())
        );
        let e = cron_ok("61 * * * *").unwrap_err();
        assert!(
            e.starts_with("“61 * * * *” is not a valid cron expression: "),
            "{e}"
        );
        let next = next_run("0 3 * * *").unwrap();
        let next = chrono::DateTime::parse_from_rfc3339(&next).unwrap();
        let ahead = next.signed_duration_since(chrono::Utc::now());
        assert!(
            ahead > chrono::Duration::zero() && ahead <= chrono::Duration::hours(24),
            "the next 03:00 is within a day: {next}"
        );
        assert_eq!(next.format("%H:%M:%S").to_string(), "03:00:00");
        assert_eq!(dialect_ok("cisco-ios"), Ok(()));
        assert_eq!(
            dialect_ok("junos"),
            Err(
                "unknown dialect “junos” (known: huawei-smartax, huawei-vrp, cisco-ios, \
                 dlink-des, zyxel, qtech, mikrotik, zte-c300)"
                    .to_string()
            )
        );
    }
}
