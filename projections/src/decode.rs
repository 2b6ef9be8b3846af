//! Decoding a stored event into its typed domain event, once per event, so
//! every projection matches on types instead of re-parsing JSON.

use ispmon_events::device::DeviceEvent;
use ispmon_events::firmware::FirmwareEvent;
use ispmon_events::folder::FolderEvent;
use ispmon_events::host::HostEvent;
use ispmon_events::icmp_settings::IcmpSettingsEvent;
use ispmon_events::notify_settings::NotifySettingsEvent;
use ispmon_events::user::UserEvent;
use ispmon_events::StoredEvent;

#[derive(Debug)]
pub enum Decoded {
    User(UserEvent),
    Host(HostEvent),
    Folder(FolderEvent),
    IcmpSettings(IcmpSettingsEvent),
    NotifySettings(NotifySettingsEvent),
    Device(DeviceEvent),
    Firmware(FirmwareEvent),
    /// An aggregate type this build does not project.
    Other,
}

/// A stored event with its decoded payload.
pub struct Envelope<'a> {
    pub stored: &'a StoredEvent,
    pub event: Decoded,
}

impl<'a> Envelope<'a> {
    /// Decodes the payload (upcast to its type's current version).
    pub fn decode(stored: &'a StoredEvent) -> Result<Self, serde_json::Error> {
        let event = match stored.aggregate_type.as_str() {
            "User" => Decoded::User(stored.decode()?),
            "Host" => Decoded::Host(stored.decode()?),
            "Folder" => Decoded::Folder(stored.decode()?),
            "IcmpSettings" => Decoded::IcmpSettings(stored.decode()?),
            "NotifySettings" => Decoded::NotifySettings(stored.decode()?),
            "Device" => Decoded::Device(stored.decode()?),
            "Firmware" => Decoded::Firmware(stored.decode()?),
            _ => Decoded::Other,
        };
        Ok(Self { stored, event })
    }

    pub fn id(&self) -> &str {
        &self.stored.aggregate_id
    }

    pub fn at(&self) -> &str {
        &self.stored.recorded_at
    }
}
