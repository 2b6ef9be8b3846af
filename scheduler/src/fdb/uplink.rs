//! Why a port is an uplink, typed: the rule that made it one and what a
//! reader needs to say so (the trunk's mode, the device seen there, the
//! count and the limit). Kept in `fdb_ports` as a kind and a detail, a
//! stable machine form (`migrations/telemetry/0005_uplink_reasons.sql`);
//! the pages translate it, the API gives the same kind and detail.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

/// The rule that made a port an uplink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UplinkReason {
    /// An admin marked it an uplink.
    Marked,
    /// The device's stored config makes it a trunk (`mode`: `"trunk"`,
    /// `"hybrid"`, … as the dialect names it).
    Trunk { mode: String },
    /// The management MAC of another of our devices is seen on it.
    KnownDevice { name: String },
    /// It carried `count` MACs, more than the `limit` in force.
    Threshold { count: usize, limit: usize },
}

impl UplinkReason {
    /// The kind as kept and as the API gives it.
    pub fn kind(&self) -> &'static str {
        match self {
            UplinkReason::Marked => "marked",
            UplinkReason::Trunk { .. } => "trunk",
            UplinkReason::KnownDevice { .. } => "known_device",
            UplinkReason::Threshold { .. } => "threshold",
        }
    }

    /// The detail as kept: the mode, the device's name, `"<count>/<limit>"`;
    /// none for an admin's mark.
    pub fn detail(&self) -> Option<String> {
        match self {
            UplinkReason::Marked => None,
            UplinkReason::Trunk { mode } => Some(mode.clone()),
            UplinkReason::KnownDevice { name } => Some(name.clone()),
            UplinkReason::Threshold { count, limit } => Some(format!("{count}/{limit}")),
        }
    }

    /// Reads a kept kind and detail.
    pub fn parse(kind: &str, detail: Option<&str>) -> Result<Self, String> {
        let detail = || detail.ok_or_else(|| format!("an uplink of kind {kind} needs a detail"));
        Ok(match kind {
            "marked" => UplinkReason::Marked,
            "trunk" => UplinkReason::Trunk {
                mode: detail()?.to_string(),
            },
            "known_device" => UplinkReason::KnownDevice {
                name: detail()?.to_string(),
            },
            "threshold" => {
                let d = detail()?;
                let parsed = d
                    .split_once('/')
                    .and_then(|(c, l)| Some((c.parse().ok()?, l.parse().ok()?)));
                let Some((count, limit)) = parsed else {
                    return Err(format!("“{d}” is not <count>/<limit>"));
                };
                UplinkReason::Threshold { count, limit }
            }
            other => return Err(format!("unknown uplink kind “{other}”")),
        })
    }

    /// A port's reason from its `uplink_kind` and `uplink_detail` columns
    /// (a NULL kind: an access port).
    pub(crate) fn from_columns(
        kind: Option<String>,
        detail: Option<String>,
    ) -> rusqlite::Result<Option<Self>> {
        kind.map(|k| {
            Self::parse(&k, detail.as_deref()).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
            })
        })
        .transpose()
    }
}

/// `{"reason": kind, "detail": detail}`, as kept.
impl Serialize for UplinkReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("UplinkReason", 2)?;
        out.serialize_field("reason", self.kind())?;
        out.serialize_field("detail", &self.detail())?;
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_is_kept_and_read_back_the_same() {
        let all = [
            UplinkReason::Marked,
            UplinkReason::Trunk {
                mode: "hybrid".into(),
            },
            UplinkReason::KnownDevice {
                name: "agg-2".into(),
            },
            UplinkReason::Threshold {
                count: 12,
                limit: 8,
            },
        ];
        for r in all {
            let back = UplinkReason::parse(r.kind(), r.detail().as_deref()).unwrap();
            assert_eq!(back, r);
        }
        assert_eq!(
            serde_json::to_value(UplinkReason::Trunk {
                mode: "trunk".into()
            })
            .unwrap(),
            serde_json::json!({"reason": "trunk", "detail": "trunk"})
        );
        assert_eq!(
            serde_json::to_value(UplinkReason::Marked).unwrap(),
            serde_json::json!({"reason": "marked", "detail": null})
        );
        assert!(UplinkReason::parse("threshold", Some("12")).is_err());
        assert!(UplinkReason::parse("trunk", None).is_err());
        assert!(UplinkReason::parse("sideways", None).is_err());
    }
}
