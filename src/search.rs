//! Search Port's query side, shared by the page and the API: what a query
//! is (a MAC in any notation or inside a pasted log line, an IP address, or
//! a name), and for a MAC where it is — the edge port first, then where
//! else it is seen (uplinks, with why), then its moves.
//!
//! Sources plug in by kind: MACs from the FDB collection (the macs read
//! model and the sightings in telemetry), devices by name or address. NAS
//! sessions (logins, IPs) and billing subscribers are the next sources.

use std::collections::HashMap;
use std::net::IpAddr;

use ispmon_projections::devices::DeviceRow;
use ispmon_projections::logins::{self, LoginRow};
use ispmon_projections::macs::{self, MacEdge, MacMove};
use ispmon_projections::subscribers::{self, SubscriberRow};
use ispmon_scheduler::cli::{find_mac_in_text, normalise_mac};
use ispmon_scheduler::fdb::sightings::{self, Sighting};
use ispmon_scheduler::fdb::UplinkReason;
use ispmon_scheduler::nas::sessions::{self, SessionRow};
use rusqlite::Connection;
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Longest query, in characters (a pasted log line fits).
pub const MAX_QUERY: usize = 300;
/// Moves shown per MAC.
const HISTORY: usize = 50;
/// Devices listed for a name query.
const DEVICES: usize = 20;
/// Logins listed for a name query (each with its MAC's place).
const LOGINS: usize = 10;

/// What the query was recognised as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Query {
    /// A MAC, normalised.
    Mac {
        mac: String,
    },
    Ip {
        ip: String,
    },
    /// Anything else: a login, a device name or address.
    Name {
        text: String,
    },
}

/// Hex digits with MAC separators and nothing else, but not 12 of them:
/// someone typed a MAC and got it wrong.
fn looks_like_a_broken_mac(t: &str) -> bool {
    let hex = t.chars().filter(|c| c.is_ascii_hexdigit()).count();
    let seps = t.chars().filter(|c| matches!(c, ':' | '-' | '.')).count();
    seps >= 2
        && hex >= 6
        && t.chars()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '-' | '.'))
        && t.parse::<IpAddr>().is_err()
}

impl Query {
    /// Recognises a query; an empty one, one too long, or a MAC that is
    /// not one is a 400 with the reason.
    pub fn parse(text: &str) -> AppResult<Self> {
        let t = text.trim();
        if t.is_empty() {
            return Err(AppError::BadRequest(
                "type a login, a MAC, an IP address or a device name".into(),
            ));
        }
        if t.chars().count() > MAX_QUERY {
            return Err(AppError::BadRequest(format!(
                "a search is at most {MAX_QUERY} characters"
            )));
        }
        if let Ok(ip) = t.parse::<IpAddr>() {
            return Ok(Query::Ip { ip: ip.to_string() });
        }
        if let Some(mac) = normalise_mac(t).or_else(|| find_mac_in_text(t)) {
            return Ok(Query::Mac { mac });
        }
        if looks_like_a_broken_mac(t) {
            return Err(AppError::BadRequest(format!(
                "“{t}” is not a MAC address: a MAC has 12 hex digits, as aa:bb:cc:dd:ee:ff, \
                 AA-BB-CC-DD-EE-FF, aabb.ccdd.eeff or aabbccddeeff"
            )));
        }
        Ok(Query::Name {
            text: t.to_string(),
        })
    }
}

/// A sighting of the MAC other than its edge, as shown under "also seen".
#[derive(Debug, Clone, Serialize)]
pub struct AlsoSeen {
    pub device_id: String,
    pub device: String,
    pub port: String,
    pub vlan: u16,
    /// Why the port is an uplink (`{"reason", "detail"}` in JSON); `None`:
    /// an access port (a second edge sighting, e.g. the MAC moved and the
    /// old switch still lists it).
    pub uplink: Option<UplinkReason>,
    pub last_seen: String,
}

/// Everything known about one MAC.
#[derive(Debug, Clone, Serialize)]
pub struct MacAnswer {
    pub mac: String,
    /// Where it sits now.
    pub location: Option<MacEdge>,
    /// MACs on the edge port at its switch's last collection (1: only this
    /// one).
    pub port_macs: usize,
    /// The edge switch's management address.
    pub address: Option<String>,
    /// The edge switch's ICMP host, if it is one.
    pub host_id: Option<String>,
    pub also_seen: Vec<AlsoSeen>,
    pub history: Vec<MacMove>,
}

/// One subscriber-side result: the login (from the NAS sessions), its
/// session, and where its MAC is.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// The billing subscriber of the login (or found by name, address,
    /// contract, phone).
    pub subscriber: Option<SubscriberRow>,
    pub login: Option<LoginRow>,
    /// The login's session now, or its last one.
    pub session: Option<SessionRow>,
    pub mac: Option<MacAnswer>,
}

/// A search's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub query: String,
    #[serde(flatten)]
    pub kind: Query,
    pub results: Vec<Hit>,
    /// Devices whose name or address matched.
    pub devices: Vec<DeviceHit>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeviceHit {
    pub device_id: String,
    pub name: String,
    pub address: String,
    pub roles: Vec<String>,
}

fn hit(d: &DeviceRow) -> DeviceHit {
    DeviceHit {
        device_id: d.device_id.clone(),
        name: d.name.clone(),
        address: d.address.clone(),
        roles: d.roles.clone(),
    }
}

fn unix_rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// The two databases a search reads, open on one blocking thread: the
/// read models (`views.db`) and the telemetry (`telemetry.db`: sessions,
/// sightings). A search is one hop to that thread, however many logins it
/// finds, and its reads run beside the collectors' writes.
struct Reads<'a> {
    views: &'a Connection,
    telemetry: &'a Connection,
    devices: &'a [DeviceRow],
}

/// Runs `f` over both databases in one hop to a blocking thread.
async fn with_reads<R, F>(st: &AppState, f: F) -> AppResult<R>
where
    R: Send + 'static,
    F: FnOnce(&Reads<'_>) -> rusqlite::Result<R> + Send + 'static,
{
    let devices = st.live_devices().await?;
    let telemetry = std::sync::Arc::clone(st.core.telemetry.readers());
    let out = st
        .core
        .views
        .read(move |views| {
            telemetry.with(|tc| {
                f(&Reads {
                    views,
                    telemetry: tc,
                    devices: &devices,
                })
            })
        })
        .await?;
    Ok(out)
}

impl Reads<'_> {
    /// A login's hit: its session and its MAC's place.
    fn login_hit(&self, login: LoginRow) -> rusqlite::Result<Hit> {
        let session = sessions::sessions_of_login(self.telemetry, &login.login, 1)?
            .into_iter()
            .next();
        let mac = match &login.mac {
            Some(m) => Some(self.mac_answer(m)?),
            None => None,
        };
        let subscriber = subscribers::by_login(self.views, &login.login)?
            .into_iter()
            .next();
        Ok(Hit {
            subscriber,
            login: Some(login),
            session,
            mac,
        })
    }

    /// A billing subscriber's hit: through their login's binding when the
    /// NAS has seen it, else through the MAC billing has.
    fn subscriber_hit(&self, sub: SubscriberRow) -> rusqlite::Result<Hit> {
        if let Some(login) = logins::get(self.views, &sub.login)? {
            let mut hit = self.login_hit(login)?;
            hit.subscriber = Some(sub);
            return Ok(hit);
        }
        let session = sessions::sessions_of_login(self.telemetry, &sub.login, 1)?
            .into_iter()
            .next();
        let mac = match &sub.mac {
            Some(m) => Some(self.mac_answer(m)?),
            None => None,
        };
        Ok(Hit {
            subscriber: Some(sub),
            login: None,
            session,
            mac,
        })
    }

    fn search(&self, kind: &Query) -> rusqlite::Result<(Vec<Hit>, Vec<DeviceHit>)> {
        let mut results = Vec::new();
        let mut devices = Vec::new();
        match kind {
            Query::Mac { mac } => {
                let bound = logins::by_mac(self.views, mac)?;
                let answer = self.mac_answer(mac)?;
                if bound.is_empty() {
                    let billed = subscribers::by_mac_or_ip(self.views, Some(mac), None)?;
                    if billed.is_empty() {
                        results.push(Hit {
                            subscriber: None,
                            login: None,
                            session: None,
                            mac: Some(answer.clone()),
                        });
                    }
                    for sub in billed {
                        results.push(self.subscriber_hit(sub)?);
                    }
                }
                for l in bound {
                    let mut hit = self.login_hit(l)?;
                    hit.mac = Some(answer.clone());
                    results.push(hit);
                }
            }
            Query::Ip { ip } => {
                let now = chrono::Utc::now().timestamp();
                for s in sessions::sessions_with_ip_at(self.telemetry, ip, now)? {
                    if let Some(row) = logins::get(self.views, &s.login)? {
                        results.push(self.login_hit(row)?);
                    }
                }
                if results.is_empty() {
                    // No session had it: a static address billing gives.
                    for sub in subscribers::by_mac_or_ip(self.views, None, Some(ip))? {
                        results.push(self.subscriber_hit(sub)?);
                    }
                }
                devices = self
                    .devices
                    .iter()
                    .filter(|d| &d.address == ip)
                    .map(hit)
                    .collect();
            }
            Query::Name { text } => {
                let found = logins::with_prefix(self.views, text, LOGINS)?;
                // The exact login first, then the others it begins.
                let (exact, rest): (Vec<_>, Vec<_>) =
                    found.into_iter().partition(|l| &l.login == text);
                for l in exact.into_iter().chain(rest) {
                    results.push(self.login_hit(l)?);
                }
                // Billing subscribers by name, address, contract, phone
                // (those whose login was found already are not repeated).
                let found = subscribers::list(
                    self.views,
                    &subscribers::ListQuery {
                        q: text.clone(),
                        limit: LOGINS,
                        ..Default::default()
                    },
                )?;
                for sub in found.rows {
                    let seen = results.iter().any(|h| {
                        h.subscriber.as_ref().map(|s| &s.billing_id) == Some(&sub.billing_id)
                            || h.login.as_ref().map(|l| &l.login) == Some(&sub.login)
                    });
                    if !seen {
                        results.push(self.subscriber_hit(sub)?);
                    }
                }
                let needle = text.to_lowercase();
                devices = self
                    .devices
                    .iter()
                    .filter(|d| {
                        d.name.to_lowercase().contains(&needle)
                            || d.address.to_lowercase().starts_with(&needle)
                    })
                    .take(DEVICES)
                    .map(hit)
                    .collect();
            }
        }
        Ok((results, devices))
    }

    /// Where a MAC is, was and is also seen.
    fn mac_answer(&self, mac: &str) -> rusqlite::Result<MacAnswer> {
        let location = macs::edge(self.views, mac)?;
        let history = macs::history(self.views, mac, HISTORY)?;
        let sightings: Vec<Sighting> = sightings::sightings_of(self.telemetry, &[mac.to_string()])?
            .remove(mac)
            .unwrap_or_default();
        let by_id: HashMap<&str, &DeviceRow> = self
            .devices
            .iter()
            .map(|d| (d.device_id.as_str(), d))
            .collect();
        let name = |id: &str| {
            by_id
                .get(id)
                .map(|d| d.name.clone())
                .unwrap_or_else(|| id.to_string())
        };
        let is_edge = |s: &Sighting| {
            location
                .as_ref()
                .is_some_and(|e| e.device_id == s.device_id && e.port == s.port)
        };
        let port_macs = sightings
            .iter()
            .find(|s| is_edge(s))
            .map(|s| s.port_macs)
            .unwrap_or(0);
        let mut also_seen: Vec<AlsoSeen> = sightings
            .iter()
            .filter(|s| !is_edge(s))
            .map(|s| AlsoSeen {
                device_id: s.device_id.clone(),
                device: name(&s.device_id),
                port: s.port.clone(),
                vlan: s.vlan,
                uplink: s.uplink.clone(),
                last_seen: unix_rfc3339(s.last_seen / 1000),
            })
            .collect();
        // Access ports before uplinks, then by device and port name (stable).
        also_seen.sort_by(|a, b| {
            (a.uplink.is_some(), &a.device, &a.port).cmp(&(b.uplink.is_some(), &b.device, &b.port))
        });
        let edge_device = location
            .as_ref()
            .and_then(|e| by_id.get(e.device_id.as_str()));
        Ok(MacAnswer {
            mac: mac.to_string(),
            port_macs,
            address: edge_device.map(|d| d.address.clone()),
            host_id: edge_device.and_then(|d| d.host_id.clone()),
            location,
            also_seen,
            history,
        })
    }
}

/// Runs a search.
pub async fn run(st: &AppState, text: &str) -> AppResult<Answer> {
    let kind = Query::parse(text)?;
    let k = kind.clone();
    let (results, devices) = with_reads(st, move |r| r.search(&k)).await?;
    Ok(Answer {
        query: text.trim().to_string(),
        kind,
        results,
        devices,
    })
}

/// Where a MAC is, was and is also seen.
pub async fn mac_answer(st: &AppState, mac: &str) -> AppResult<MacAnswer> {
    let m = mac.to_string();
    with_reads(st, move |r| r.mac_answer(&m)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_recognised_by_what_it_looks_like() {
        let mac = |t: &str| match Query::parse(t).unwrap() {
            Query::Mac { mac } => mac,
            other => panic!("{t}: {other:?}"),
        };
        for t in [
            "aa:bb:cc:dd:ee:ff",
            "AA-BB-CC-DD-EE-FF",
            "aabb.ccdd.eeff",
            "aabbccddeeff",
            " AABB.CCDD.EEFF ",
            "Jan  1 10:00:00 dhcpd: DHCPACK on 10.1.2.3 to aa:bb:cc:dd:ee:ff via eth0",
        ] {
            assert_eq!(mac(t), "aa:bb:cc:dd:ee:ff", "{t}");
        }
        assert_eq!(
            Query::parse("127.0.0.1").unwrap(),
            Query::Ip {
                ip: "127.0.0.1".into()
            }
        );
        assert_eq!(
            Query::parse("ivanov").unwrap(),
            Query::Name {
                text: "ivanov".into()
            }
        );
    }

    #[test]
    fn a_broken_mac_an_empty_query_and_a_long_one_say_why() {
        for (t, says) in [
            ("aa:bb:cc:dd:ee:f", "is not a MAC address"),
            ("aabb.ccdd.eef", "is not a MAC address"),
            ("   ", "type a login"),
        ] {
            match Query::parse(t) {
                Err(AppError::BadRequest(m)) => assert!(m.contains(says), "{t}: {m}"),
                other => panic!("{t}: {other:?}"),
            }
        }
        let long = "x".repeat(MAX_QUERY + 1);
        assert!(matches!(Query::parse(&long), Err(AppError::BadRequest(_))));
    }
}

/// Where a MAC (or the MAC a login dialled from then) sat at the edge at
/// a time.
#[derive(Debug, Clone, Serialize)]
pub struct Located {
    pub mac: Option<String>,
    /// The login's session at that time, or the last one before it.
    pub session: Option<SessionRow>,
    /// `None`: not seen at any edge port then (or had left).
    pub location: Option<ispmon_events::mac::EdgePort>,
}

/// What the MAC (`Ok`) or the login (`Err`) is, located at `at`.
pub async fn locate(
    st: &AppState,
    who: Result<String, String>,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<Located> {
    with_reads(st, move |r| {
        let (mac, session) = match who {
            Ok(mac) => (Some(mac), None),
            Err(login) => {
                let s = sessions::session_of_login_at(r.telemetry, &login, at.timestamp())?;
                (s.as_ref().and_then(|s| s.mac.clone()), s)
            }
        };
        let location = match &mac {
            Some(m) => {
                let t = at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
                macs::at_time(r.views, m, &t)?.and_then(|mv| mv.to)
            }
            None => None,
        };
        Ok(Located {
            mac,
            session,
            location,
        })
    })
    .await
}
