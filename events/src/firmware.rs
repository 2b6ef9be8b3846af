//! The Firmware aggregate: an image file kept for the network's gear. The
//! bytes live in the blob store under their sha256; the events carry the hash
//! and what the uploader said about the file.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

/// What is known about an uploaded firmware file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FirmwareInfo {
    pub filename: String,
    pub vendor: String,
    pub model: String,
    pub version: String,
    pub notes: String,
    pub size: u64,
    /// sha256 (hex) of the file, the blob store key.
    pub sha256: String,
}

impl FirmwareInfo {
    /// Checks the describing fields (the size and hash come from the bytes).
    pub fn parse(
        filename: &str,
        vendor: &str,
        model: &str,
        version: &str,
        notes: &str,
    ) -> Result<Self, (&'static str, String)> {
        let filename = filename
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or_default()
            .trim();
        if filename.is_empty() || filename.chars().count() > 200 {
            return Err((
                "file",
                "choose a file (its name is at most 200 characters)".into(),
            ));
        }
        if filename.chars().any(|c| c.is_control() || c == '"') {
            return Err((
                "file",
                "the file name contains characters that are not allowed".into(),
            ));
        }
        let field = |name: &'static str, v: &str, required: bool, max: usize| {
            let v = v.trim();
            if required && v.is_empty() {
                return Err((name, format!("the {name} is required")));
            }
            if v.chars().count() > max {
                return Err((name, format!("the {name} is at most {max} characters")));
            }
            Ok(v.to_string())
        };
        Ok(FirmwareInfo {
            filename: filename.to_string(),
            vendor: field("vendor", vendor, true, 64)?,
            model: field("model", model, true, 64)?,
            version: field("version", version, true, 64)?,
            notes: field("notes", notes, false, 2000)?,
            size: 0,
            sha256: String::new(),
        })
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum FirmwareCommand {
    Upload { info: FirmwareInfo },
    Delete,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FirmwareEvent {
    FirmwareUploaded { info: FirmwareInfo },
    FirmwareDeleted { filename: String, sha256: String },
}

impl DomainEvent for FirmwareEvent {
    fn event_type(&self) -> String {
        match self {
            FirmwareEvent::FirmwareUploaded { .. } => "FirmwareUploaded",
            FirmwareEvent::FirmwareDeleted { .. } => "FirmwareDeleted",
        }
        .to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FirmwareError {
    #[error("this firmware already exists")]
    AlreadyUploaded,
    #[error("no such firmware")]
    NotFound,
    #[error("the file is empty")]
    Empty,
}

impl crate::DomainError for FirmwareError {
    fn field_errors(&self) -> Vec<(&'static str, String)> {
        match self {
            FirmwareError::Empty => vec![("file", self.to_string())],
            _ => vec![(crate::FORM, self.to_string())],
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Firmware {
    pub info: Option<FirmwareInfo>,
    pub deleted: bool,
}

impl Firmware {
    pub fn decide(&self, command: FirmwareCommand) -> Result<Vec<FirmwareEvent>, FirmwareError> {
        match command {
            FirmwareCommand::Upload { info } => {
                if self.info.is_some() {
                    return Err(FirmwareError::AlreadyUploaded);
                }
                if info.size == 0 || info.sha256.is_empty() {
                    return Err(FirmwareError::Empty);
                }
                Ok(vec![FirmwareEvent::FirmwareUploaded { info }])
            }
            FirmwareCommand::Delete => match &self.info {
                Some(info) if !self.deleted => Ok(vec![FirmwareEvent::FirmwareDeleted {
                    filename: info.filename.clone(),
                    sha256: info.sha256.clone(),
                }]),
                _ => Err(FirmwareError::NotFound),
            },
        }
    }
}

impl Aggregate for Firmware {
    const TYPE: &'static str = "Firmware";
    type Command = FirmwareCommand;
    type Event = FirmwareEvent;
    type Error = FirmwareError;
    type Services = ();

    async fn handle(
        &mut self,
        command: FirmwareCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), FirmwareError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: FirmwareEvent) {
        match event {
            FirmwareEvent::FirmwareUploaded { info } => self.info = Some(info),
            FirmwareEvent::FirmwareDeleted { .. } => self.deleted = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    fn info() -> FirmwareInfo {
        FirmwareInfo {
            size: 3,
            sha256: "abc".into(),
            ..FirmwareInfo::parse("C:\\fw\\image.bin", "Huawei", "MA5608T", "V800R018", "").unwrap()
        }
    }

    #[test]
    fn firmware_is_uploaded_once_and_deleted_once() {
        assert_eq!(info().filename, "image.bin");
        assert_eq!(
            FirmwareInfo::parse("", "a", "b", "c", "").unwrap_err(),
            (
                "file",
                "choose a file (its name is at most 200 characters)".to_string()
            )
        );
        assert_eq!(
            FirmwareInfo::parse("a\"b.bin", "a", "b", "c", "").unwrap_err(),
            (
                "file",
                "the file name contains characters that are not allowed".to_string()
            )
        );
        assert_eq!(
            FirmwareInfo::parse("f", "", "b", "c", "").unwrap_err(),
            ("vendor", "the vendor is required".to_string())
        );
        TestFramework::<Firmware>::with(())
            .given_no_previous_events()
            .when(FirmwareCommand::Upload {
                info: FirmwareInfo { size: 0, ..info() },
            })
            .then_expect_error(FirmwareError::Empty);
        TestFramework::<Firmware>::with(())
            .given(vec![FirmwareEvent::FirmwareUploaded { info: info() }])
            .when(FirmwareCommand::Delete)
            .then_expect_events(vec![FirmwareEvent::FirmwareDeleted {
                filename: "image.bin".into(),
                sha256: "abc".into(),
            }]);
        TestFramework::<Firmware>::with(())
            .given(vec![
                FirmwareEvent::FirmwareUploaded { info: info() },
                FirmwareEvent::FirmwareDeleted {
                    filename: "image.bin".into(),
                    sha256: "abc".into(),
                },
            ])
            .when(FirmwareCommand::Delete)
            .then_expect_error(FirmwareError::NotFound);
    }
}
