//! A population on a running fleet: churn applied to the [`Population`]
//! and written into every affected device's [`SharedState`], so the next
//! CLI session on any switch or NAS sees the change.

use std::io;
use std::sync::Arc;

use super::{ChurnError, Population, Role};
use crate::fleet::{Fleet, SimDevice};
use crate::gpon::{GponOlt, OntMac};
use crate::shell::SharedState;

/// The population and the live states of its devices (parallel to
/// [`Population::devices`]).
pub struct LivePopulation {
    population: Population,
    states: Vec<SharedState>,
}

impl LivePopulation {
    /// Starts every device of `population` (in [`Population::device_specs`]
    /// order) and returns the fleet with its live handle.
    pub async fn start(population: Population) -> io::Result<(Fleet, LivePopulation)> {
        let specs = population
            .device_specs()
            .into_iter()
            .map(|d| d.spec)
            .collect();
        let fleet = Fleet::start(specs).await?;
        let live = LivePopulation::attach(population, &fleet.devices).map_err(io::Error::other)?;
        Ok((fleet, live))
    }

    /// Ties a population to the devices started from its
    /// [`Population::device_specs`] (same order, same hostnames).
    pub fn attach(population: Population, devices: &[SimDevice]) -> Result<Self, ChurnError> {
        if devices.len() != population.devices.len() {
            return Err(ChurnError::FleetMismatch(format!(
                "{} devices for a population of {}",
                devices.len(),
                population.devices.len()
            )));
        }
        for (d, p) in devices.iter().zip(&population.devices) {
            if d.spec.state.hostname != p.name {
                return Err(ChurnError::FleetMismatch(format!(
                    "{} where {} was expected",
                    d.spec.state.hostname, p.name
                )));
            }
        }
        Ok(LivePopulation {
            population,
            states: devices.iter().map(|d| Arc::clone(&d.state)).collect(),
        })
    }

    pub fn population(&self) -> &Population {
        &self.population
    }

    /// The live state of the device named `name`.
    pub fn state(&self, name: &str) -> Option<&SharedState> {
        let i = self
            .population
            .devices
            .iter()
            .position(|d| d.name == name)?;
        self.states.get(i)
    }

    /// [`Population::move_subscriber`], then every table rewritten.
    pub fn move_subscriber(
        &mut self,
        login: &str,
        to_access: usize,
        to_port: u16,
    ) -> Result<(), ChurnError> {
        self.population.move_subscriber(login, to_access, to_port)?;
        self.publish();
        Ok(())
    }

    /// [`Population::drop_session`] on the NAS.
    pub fn drop_session(&mut self, login: &str) -> Result<(), ChurnError> {
        self.population.drop_session(login)?;
        self.publish();
        Ok(())
    }

    /// [`Population::start_session`] on the NAS.
    pub fn start_session(&mut self, login: &str) -> Result<(), ChurnError> {
        self.population.start_session(login)?;
        self.publish();
        Ok(())
    }

    /// [`Population::age_out`] from every table.
    pub fn age_out(&mut self, mac: &str) -> Result<(), ChurnError> {
        self.population.age_out(mac)?;
        self.publish();
        Ok(())
    }

    /// Writes the MAC tables and sessions that differ from the devices' states.
    fn publish(&self) {
        let pop = &self.population;
        let tables = pop.mac_tables();
        for (i, (state, table)) in self.states.iter().zip(tables).enumerate() {
            let mut st = match state.lock() {
                Ok(s) => s,
                Err(p) => p.into_inner(),
            };
            if pop.devices[i].role == Role::Olt {
                // The live GPON model is the OLT's truth (registrations made
                // over its CLI stay): only the subscribers' MACs follow.
                let k = i - pop.olt_device_index(0);
                if let Some(g) = st.gpon.as_mut() {
                    sync_macs(pop, k, g);
                    st.mac_table = g.mac_rows();
                }
                continue;
            }
            if st.mac_table != table {
                st.mac_table = table;
            }
            if pop.devices[i].role == Role::Nas {
                let sessions = pop.ppp_sessions(i - pop.nas_device_index(0));
                if st.ppp_sessions != sessions {
                    st.ppp_sessions = sessions;
                }
            }
        }
    }
}

/// The MACs behind OLT `k`'s ONTs as the population has them now (a
/// subscriber's CPE MAC is learned while its ONT is up and it is in the FDB).
fn sync_macs(pop: &Population, k: usize, g: &mut GponOlt) {
    for s in &pop.subscribers {
        let Some(o) = s.ont.as_ref().filter(|o| o.olt == k) else {
            continue;
        };
        let Some(ont) = g
            .onts
            .iter_mut()
            .find(|n| n.fsp == o.fsp && n.ont_id == o.ont_id && n.sn == o.sn)
        else {
            continue;
        };
        let learned = s.in_fdb && !pop.aged_out.contains(&s.mac);
        ont.macs.retain(|m| m.mac != s.mac);
        if learned {
            ont.macs.push(OntMac {
                mac: s.mac.clone(),
                vlan: o.vlan,
            });
        }
    }
}
