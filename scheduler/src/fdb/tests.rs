//! The collector's rules (pure) and whole collections against a scripted
//! CLI and a fake world that applies Mac commands as the aggregate would.

use std::collections::HashMap;
use std::sync::Mutex;

use ispmon_events::fdb_settings::FdbSettingsValues;
use ispmon_events::mac::{EdgePort, MacCommand};
use ispmon_events::{Metadata, Source};

use super::sightings::Sighting;
use super::*;
use crate::cli::session::{CliError, Timeouts};
use crate::test_kit::{device, FakePullWorld, Scripted};

fn sighting(device: &str, port: &str, macs: usize, uplink: Option<UplinkReason>) -> Sighting {
    Sighting {
        device_id: device.into(),
        mac: "00:11:22:33:44:01".into(),
        vlan: 100,
        port: port.into(),
        first_seen: 1,
        last_seen: 10,
        misses: 0,
        port_macs: macs,
        uplink,
    }
}

#[test]
fn the_edge_is_the_access_port_with_the_fewest_macs_seen_last() {
    let access = sighting("acc", "Gi0/5", 1, None);
    let trunk = UplinkReason::Trunk {
        mode: "trunk".into(),
    };
    let uplink = sighting("agg", "Gi0/24", 40, Some(trunk));
    let shared = sighting("acc2", "3", 4, None);
    let found = [uplink.clone(), shared.clone(), access.clone()];
    assert_eq!(edge_of(&found, None), Some(&access));
    let mut missed = access.clone();
    missed.misses = 1;
    assert_eq!(
        edge_of(&[missed, shared.clone()], None),
        Some(&shared),
        "a sighting missing from the last collection ranks below one seen in it"
    );
    assert_eq!(edge_of(&[uplink], None), None, "uplinks are never the edge");
}

#[test]
fn a_command_only_when_the_edge_differs() {
    let names = HashMap::from([("acc".to_string(), "sw-acc-1".to_string())]);
    let s = [sighting("acc", "Gi0/5", 1, None)];
    let here = EdgePort {
        device_id: "acc".into(),
        device: "sw-acc-1".into(),
        port: "Gi0/5".into(),
        vlan: 100,
    };
    assert!(decide(&s, Some(&here), &names, None).is_none());
    match decide(&s, None, &names, None) {
        Some(MacCommand::Locate { at }) => assert_eq!(at, here),
        other => panic!("{other:?}"),
    }
    let many = UplinkReason::Threshold {
        count: 40,
        limit: 8,
    };
    let uplink_only = [sighting("agg", "Gi0/24", 40, Some(many))];
    match decide(&uplink_only, Some(&here), &names, None) {
        Some(MacCommand::Leave { device_id, port }) => {
            assert_eq!((device_id.as_str(), port.as_str()), ("acc", "Gi0/5"))
        }
        other => panic!("{other:?}"),
    }
    assert!(decide(&uplink_only, None, &names, None).is_none());
}

fn target(trunks: &[(&str, &str)], marks: &[(&str, PortRole)]) -> FdbTarget {
    FdbTarget {
        device: device(),
        trunks: trunks
            .iter()
            .map(|(p, m)| (canonical_port(p), m.to_string()))
            .collect(),
        marks: marks.iter().map(|(p, r)| (canonical_port(p), *r)).collect(),
        interval: None,
    }
}

fn seen(port: &str, n: usize, from: usize) -> Vec<Seen> {
    (from..from + n)
        .map(|i| Seen {
            mac: format!("00:11:22:33:{:02x}:{:02x}", i / 256, i % 256),
            vlan: 100,
            port: port.into(),
        })
        .collect()
}

#[test]
fn each_uplink_rule_gives_its_reason_and_an_admin_access_mark_wins() {
    let mut rows = seen("Gi0/1", 1, 0);
    rows.extend(seen("Gi0/2", 1, 10));
    rows.extend(seen("Gi0/3", 9, 20));
    rows.extend(seen("Gi0/4", 1, 40));
    rows.extend(seen("Gi0/5", 12, 60));
    rows.extend(seen("Gi0/6", 1, 90));
    rows.extend(seen("Gi0/7", 2, 100));
    let known = HashMap::from([
        ("00:11:22:33:00:28".to_string(), "agg-1".to_string()),
        // The switch's own MAC on a port says nothing.
        ("00:11:22:33:00:00".to_string(), "sw-1".to_string()),
        ("00:11:22:33:00:64".to_string(), "core-1".to_string()),
        ("00:11:22:33:00:65".to_string(), "agg-2".to_string()),
    ]);
    let t = target(
        &[("GigabitEthernet0/2", "trunk")],
        &[
            ("Gi0/6", PortRole::Uplink),
            ("GigabitEthernet0/5", PortRole::Access),
        ],
    );
    let ports = port_statuses(&rows, &t, &known, 8);
    let reason = |p: &str| {
        ports
            .iter()
            .find(|s| s.port == p)
            .map(|s| s.uplink.clone())
            .unwrap()
    };
    assert_eq!(reason("Gi0/1"), None);
    assert_eq!(
        reason("Gi0/2"),
        Some(UplinkReason::Trunk {
            mode: "trunk".into()
        })
    );
    assert_eq!(
        reason("Gi0/3"),
        Some(UplinkReason::Threshold { count: 9, limit: 8 })
    );
    assert_eq!(
        reason("Gi0/4"),
        Some(UplinkReason::KnownDevice {
            name: "agg-1".into()
        })
    );
    assert_eq!(reason("Gi0/5"), None, "the admin's access mark wins");
    assert_eq!(reason("Gi0/6"), Some(UplinkReason::Marked));
    assert_eq!(
        reason("Gi0/7"),
        Some(UplinkReason::KnownDevice {
            name: "agg-2".into()
        }),
        "of two devices seen, the first by name"
    );
    assert_eq!(ports.iter().find(|p| p.port == "Gi0/5").unwrap().macs, 12);
}

#[test]
fn only_dynamic_entries_count_once_per_mac_and_vlan() {
    let e = |mac: &str, port: &str, dynamic: bool| MacEntry {
        vlan: 10,
        mac: mac.into(),
        port: port.into(),
        dynamic,
    };
    let rows = learned(vec![
        e("00:00:00:00:00:01", "1", true),
        e("00:00:00:00:00:01", "1", true),
        e("00:00:00:00:00:02", "CPU", false),
        e("00:00:00:00:00:03", "2", true),
    ]);
    let macs: Vec<&str> = rows.iter().map(|s| s.mac.as_str()).collect();
    assert_eq!(macs, ["00:00:00:00:00:01", "00:00:00:00:00:03"]);
}

/// The read model of edges, kept by applying commands as the Mac
/// aggregate decides them, and the settings an admin can change.
#[derive(Default)]
struct World {
    switches: Vec<FdbTarget>,
    edges: Mutex<HashMap<String, EdgePort>>,
    commands: Mutex<Vec<(String, MacCommand)>>,
    settings: Mutex<FdbSettingsValues>,
}

impl FdbWorld for World {
    fn switches(&self) -> WorldFuture<'_, Vec<FdbTarget>> {
        Box::pin(async { Ok(self.switches.clone()) })
    }
    fn known_macs(&self) -> WorldFuture<'_, HashMap<String, String>> {
        Box::pin(async { Ok(HashMap::new()) })
    }
    fn edges(&self, macs: Vec<String>) -> WorldFuture<'_, HashMap<String, EdgePort>> {
        Box::pin(async move {
            let e = self.edges.lock().unwrap();
            Ok(macs
                .into_iter()
                .filter_map(|m| e.get(&m).map(|p| (m, p.clone())))
                .collect())
        })
    }
    fn device_names(&self) -> WorldFuture<'_, HashMap<String, String>> {
        Box::pin(async {
            Ok(self
                .switches
                .iter()
                .map(|s| (s.device.device_id.clone(), s.device.name.clone()))
                .collect())
        })
    }
    fn mac_command(
        &self,
        mac: String,
        command: MacCommand,
        _meta: Metadata,
    ) -> WorldFuture<'_, bool> {
        Box::pin(async move {
            let mut e = self.edges.lock().unwrap();
            match &command {
                MacCommand::Locate { at } => {
                    e.insert(mac.clone(), at.clone());
                }
                MacCommand::Leave { .. } => {
                    e.remove(&mac);
                }
            }
            self.commands.lock().unwrap().push((mac, command));
            Ok(true)
        })
    }
    fn settings(&self) -> WorldFuture<'_, FdbSettingsValues> {
        Box::pin(async { Ok(*self.settings.lock().unwrap()) })
    }
}

/// A Cisco table with `rows` (VLAN 100), as the switch prints it (with a
/// CPU row, which the parser leaves out).
fn cisco_table(rows: &[(&str, &str)]) -> String {
    let mut out = String::from(
        "          Mac Address Table\r\n-------------------------------------------\r\n\r\n\
         Vlan    Mac Address       Type        Ports\r\n----    -----------       --------    -----\r\n \
         All    0100.0ccc.cccc    STATIC      CPU\r\n",
    );
    for (mac, port) in rows {
        out.push_str(&format!(" 100    {mac}    DYNAMIC     {port}\r\n"));
    }
    out.push_str(&format!(
        "Total Mac Addresses for this criterion: {}\r\n",
        rows.len() + 1
    ));
    out
}

struct Rig {
    _dir: tempfile::TempDir,
    world: Arc<World>,
    cli: Arc<Scripted>,
    collector: Arc<Collector>,
}

fn rig(switches: Vec<FdbTarget>) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let telemetry = Telemetry::open(&dir.path().join("telemetry.db")).unwrap();
    let world = Arc::new(World {
        switches,
        ..Default::default()
    });
    let cli = Arc::new(Scripted::new(Vec::new()));
    let puller = Arc::new(Puller::new(
        Arc::new(FakePullWorld::with_password()),
        cli.clone(),
        4,
        Timeouts::default(),
        telemetry.clone(),
    ));
    let collector = Arc::new(Collector::new(world.clone(), puller, telemetry));
    Rig {
        _dir: dir,
        world,
        cli,
        collector,
    }
}

fn meta() -> Metadata {
    Metadata::system(Source::Scheduler, "test")
}

impl Rig {
    async fn collect(&self, t: &FdbTarget, answer: Result<String, CliError>) -> Outcome {
        self.cli.push(answer);
        self.collector.collect(t, &meta()).await
    }
    fn commands(&self) -> usize {
        self.world.commands.lock().unwrap().len()
    }
    fn edge(&self, mac: &str) -> Option<(String, String)> {
        self.world
            .edges
            .lock()
            .unwrap()
            .get(mac)
            .map(|e| (e.device.clone(), e.port.clone()))
    }
}

const A: &str = "0011.2233.4401";
const B: &str = "0011.2233.4402";
const C: &str = "0011.2233.4403";
const A_MAC: &str = "00:11:22:33:44:01";
const B_MAC: &str = "00:11:22:33:44:02";

#[tokio::test]
async fn a_steady_recollection_writes_nothing_and_a_move_writes_one_command() {
    let t = target(&[], &[]);
    let r = rig(vec![t.clone()]);
    let table = cisco_table(&[(A, "Gi0/1"), (B, "Gi0/2"), (C, "Gi0/3")]);
    assert_eq!(
        r.collect(&t, Ok(table.clone())).await,
        Outcome::Collected { rows: 3, moved: 3 }
    );
    assert_eq!(r.commands(), 3);
    assert_eq!(r.edge(A_MAC), Some(("sw-1".into(), "Gi0/1".into())));
    for _ in 0..3 {
        assert_eq!(
            r.collect(&t, Ok(table.clone())).await,
            Outcome::Collected { rows: 3, moved: 0 }
        );
    }
    assert_eq!(r.commands(), 3, "nothing moved: no commands");
    let moved = cisco_table(&[(A, "Gi0/7"), (B, "Gi0/2"), (C, "Gi0/3")]);
    assert_eq!(
        r.collect(&t, Ok(moved)).await,
        Outcome::Collected { rows: 3, moved: 1 }
    );
    assert_eq!(r.commands(), 4);
    assert_eq!(r.edge(A_MAC), Some(("sw-1".into(), "Gi0/7".into())));
}

#[tokio::test]
async fn a_failed_or_unreadable_collection_changes_nothing() {
    let t = target(&[], &[]);
    let r = rig(vec![t.clone()]);
    let table = cisco_table(&[(A, "Gi0/1"), (B, "Gi0/2")]);
    r.collect(&t, Ok(table.clone())).await;
    let before = r.commands();
    let failed = r
        .collect(
            &t,
            Err(CliError::Timeout {
                stage: crate::cli::session::Stage::Command("show mac address-table".into()),
            }),
        )
        .await;
    assert!(matches!(failed, Outcome::Failed(_)), "{failed:?}");
    let garbage = r
        .collect(&t, Ok("% Invalid input detected\r\n".into()))
        .await;
    match garbage {
        Outcome::Failed(reason) => assert!(reason.contains("MAC table"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.commands(), before);
    // Neither counted as a miss: the same table again changes nothing.
    for _ in 0..3 {
        r.collect(&t, Ok(table.clone())).await;
    }
    assert_eq!(r.commands(), before);
    assert_eq!(r.edge(B_MAC), Some(("sw-1".into(), "Gi0/2".into())));
}

#[tokio::test]
async fn a_mac_leaves_only_after_three_collections_without_it() {
    let t = target(&[], &[]);
    let r = rig(vec![t.clone()]);
    r.collect(&t, Ok(cisco_table(&[(A, "Gi0/1"), (B, "Gi0/2")])))
        .await;
    let without_b = cisco_table(&[(A, "Gi0/1")]);
    for _ in 0..2 {
        r.collect(&t, Ok(without_b.clone())).await;
        assert!(r.edge(B_MAC).is_some(), "still there after a miss");
    }
    assert_eq!(r.commands(), 2);
    r.collect(&t, Ok(without_b)).await;
    assert_eq!(r.edge(B_MAC), None, "gone after the third miss");
    assert_eq!(r.commands(), 3);
}

#[tokio::test]
async fn macs_behind_an_uplink_are_located_at_the_access_switch() {
    let access = target(&[], &[]);
    let mut agg = target(&[("Gi0/24", "trunk")], &[]);
    agg.device.device_id = "agg".into();
    agg.device.name = "agg-1".into();
    let r = rig(vec![access.clone(), agg.clone()]);
    // The aggregation is read first: its trunk port is no edge, and its
    // access port is (a MAC plugged straight into it).
    let agg_table = cisco_table(&[(A, "Gi0/24"), (B, "Gi0/24"), (C, "Gi0/3")]);
    r.collect(&agg, Ok(agg_table.clone())).await;
    assert_eq!(r.edge(A_MAC), None);
    assert_eq!(
        r.edge("00:11:22:33:44:03"),
        Some(("agg-1".into(), "Gi0/3".into()))
    );
    r.collect(&access, Ok(cisco_table(&[(A, "Fa0/1"), (B, "Fa0/2")])))
        .await;
    assert_eq!(r.edge(A_MAC), Some(("sw-1".into(), "Fa0/1".into())));
    assert_eq!(r.edge(B_MAC), Some(("sw-1".into(), "Fa0/2".into())));
    let before = r.commands();
    r.collect(&agg, Ok(agg_table)).await;
    assert_eq!(
        r.commands(),
        before,
        "re-reading the aggregation moves nothing"
    );
}

#[tokio::test]
async fn a_port_that_crosses_the_threshold_stops_being_an_edge() {
    let t = target(&[], &[]);
    let r = rig(vec![t.clone()]);
    let few: Vec<(String, &str)> = (0..3)
        .map(|i| (format!("0011.2233.55{i:02x}"), "Gi0/9"))
        .collect();
    let few_ref: Vec<(&str, &str)> = few.iter().map(|(m, p)| (m.as_str(), *p)).collect();
    r.collect(&t, Ok(cisco_table(&few_ref))).await;
    assert_eq!(
        r.edge("00:11:22:33:55:00"),
        Some(("sw-1".into(), "Gi0/9".into()))
    );
    let many: Vec<(String, &str)> = (0..10)
        .map(|i| (format!("0011.2233.55{i:02x}"), "Gi0/9"))
        .collect();
    let many_ref: Vec<(&str, &str)> = many.iter().map(|(m, p)| (m.as_str(), *p)).collect();
    r.collect(&t, Ok(cisco_table(&many_ref))).await;
    assert_eq!(
        r.edge("00:11:22:33:55:00"),
        None,
        "10 MACs: an uplink (an unmanaged switch), no longer anyone's edge"
    );
    assert_eq!(r.edge("00:11:22:33:55:09"), None);
}

#[test]
fn a_mac_seen_in_two_places_in_the_same_second_is_where_it_arrived_last() {
    let mut old = sighting("acc1", "Gi0/5", 1, None);
    old.first_seen = 1;
    let mut new = sighting("acc2", "Fa0/3", 1, None);
    new.first_seen = 10;
    assert_eq!(edge_of(&[old.clone(), new.clone()], None), Some(&new));
    assert_eq!(edge_of(&[new.clone(), old.clone()], None), Some(&new));
    // Arrived in the same second: the switch just read wins the tie.
    let mut same = old.clone();
    same.first_seen = 10;
    assert_eq!(
        edge_of(&[same.clone(), new.clone()], Some("acc2")),
        Some(&new)
    );
    assert_eq!(edge_of(&[same.clone(), new], Some("acc1")), Some(&same));
}

#[tokio::test]
async fn a_move_between_switches_is_one_command_whichever_is_read_first() {
    let a = target(&[], &[]);
    let mut b = target(&[], &[]);
    b.device.device_id = "d2".into();
    b.device.name = "sw-2".into();
    let r = rig(vec![a.clone(), b.clone()]);
    r.collect(&a, Ok(cisco_table(&[(A, "Gi0/1"), (B, "Gi0/2")])))
        .await;
    r.collect(&b, Ok(cisco_table(&[(C, "Fa0/9")]))).await;
    let before = r.commands();
    // A moves to sw-2; sw-2 is read first, then sw-1 (without it).
    r.collect(&b, Ok(cisco_table(&[(C, "Fa0/9"), (A, "Fa0/4")])))
        .await;
    assert_eq!(r.edge(A_MAC), Some(("sw-2".into(), "Fa0/4".into())));
    r.collect(&a, Ok(cisco_table(&[(B, "Gi0/2")]))).await;
    assert_eq!(r.edge(A_MAC), Some(("sw-2".into(), "Fa0/4".into())));
    assert_eq!(r.commands(), before + 1, "one move, one command");
}

#[tokio::test]
async fn changed_settings_apply_from_the_next_collection() {
    let t = target(&[], &[]);
    let r = rig(vec![t.clone()]);
    let five: Vec<(String, &str)> = (0..5)
        .map(|i| (format!("0011.2233.66{i:02x}"), "Gi0/9"))
        .collect();
    let five: Vec<(&str, &str)> = five.iter().map(|(m, p)| (m.as_str(), *p)).collect();
    let mut table = five.clone();
    table.push((A, "Gi0/1"));
    r.collect(&t, Ok(cisco_table(&table))).await;
    assert_eq!(
        r.edge("00:11:22:33:66:00"),
        Some(("sw-1".into(), "Gi0/9".into())),
        "5 MACs: under the default threshold of 8"
    );
    *r.world.settings.lock().unwrap() = FdbSettingsValues {
        uplink_threshold: 4,
        miss_limit: 1,
        ..Default::default()
    };
    r.collect(&t, Ok(cisco_table(&five))).await;
    assert_eq!(
        r.edge("00:11:22:33:66:00"),
        None,
        "more than 4 MACs: an uplink now"
    );
    assert_eq!(r.edge(A_MAC), None, "gone after one miss with a limit of 1");
}

#[test]
fn a_switch_is_due_after_its_own_interval_or_the_setting() {
    let now = chrono::Utc::now();
    let ago = |min: i64| (now - chrono::Duration::minutes(min)).to_rfc3339();
    let min = |m: u64| Duration::from_secs(m * 60);
    let ten = ago(10);
    assert!(sightings::is_due(None, min(15), now), "never read");
    assert!(!sightings::is_due(Some(&ten), min(15), now));
    assert!(sightings::is_due(Some(&ten), min(5), now));
    assert!(
        sightings::is_due(Some(&ago(15)), min(15), now),
        "exactly one interval ago"
    );
    assert!(
        sightings::is_due(Some("garbage"), min(15), now),
        "an unreadable time: read it"
    );
}

#[tokio::test]
async fn the_job_reads_a_switch_with_its_own_interval_sooner() {
    let own = FdbTarget {
        interval: Some(Duration::from_secs(5 * 60)),
        ..target(&[], &[])
    };
    let mut global = target(&[], &[]);
    global.device.device_id = "d2".into();
    global.device.name = "sw-2".into();
    let r = rig(vec![own.clone(), global.clone()]);
    let ten_ago = (chrono::Utc::now() - chrono::Duration::minutes(10))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for id in ["d1", "d2"] {
        r.collector
            .telemetry
            .save_fdb_collection_blocking(&sightings::CollectionRow {
                kind: "fdb".into(),
                device_id: id.into(),
                at: ten_ago.clone(),
                duration_ms: 5,
                rows: 0,
                outcome: "ok".into(),
                moved: 0,
            })
            .unwrap();
    }
    // Both read 10 minutes ago: the one with 5 minutes is due, the one
    // following the 15-minute setting is not.
    r.cli.push(Ok(cisco_table(&[(A, "Gi0/1")])));
    let job = job::FdbJob::new(Arc::clone(&r.collector));
    let said = crate::Job::run(&job, crate::Scope::Due, None)
        .await
        .unwrap();
    assert_eq!(
        said, "1 switches: 1 read (1 rows, 1 moved), 0 failed",
        "{said}"
    );
    assert_eq!(r.edge(A_MAC), Some(("sw-1".into(), "Gi0/1".into())));
    // The setting down to 5 minutes: the other is due too.
    *r.world.settings.lock().unwrap() = FdbSettingsValues {
        fdb_interval_min: 5,
        ..Default::default()
    };
    r.cli.push(Ok(cisco_table(&[(B, "Gi0/2")])));
    let said = crate::Job::run(&job, crate::Scope::Due, None)
        .await
        .unwrap();
    assert_eq!(
        said, "1 switches: 1 read (1 rows, 1 moved), 0 failed",
        "{said}"
    );
    assert_eq!(r.edge(B_MAC), Some(("sw-2".into(), "Gi0/2".into())));
}

fn session(login: &str, id: &str) -> crate::cli::PppSession {
    crate::cli::PppSession {
        name: login.into(),
        service: Some("pppoe".into()),
        caller_id: None,
        mac: None,
        address: Some("100.64.0.9".into()),
        uptime: None,
        uptime_secs: Some(60),
        session_id: Some(id.into()),
        encoding: None,
        limit_bytes_in: None,
        limit_bytes_out: None,
        radius: false,
        fields: Default::default(),
    }
}

#[tokio::test]
async fn the_prune_drops_old_sightings_and_sessions_and_leaves_the_edges() {
    let a = target(&[], &[]);
    let mut b = target(&[], &[]);
    b.device.device_id = "d2".into();
    b.device.name = "sw-2".into();
    let r = rig(vec![a.clone(), b.clone()]);
    r.collect(&a, Ok(cisco_table(&[(A, "Gi0/1"), (B, "Gi0/2")])))
        .await;
    r.collect(&b, Ok(cisco_table(&[(C, "Fa0/9")]))).await;
    let tel = r.collector.telemetry.clone();
    let day_ms = 24 * 3600 * 1000;
    let now_ms = chrono::Utc::now().timestamp_millis();
    // sw-1 was last read 31 days ago (retired, say), past the 30-day default.
    tel.conn()
        .execute(
            "UPDATE fdb_sightings SET last_seen = ?1 WHERE device_id = 'd1'",
            [now_ms - 31 * day_ms],
        )
        .unwrap();
    // Sessions: one that ended 401 days ago, one still open on a NAS last
    // polled 401 days ago, one of today.
    let now_s = now_ms / 1000;
    let old = now_s - 401 * 24 * 3600;
    tel.record_sessions_blocking("nas-old", old, &[session("gone", "0x1")])
        .unwrap();
    tel.record_sessions_blocking("nas-old", old + 60, &[])
        .unwrap();
    tel.record_sessions_blocking("nas-gone", old, &[session("stale", "0x2")])
        .unwrap();
    tel.record_sessions_blocking("nas-1", now_s, &[session("today", "0x3")])
        .unwrap();
    let (commands, edges) = (r.commands(), r.world.edges.lock().unwrap().clone());

    let job = prune::PruneJob::new(Arc::clone(&r.collector));
    let said = crate::Job::run(&job, crate::Scope::Due, None)
        .await
        .unwrap();
    assert_eq!(
        said,
        "2 sightings, 2 port statuses and 2 sessions past their retention deleted"
    );
    let left = tel
        .sightings_of_blocking(&[A_MAC.into(), B_MAC.into(), "00:11:22:33:44:03".into()])
        .unwrap();
    assert!(left[A_MAC].is_empty() && left[B_MAC].is_empty(), "{left:?}");
    assert_eq!(left["00:11:22:33:44:03"].len(), 1, "a fresh sighting stays");
    assert!(tel.fdb_ports_blocking("d1").unwrap().is_empty());
    assert_eq!(tel.fdb_ports_blocking("d2").unwrap().len(), 1);
    for (login, kept) in [("gone", false), ("stale", false), ("today", true)] {
        let found = tel.sessions_of_login_blocking(login, 5).unwrap();
        assert_eq!(!found.is_empty(), kept, "{login}: {found:?}");
    }
    assert_eq!(r.commands(), commands, "the prune issues no Mac commands");
    assert_eq!(*r.world.edges.lock().unwrap(), edges, "edges untouched");
    assert_eq!(r.edge(A_MAC), Some(("sw-1".into(), "Gi0/1".into())));

    // Run again: nothing is past its retention; other scopes are refused.
    let said = crate::Job::run(&job, crate::Scope::All, None)
        .await
        .unwrap();
    assert!(said.starts_with("0 sightings"), "{said}");
    assert!(crate::Job::run(&job, crate::Scope::One("d2".into()), None)
        .await
        .is_err());
}

#[test]
fn ports_an_earlier_version_kept_as_text_read_as_typed_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("telemetry.db");
    {
        // A file as the version before 0005 left it.
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(include_str!("../../../migrations/telemetry/0004_fdb.sql"))
            .unwrap();
        for (port, macs, uplink) in [
            ("Gi0/1", 1, None),
            ("Gi0/2", 3, Some("marked uplink by an admin")),
            ("Gi0/3", 40, Some("hybrid in config")),
            ("Gi0/4", 2, Some("agg-2 seen here")),
            ("Gi0/5", 12, Some("12 MACs")),
        ] {
            c.execute(
                "INSERT INTO fdb_ports (device_id, port, macs, uplink) VALUES ('d1', ?1, ?2, ?3)",
                rusqlite::params![port, macs, uplink],
            )
            .unwrap();
        }
    }
    let t = Telemetry::open(&path).unwrap();
    let reasons: Vec<(String, Option<UplinkReason>)> = t
        .fdb_ports_blocking("d1")
        .unwrap()
        .into_iter()
        .map(|p| (p.port, p.uplink))
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("Gi0/2".into(), Some(UplinkReason::Marked)),
            (
                "Gi0/3".into(),
                Some(UplinkReason::Trunk {
                    mode: "hybrid".into()
                })
            ),
            (
                "Gi0/4".into(),
                Some(UplinkReason::KnownDevice {
                    name: "agg-2".into()
                })
            ),
            (
                "Gi0/5".into(),
                Some(UplinkReason::Threshold {
                    count: 12,
                    limit: 8
                })
            ),
            ("Gi0/1".into(), None),
        ]
    );
    drop(t);
    // Opened again, the change is not applied twice.
    let t = Telemetry::open(&path).unwrap();
    assert_eq!(t.fdb_ports_blocking("d1").unwrap().len(), 5);
}
