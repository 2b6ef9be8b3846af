//! The Mac aggregate: where a MAC address sits at the edge of the network —
//! the access port it is plugged into (not the uplinks it is also seen
//! through). Keyed by the MAC in lower-case colon form.
//!
//! Only real changes at the edge are events, so the log answers "where was
//! MAC M on date D" exactly while a steady network writes nothing: the FDB
//! collector (`scheduler/src/fdb/`) decides the edge from every switch's
//! table and issues `Locate` / `Leave` only when it differs from what the
//! read model holds; locating a MAC where it already is, or a stale leave,
//! changes nothing ([`MacError::is_unchanged`]). Sightings (every switch,
//! port and VLAN, first and last seen) are telemetry, not events.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

/// An access port a MAC sits behind, with what readers need to show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgePort {
    pub device_id: String,
    /// The device's name when the MAC was located (names change; the id
    /// does not).
    pub device: String,
    /// The port as the device names it.
    pub port: String,
    pub vlan: u16,
}

impl EdgePort {
    /// The same device and port (the name and VLAN may differ).
    pub fn same_port(&self, other: &EdgePort) -> bool {
        self.device_id == other.device_id && self.port == other.port
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum MacCommand {
    /// The MAC's edge port is `at` (a first sighting or a move).
    Locate { at: EdgePort },
    /// The MAC is no longer behind this port (missing from it in enough
    /// successful collections in a row), and seen at no other edge port.
    Leave { device_id: String, port: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MacEvent {
    /// Found at `to`; `from` is where it was before, if anywhere.
    MacLocated {
        to: EdgePort,
        from: Option<EdgePort>,
    },
    /// Gone from its edge port.
    MacLeft { from: EdgePort },
}

impl DomainEvent for MacEvent {
    fn event_type(&self) -> String {
        match self {
            MacEvent::MacLocated { .. } => "MacLocated",
            MacEvent::MacLeft { .. } => "MacLeft",
        }
        .to_string()
    }
    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MacError {
    #[error("the MAC is already at this port")]
    AlreadyThere,
    #[error("the MAC is not at this port")]
    NotThere,
}

impl crate::DomainError for MacError {
    fn is_unchanged(&self) -> bool {
        true
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Mac {
    /// Where it is now; `None` before the first sighting and after it left.
    pub edge: Option<EdgePort>,
}

impl Mac {
    pub fn decide(&self, command: MacCommand) -> Result<Vec<MacEvent>, MacError> {
        match command {
            MacCommand::Locate { at } => {
                // The device's name is shown, not compared: a renamed
                // switch does not move its MACs.
                if self
                    .edge
                    .as_ref()
                    .is_some_and(|e| e.same_port(&at) && e.vlan == at.vlan)
                {
                    return Err(MacError::AlreadyThere);
                }
                Ok(vec![MacEvent::MacLocated {
                    to: at,
                    from: self.edge.clone(),
                }])
            }
            MacCommand::Leave { device_id, port } => match &self.edge {
                Some(e) if e.device_id == device_id && e.port == port => {
                    Ok(vec![MacEvent::MacLeft { from: e.clone() }])
                }
                _ => Err(MacError::NotThere),
            },
        }
    }
}

impl Aggregate for Mac {
    const TYPE: &'static str = "Mac";
    type Command = MacCommand;
    type Event = MacEvent;
    type Error = MacError;
    type Services = ();

    async fn handle(
        &mut self,
        command: MacCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), MacError> {
        crate::write_decided(sink, self, self.decide(command)?).await;
        Ok(())
    }

    fn apply(&mut self, event: MacEvent) {
        match event {
            MacEvent::MacLocated { to, .. } => self.edge = Some(to),
            MacEvent::MacLeft { .. } => self.edge = None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DomainError;
    use cqrs_es::test::TestFramework;

    fn port(device: &str, port: &str) -> EdgePort {
        EdgePort {
            device_id: format!("id-{device}"),
            device: device.into(),
            port: port.into(),
            vlan: 100,
        }
    }

    #[test]
    fn a_mac_is_located_moves_with_where_it_came_from_and_leaves() {
        let first = MacEvent::MacLocated {
            to: port("sw1", "5"),
            from: None,
        };
        TestFramework::<Mac>::with(())
            .given_no_previous_events()
            .when(MacCommand::Locate {
                at: port("sw1", "5"),
            })
            .then_expect_events(vec![first.clone()]);
        TestFramework::<Mac>::with(())
            .given(vec![first.clone()])
            .when(MacCommand::Locate {
                at: port("sw2", "Gi0/7"),
            })
            .then_expect_events(vec![MacEvent::MacLocated {
                to: port("sw2", "Gi0/7"),
                from: Some(port("sw1", "5")),
            }]);
        TestFramework::<Mac>::with(())
            .given(vec![first.clone()])
            .when(MacCommand::Leave {
                device_id: "id-sw1".into(),
                port: "5".into(),
            })
            .then_expect_events(vec![MacEvent::MacLeft {
                from: port("sw1", "5"),
            }]);
    }

    #[test]
    fn the_same_place_again_or_a_stale_leave_changes_nothing() {
        let first = MacEvent::MacLocated {
            to: port("sw1", "5"),
            from: None,
        };
        TestFramework::<Mac>::with(())
            .given(vec![first.clone()])
            .when(MacCommand::Locate {
                at: port("sw1", "5"),
            })
            .then_expect_error(MacError::AlreadyThere);
        TestFramework::<Mac>::with(())
            .given(vec![first])
            .when(MacCommand::Leave {
                device_id: "id-sw1".into(),
                port: "6".into(),
            })
            .then_expect_error(MacError::NotThere);
        TestFramework::<Mac>::with(())
            .given_no_previous_events()
            .when(MacCommand::Leave {
                device_id: "id-sw1".into(),
                port: "5".into(),
            })
            .then_expect_error(MacError::NotThere);
        assert!(MacError::AlreadyThere.is_unchanged() && MacError::NotThere.is_unchanged());
    }

    #[test]
    fn a_renamed_switch_does_not_move_its_macs() {
        let mut renamed = port("sw1", "5");
        renamed.device = "sw1-new-name".into();
        TestFramework::<Mac>::with(())
            .given(vec![MacEvent::MacLocated {
                to: port("sw1", "5"),
                from: None,
            }])
            .when(MacCommand::Locate { at: renamed })
            .then_expect_error(MacError::AlreadyThere);
    }

    #[test]
    fn a_vlan_change_on_the_same_port_is_a_new_location() {
        let mut other_vlan = port("sw1", "5");
        other_vlan.vlan = 200;
        TestFramework::<Mac>::with(())
            .given(vec![MacEvent::MacLocated {
                to: port("sw1", "5"),
                from: None,
            }])
            .when(MacCommand::Locate {
                at: other_vlan.clone(),
            })
            .then_expect_events(vec![MacEvent::MacLocated {
                to: other_vlan,
                from: Some(port("sw1", "5")),
            }]);
    }
}
