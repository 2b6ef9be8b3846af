//! The OLT shells (SmartAX, ZTE C320) driven as a transport would: the
//! GPON state changes of registration and deletion, every refusal, the
//! smart-mode question, paging, per-command faults and the counters.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{new_shell, sample_spec};
use crate::gpon::{sn_zte, GponOlt};
use crate::shell::{DeviceSpec, Kind, SharedState, Shell, Step, Transport};

struct Cli {
    shell: Box<dyn Shell>,
    state: SharedState,
    spec: DeviceSpec,
}

fn written(steps: &[Step]) -> (String, Option<Step>) {
    let mut bytes = Vec::new();
    let mut last = None;
    for s in steps {
        match s {
            Step::Write(b) => bytes.extend_from_slice(b),
            other => last = Some(other.clone()),
        }
    }
    (String::from_utf8_lossy(&bytes).into_owned(), last)
}

impl Cli {
    /// Logged in over SSH, nothing else typed.
    fn raw(kind: Kind, index: usize) -> Cli {
        let spec = sample_spec(kind, Transport::Ssh, index);
        let state = Arc::new(Mutex::new(spec.state.clone()));
        state.lock().unwrap().gpon.as_mut().unwrap().save_delay = Duration::ZERO;
        let mut shell = new_shell(&spec, state.clone());
        shell.open(true);
        Cli { shell, state, spec }
    }

    /// Logged in, paging off, in config mode; SmartAX after `undo smart`
    /// unless `smart`.
    fn new(kind: Kind, index: usize, smart: bool) -> Cli {
        let mut cli = Cli::raw(kind, index);
        if kind == Kind::HuaweiSmartax {
            cli.run("enable");
            cli.run("scroll");
            if !smart {
                cli.run("undo smart");
            }
            cli.run("config");
        } else {
            cli.run("terminal length 0");
            cli.run("configure terminal");
        }
        cli
    }

    fn send(&mut self, text: &str) -> (String, Option<Step>) {
        written(&self.shell.input(text.as_bytes()))
    }

    /// The command's output (echo line and prompt cut off).
    fn run(&mut self, cmd: &str) -> String {
        let (all, step) = self.send(&format!("{cmd}\r\n"));
        assert_eq!(step, None, "{cmd}: {all}");
        let all = all.replace("\r\n", "\n");
        let start = all.find('\n').map_or(0, |i| i + 1);
        let end = all.rfind('\n').map_or(all.len(), |i| i + 1);
        all[start..end.max(start)].to_string()
    }

    fn olt(&self) -> GponOlt {
        self.state.lock().unwrap().gpon.clone().unwrap()
    }
}

fn confirm(p: u8, sn: &str, line: u16, srv: u16, desc: &str) -> String {
    format!(
        "ont confirm {p} sn-auth {sn} omci ont-lineprofile-id {line} ont-srvprofile-id {srv} desc \"{desc}\""
    )
}

#[test]
fn smartax_registration_from_autofind_changes_autofind_onts_and_service_ports_exactly() {
    let mut cli = Cli::new(Kind::HuaweiSmartax, 1, false);
    let before = cli.olt();
    let waiting = before.autofind_on(Some((0, 1, 0)))[0].clone();
    let found = cli.run("display ont autofind all");
    assert!(
        found.contains(&format!("Ont SN              : {} (HWTC-", waiting.sn)),
        "{found}"
    );
    assert!(
        found.contains("The number of GPON autofind ONT is 2"),
        "{found}"
    );

    cli.run("interface gpon 0/1");
    let in_port = cli.run("display ont autofind 0");
    assert!(
        in_port.contains(&waiting.sn) && in_port.contains("is 1"),
        "{in_port}"
    );
    let expected_id = before.free_id((0, 1, 0)).unwrap();
    let out = cli.run(&confirm(0, &waiting.sn, 10, 10, "ivanov a.a."));
    assert!(
        out.contains("Number of ONTs that can be added: 1, success: 1"),
        "{out}"
    );
    assert!(
        out.contains(&format!("PortID :0, ONTID :{expected_id}")),
        "{out}"
    );

    let after = cli.olt();
    assert_eq!(after.autofind.len(), before.autofind.len() - 1);
    assert!(after.autofind.iter().all(|a| a.sn != waiting.sn));
    assert_eq!(after.onts.len(), before.onts.len() + 1);
    let ont = after.ont((0, 1, 0), expected_id).unwrap();
    assert_eq!(
        (ont.sn.as_str(), ont.description.as_str()),
        (waiting.sn.as_str(), "ivanov a.a.")
    );
    assert!(ont.online);
    assert_eq!(
        after.service_ports, before.service_ports,
        "no service port yet"
    );
    let list = cli.run("display ont info 0 all");
    assert!(
        list.contains(&format!(
            "0/ 1/0 {expected_id:>4}  {}  active      online",
            waiting.sn
        )),
        "{list}"
    );
    assert!(list.contains("ivanov a.a."), "{list}");

    cli.run("quit");
    let free = cli.run("display service-port next-free-index");
    let idx = before.next_free_index();
    assert_eq!(
        free,
        format!("  Next valid free service virtual port ID: {idx}\n")
    );
    let sp = format!(
        "service-port {idx} vlan 105 gpon 0/1/0 ont {expected_id} gemport 1 multi-service user-vlan 105 tag-transform translate"
    );
    assert_eq!(cli.run(&sp), "");
    let after = cli.olt();
    assert_eq!(after.service_ports.len(), before.service_ports.len() + 1);
    let mine = after.service_ports_of((0, 1, 0), Some(expected_id));
    assert_eq!(
        (mine[0].index, mine[0].vlan, mine[0].gemport),
        (idx, 105, 1)
    );
    let table = cli.run(&format!(
        "display service-port port 0/1/0 ont {expected_id}"
    ));
    assert!(
        table.contains(&format!("gpon 0/1 /0  {expected_id:<4} 1     vlan  105")),
        "{table}"
    );
    assert!(table.contains("Total : 1"), "{table}");

    cli.run("interface gpon 0/1");
    assert_eq!(
        cli.run(&format!(
            "ont port native-vlan 0 {expected_id} eth 1 vlan 105 priority 0"
        )),
        ""
    );
    assert_eq!(
        cli.olt().ont((0, 1, 0), expected_id).unwrap().native_vlan,
        Some(105)
    );
    let refused = cli.run(&format!("ont delete 0 {expected_id}"));
    assert_eq!(
        refused,
        "  Failure: This configured object has some service virtual ports\n"
    );
    assert!(cli.olt().ont((0, 1, 0), expected_id).is_some());
    cli.run("quit");
    assert_eq!(cli.run(&format!("undo service-port {idx}")), "");
    cli.run("interface gpon 0/1");
    let deleted = cli.run(&format!("ont delete 0 {expected_id}"));
    assert!(
        deleted.contains("Number of ONTs that can be deleted: 1, success: 1"),
        "{deleted}"
    );
    let end = cli.olt();
    assert!(end.ont((0, 1, 0), expected_id).is_none());
    assert_eq!(end.service_ports, before.service_ports);
    // Still plugged in: it is found again.
    assert!(end.autofind.iter().any(|a| a.sn == waiting.sn));

    // Manual add of an SN the OLT has never seen: registered, offline.
    let out = cli.run(
        "ont add 1 sn-auth HWTC-0BADBEEF omci ont-lineprofile-id 10 ont-srvprofile-id 11 desc \"petrov\"",
    );
    assert!(
        out.contains("success: 1") && out.contains("PortID :1, ONTID :"),
        "{out}"
    );
    let o = cli.olt().ont_by_sn("485754430BADBEEF").cloned().unwrap();
    assert!(!o.online && o.srv_profile == 11 && o.description == "petrov");
    assert_eq!(
        cli.run(&format!("ont modify 1 {} desc \"petrov-2\"", o.ont_id)),
        ""
    );
    assert_eq!(
        cli.olt().ont_by_sn("HWTC-0BADBEEF").unwrap().description,
        "petrov-2"
    );
    cli.send("save\r\n");
    assert_eq!(cli.olt().saves, 1);
}

#[test]
fn smartax_answers_every_refusal_with_its_failure_line() {
    let mut cli = Cli::new(Kind::HuaweiSmartax, 3, false);
    let olt = cli.olt();
    let existing = olt.onts_on((0, 1, 0))[0].clone();
    let waiting = olt.autofind_on(Some((0, 1, 0)))[0].sn.clone();
    let offline = olt
        .onts
        .iter()
        .find(|o| !o.online && o.fsp.1 == 1)
        .unwrap()
        .clone();
    let sp = olt.service_ports[0].clone();
    let f = |t: &str| format!("  Failure: {t}\n");
    cli.run("interface gpon 0/1");
    let cases = [
        (confirm(0, "HWTC-00000001", 10, 10, "x"), f("The automatically found ONT does not exist")),
        (confirm(0, &waiting, 99, 10, "x"), f("The ont-lineprofile does not exist")),
        (confirm(0, &waiting, 10, 99, "x"), f("The ont-srvprofile does not exist")),
        (
            format!("ont add 0 sn-auth {} omci ont-lineprofile-id 10 ont-srvprofile-id 10 desc \"x\"", existing.sn),
            f("SN already exists"),
        ),
        (
            format!(
                "ont add 0 {} sn-auth HWTC-00000002 omci ont-lineprofile-id 10 ont-srvprofile-id 10 desc \"x\"",
                existing.ont_id
            ),
            f("The ONT ID has already existed"),
        ),
        ("ont delete 0 120".to_string(), f("The ONT does not exist")),
        ("ont modify 0 121 desc \"x\"".to_string(), f("The ONT does not exist")),
        (format!("display ont optical-info {} {}", offline.fsp.2, offline.ont_id), f("The ONT is not online")),
        ("display ont info 20 all".to_string(), f("The port does not exist")),
        ("display ont info 0 99".to_string(), f("The ONT does not exist")),
        (
            format!("ont port native-vlan 0 {} eth 1 vlan 999 priority 0", existing.ont_id),
            f("The VLAN does not exist"),
        ),
    ];
    for (cmd, expected) in &cases {
        assert_eq!(&cli.run(cmd), expected, "{cmd}");
    }
    cli.run("quit");
    let service = |idx: u32, vlan: u16, ont: u32| {
        format!("service-port {idx} vlan {vlan} gpon 0/1/0 ont {ont} gemport 1 multi-service user-vlan {vlan} tag-transform translate")
    };
    let free = olt.next_free_index();
    let cases = [
        (
            service(sp.index, 100, existing.ont_id),
            f("Service virtual port has existed already"),
        ),
        (
            service(free, 999, existing.ont_id),
            f("The VLAN does not exist"),
        ),
        (service(free, 100, 127), f("The ONT does not exist")),
        (
            "undo service-port 4000".to_string(),
            f("The service virtual port does not exist"),
        ),
        (
            "interface gpon 0/7".to_string(),
            f("The board does not exist"),
        ),
        (
            "display ont info by-sn HWTC-00000001".to_string(),
            f("The ONT does not exist"),
        ),
        (
            "display service-port port 0/1/0 ont 126".to_string(),
            f("No service virtual port can be operated"),
        ),
        (
            "display mac-address ont 0/1/0 126".to_string(),
            f("There is not any MAC address record"),
        ),
    ];
    for (cmd, expected) in &cases {
        assert_eq!(&cli.run(cmd), expected, "{cmd}");
    }
    assert_eq!(cli.olt(), olt, "nothing changed");
    assert!(cli
        .run("display ont autofind 0")
        .contains("% Unknown command"));
    cli.run("interface gpon 0/0");
    assert_eq!(
        cli.run("display ont autofind 0"),
        f("The automatically found ONTs do not exist")
    );
}

#[test]
fn smartax_asks_for_the_optional_parameters_until_undo_smart() {
    let mut cli = Cli::new(Kind::HuaweiSmartax, 2, true);
    cli.run("scroll");
    for cmd in [
        "display service-port all",
        "display mac-address all",
        "display ont info 0 1 0 all",
    ] {
        let (asked, step) = cli.send(&format!("{cmd}\r\n"));
        assert_eq!(step, None);
        assert!(asked.trim_end().ends_with("<K> }:"), "{cmd}: {asked:?}");
        assert!(asked.contains("{ <cr>|"), "{asked:?}");
        assert!(!asked.contains("-----"), "nothing printed yet: {asked:?}");
        let (answer, _) = cli.send("\r\n");
        assert!(
            answer.starts_with("\r\n\r\n  Command:\r\n          ") && answer.contains(cmd),
            "{answer:?}"
        );
        assert!(
            answer.contains("-----") && answer.ends_with("(config)#"),
            "{answer:?}"
        );
    }
    cli.run("undo smart");
    let direct = cli.run("display service-port all");
    assert!(
        direct.starts_with("  Switch-Oriented Flow List"),
        "{direct}"
    );
    assert!(!direct.contains("<cr>") && !direct.contains("Command:"));
}

#[test]
fn smartax_summary_single_views_optics_and_profiles_follow_the_model() {
    let mut cli = Cli::new(Kind::HuaweiSmartax, 1, false);
    cli.run("scroll");
    let olt = cli.olt();
    assert!(olt.dmy_dates, "index 1: DD/MM/YYYY firmware");
    let on = olt
        .onts_on((0, 1, 1))
        .into_iter()
        .find(|o| o.online)
        .unwrap()
        .clone();
    let down = olt.onts.iter().find(|o| !o.online).unwrap().fsp;
    let summary = cli.run(&format!(
        "display ont info summary {}/{}/{}",
        down.0, down.1, down.2
    ));
    assert!(
        summary.contains(&format!(
            "In port {}/{}/{}, the total",
            down.0, down.1, down.2
        )),
        "{summary}"
    );
    assert!(
        summary.contains("DownTime            DownCause"),
        "{summary}"
    );
    assert!(summary.contains("-/-"), "an offline ONT: {summary}");
    let row = summary
        .lines()
        .find(|l| l.contains(&on.sn))
        .unwrap_or_else(|| panic!("{summary}"));
    let power = row.split_whitespace().nth(4).unwrap();
    let (rx, tx) = power.split_once('/').unwrap();
    let (rx, tx): (f64, f64) = (rx.parse().unwrap(), tx.parse().unwrap());
    assert!(
        (rx - on.rx_dbm).abs() <= 0.15 + 1e-9 && (tx - on.tx_dbm).abs() <= 0.06,
        "{row}"
    );

    let one = cli.run(&format!("display ont info 0 1 1 {}", on.ont_id));
    assert!(
        one.contains(&format!("SN                      : {} (HWTC-", on.sn)),
        "{one}"
    );
    assert!(
        one.contains("Memory occupation"),
        "extra field of this firmware"
    );
    let date = one.lines().find(|l| l.contains("Last up time")).unwrap();
    assert!(date.contains('/') && date.ends_with("+03:00"), "{date}");
    let by_sn = cli.run(&format!("display ont info by-sn {}", on.sn));
    assert_eq!(by_sn, one);

    cli.run("interface gpon 0/1");
    let mut readings = Vec::new();
    for _ in 0..20 {
        let o = cli.run(&format!("display ont optical-info 1 {}", on.ont_id));
        let v: f64 = o
            .lines()
            .find(|l| l.contains("Rx optical power(dBm)"))
            .and_then(|l| l.rsplit(": ").next())
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!((v - on.rx_dbm).abs() <= 0.15 + 1e-9, "bounded drift: {v}");
        readings.push(v);
    }
    readings.dedup();
    assert!(readings.len() > 3, "it drifts: {readings:?}");
    let table = cli.run("display ont optical-info 1 all");
    assert!(
        table.contains("OLT Rx ONT") && table.contains(&format!("\n  {:<4}", on.ont_id)),
        "{table}"
    );
    assert!(cli
        .run("display port traffic 1")
        .contains("Upstream traffic rate(kbit/s)"));
    cli.run("quit");
    assert!(cli.run("display traffic vlan 100").contains("VLAN ID"));
    let lines = cli.run("display ont-lineprofile gpon all");
    assert!(lines.contains("  10          ftth"), "{lines}");
    assert!(cli
        .run("display ont-srvprofile gpon all")
        .contains("  10          hg8310"));
    let board = cli.run("display board 0");
    assert!(
        board.contains("H802GPBD") && board.contains("H801MCUD"),
        "{board}"
    );

    // The MAC table: every learned MAC behind its ONT with its service port.
    let macs = cli.run("display mac-address all");
    let st = cli.state.lock().unwrap().clone();
    assert_eq!(st.mac_table, olt.mac_rows());
    assert!(
        macs.contains(&format!("Total: {}", st.mac_table.len())),
        "{macs}"
    );
    let mac = &on.macs[0];
    let sp = olt.service_ports_of(on.fsp, Some(on.ont_id))[0];
    let mine = cli.run(&format!("display mac-address ont 0/1/1 {}", on.ont_id));
    let hex: String = mac.mac.replace(':', "");
    let dashed = format!("{}-{}-{}", &hex[0..4], &hex[4..8], &hex[8..12]);
    assert!(
        mine.contains(&format!(
            "{:>5}      - gpon {dashed} dynamic  0 /1 /1",
            sp.index
        )),
        "{mine}"
    );

    // Old firmware without the per-port optical table.
    let mut old = Cli::new(Kind::HuaweiSmartax, 2, false);
    assert!(!old.olt().port_optical_table);
    old.run("interface gpon 0/1");
    assert!(old
        .run("display ont optical-info 0 all")
        .contains("% Unknown command"));
}

#[test]
fn smartax_sessions_see_live_changes_offline_causes_and_new_autofind() {
    let mut cli = Cli::new(Kind::HuaweiSmartax, 4, false);
    let olt = cli.olt();
    let on = olt.onts.iter().find(|o| o.online).unwrap().clone();
    {
        let mut st = cli.state.lock().unwrap();
        let g = st.gpon.as_mut().unwrap();
        assert!(g.set_offline(&on.sn, "LOSi/LOBi"));
        assert!(g.add_autofind((0, 1, 5), "HWTC-77AA77AA", "HG8245H"));
        assert!(
            !g.add_autofind((0, 1, 5), "HWTC-77AA77AA", "HG8245H"),
            "once"
        );
    }
    let one = cli.run(&format!(
        "display ont info {} {} {} {}",
        on.fsp.0, on.fsp.1, on.fsp.2, on.ont_id
    ));
    assert!(
        one.contains("Run state               : offline") && one.contains("LOSi/LOBi"),
        "{one}"
    );
    let found = cli.run("display ont autofind all");
    assert!(
        found.contains("4857544377AA77AA (HWTC-77AA77AA)") && found.contains("HG8245H"),
        "{found}"
    );
    cli.state
        .lock()
        .unwrap()
        .gpon
        .as_mut()
        .unwrap()
        .set_online(&on.sn);
    cli.state
        .lock()
        .unwrap()
        .gpon
        .as_mut()
        .unwrap()
        .set_rx(&on.sn, -29.5);
    cli.run(&format!("interface gpon 0/{}", on.fsp.1));
    let o = cli.run(&format!(
        "display ont optical-info {} {}",
        on.fsp.2, on.ont_id
    ));
    let rx: f64 = o
        .lines()
        .find(|l| l.contains("Rx optical power(dBm)"))
        .and_then(|l| l.rsplit(": ").next())
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!((rx + 29.5).abs() <= 0.15 + 1e-9, "{rx}");
}

#[test]
fn long_olt_output_is_paged_until_paging_is_off() {
    let mut cli = Cli::raw(Kind::HuaweiSmartax, 2);
    cli.run("enable");
    let (page, _) = cli.send("display current-configuration\r\n");
    assert!(
        page.ends_with("---- More ( Press 'Q' to break ) ----"),
        "{page}"
    );
    cli.send("q");
    cli.run("scroll");
    let all = cli.run("display current-configuration");
    assert!(
        !all.contains("More") && all.contains("ont add ") && all.ends_with("return\n"),
        "{all}"
    );

    let mut zte = Cli::raw(Kind::ZteC300, 2);
    let (page, _) = zte.send("show running-config\r\n");
    assert!(page.ends_with(" --More--"), "{page}");
    let (next, _) = zte.send(" ");
    assert!(next.starts_with("\x08\x08"), "{next:?}");
    zte.send("q");
    zte.run("terminal length 0");
    let all = zte.run("show running-config");
    assert!(
        !all.contains("--More--") && all.contains("  onu 1 type ") && all.ends_with("end\n"),
        "{all}"
    );
}

#[test]
fn zte_registers_configures_and_deletes_onus_on_the_shared_model() {
    let mut cli = Cli::new(Kind::ZteC300, 1, false);
    cli.run("exit");
    let before = cli.olt();
    let waiting = before.autofind_on(Some((1, 1, 1)))[0].clone();
    let zsn = sn_zte(&waiting.sn);
    assert!(zsn.starts_with("ZTEG") && waiting.sn.starts_with("5A544547"));
    let uncfg = cli.run("show gpon onu uncfg");
    assert!(
        uncfg.contains(&format!("gpon-onu_1/1/1:1         {zsn:<19} unknown")),
        "{uncfg}"
    );
    assert_eq!(
        cli.run("show gpon onu uncfg gpon-olt_1/1/1")
            .lines()
            .count(),
        3
    );
    let version = cli.run("show version");
    assert!(
        version.contains("C320") && version.contains("V2.1.0"),
        "{version}"
    );
    assert!(cli.run("show card").contains("GTGH"));
    assert!(cli.run("show onu-type gpon").contains("ZTE-F601"));

    cli.run("configure terminal");
    assert_eq!(cli.run("interface gpon-olt_1/1/1"), "");
    let id = before.free_id((1, 1, 1)).unwrap();
    assert_eq!(cli.run(&format!("onu {id} type ZTE-F660 sn {zsn}")), "");
    let after = cli.olt();
    assert!(after.autofind.iter().all(|a| a.sn != waiting.sn));
    let o = after.ont((1, 1, 1), id).unwrap();
    assert_eq!((o.sn.as_str(), o.online), (waiting.sn.as_str(), true));
    let prompt = cli.send("\r\n").0;
    assert!(
        prompt.ends_with(&format!("{}(config-if)#", cli.spec.state.hostname)),
        "{prompt:?}"
    );

    cli.run("exit");
    cli.run(&format!("interface gpon-onu_1/1/1:{id}"));
    for line in [
        "name sidorov",
        "description sidorov, kv 12",
        "tcont 1 profile UP-100M",
        "gemport 1 tcont 1",
        "service-port 1 vport 1 user-vlan 104 vlan 104",
    ] {
        assert_eq!(cli.run(line), "", "{line}");
    }
    let o = cli.olt().ont((1, 1, 1), id).cloned().unwrap();
    assert_eq!(
        (o.name.as_str(), o.description.as_str()),
        ("sidorov", "sidorov, kv 12")
    );
    let sps = cli
        .olt()
        .service_ports_of((1, 1, 1), Some(id))
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!((sps.len(), sps[0].vlan, sps[0].local_id), (1, 104, 1));
    assert_eq!(
        cli.run("service-port 1 vport 1 user-vlan 104 vlan 104"),
        "%Code 32308-GPONSRV : The service-port already exists.\n"
    );
    assert_eq!(
        cli.run("service-port 2 vport 1 user-vlan 999 vlan 999"),
        "%Error 20209: The VLAN does not exist.\n"
    );
    assert!(cli
        .run("service-port 3 vport 7 user-vlan 100 vlan 100")
        .contains("%Code 62397-GPONSRV"));
    cli.run("end");
    let onu = format!("gpon-onu_1/1/1:{id}");
    let sp = cli.run(&format!("show service-port interface {onu}"));
    assert!(sp.contains("104") && sp.contains("enable"), "{sp}");
    let detail = cli.run(&format!("show gpon onu detail-info {onu}"));
    assert!(
        detail.contains("Name:                sidorov") && detail.contains(&zsn),
        "{detail}"
    );
    let att = cli.run(&format!("show pon power attenuation {onu}"));
    assert!(
        att.contains(" up      Rx :-") && att.contains("(dB)"),
        "{att}"
    );
    assert!(cli
        .run(&format!("show gpon onu by sn {zsn}"))
        .contains(&onu));
    let state = cli.run("show gpon onu state gpon-olt_1/1/1");
    assert!(
        state.contains(&format!(
            "{onu:<22} enable       enable       operation    working"
        )),
        "{state}"
    );
    let base = cli.run("show gpon onu baseinfo gpon-olt_1/1/1");
    assert!(
        base.contains(&format!("SN:{zsn}")) && base.contains("ZTE-F660"),
        "{base}"
    );
    let rx = cli.run("show pon power onu-rx gpon-olt_1/1/1");
    assert!(rx.contains(&format!("{onu:<19} -")), "{rx}");

    // Errors as the C320 prints them.
    cli.run("configure terminal");
    cli.run("interface gpon-olt_1/1/1");
    let other = before.onts_on((1, 1, 1))[0].clone();
    assert!(cli
        .run(&format!("onu {id} type ZTE-F601 sn ZTEG00000001"))
        .contains("The ONU already exists"));
    assert!(cli
        .run(&format!("onu 100 type ZTE-F601 sn {}", sn_zte(&other.sn)))
        .contains("SN already exists"));
    assert!(cli
        .run("onu 101 type NOPE sn ZTEG00000001")
        .contains("ONU type does not exist"));
    assert!(cli
        .run("onu frob")
        .contains("% Invalid input detected at '^' marker."));
    assert_eq!(cli.run(&format!("no onu {id}")), "");
    let end = cli.olt();
    assert!(end.ont((1, 1, 1), id).is_none());
    assert_eq!(end.service_ports, before.service_ports);
    cli.run("end");
    assert_eq!(
        cli.run(&format!("show gpon onu detail-info {onu}")),
        "%Code 32311-GPONSRV : The ONU does not exist.\n"
    );
    assert!(cli
        .run(&format!(
            "show mac gpon onu gpon-onu_1/1/1:{}",
            other.ont_id
        ))
        .contains("Mac address"));
    // Empty lists say so.
    cli.state
        .lock()
        .unwrap()
        .gpon
        .as_mut()
        .unwrap()
        .autofind
        .clear();
    assert_eq!(
        cli.run("show gpon onu uncfg"),
        "%Code 32310-GPONSRV : No related information to show.\n"
    );
    let (w, _) = cli.send("write\r\n");
    assert!(
        w.contains("Building configuration...") && w.contains("[OK]"),
        "{w}"
    );
}

#[test]
fn a_slow_save_pauses_for_its_delay() {
    let mut cli = Cli::new(Kind::HuaweiSmartax, 0, false);
    cli.state.lock().unwrap().gpon.as_mut().unwrap().save_delay = Duration::from_millis(5);
    let steps = cli.shell.input(b"save\r\n");
    let at = steps
        .iter()
        .position(|s| *s == Step::Delay(Duration::from_millis(5)))
        .expect("a pause");
    let (before, _) = written(&steps[..at]);
    let (after, _) = written(&steps[at..]);
    assert!(
        before.contains("please wait...") && !before.contains("has been saved"),
        "{before}"
    );
    assert!(
        after.contains("Configuration file has been saved"),
        "{after}"
    );
}

#[test]
fn command_faults_fail_hang_or_drop_until_cleared() {
    for kind in [Kind::HuaweiSmartax, Kind::ZteC300] {
        let (cmd, normal) = if kind == Kind::HuaweiSmartax {
            ("display ont autofind all", "Number")
        } else {
            ("show gpon onu uncfg", "OnuIndex")
        };
        let mut cli = Cli::new(kind, 1, false);
        cli.state
            .lock()
            .unwrap()
            .fail_on(cmd, "  Failure: System is busy, please retry");
        assert_eq!(
            cli.run(cmd),
            "  Failure: System is busy, please retry\n",
            "{kind:?}"
        );
        assert!(
            cli.run(&format!("{cmd}   ")).contains("busy"),
            "words normalised"
        );
        cli.state.lock().unwrap().clear_faults();
        assert!(cli.run(cmd).contains(normal), "{kind:?}");

        cli.state.lock().unwrap().hang_on(cmd);
        let (_, step) = cli.send(&format!("{cmd}\r\n"));
        assert_eq!(step, Some(Step::Hang), "{kind:?}");
        assert!(cli.shell.input(b"\r\n").is_empty());

        let mut cli = Cli::new(kind, 1, false);
        cli.state
            .lock()
            .unwrap()
            .drop_on(cmd.split(' ').next().unwrap());
        let (_, step) = cli.send(&format!("{cmd}\r\n"));
        assert_eq!(step, Some(Step::Close), "{kind:?}");
    }
}

#[test]
fn counters_track_sessions_and_commands() {
    let spec = sample_spec(Kind::ZteC300, Transport::Telnet, 0);
    let state = Arc::new(Mutex::new(spec.state.clone()));
    let mut a = new_shell(&spec, state.clone());
    let mut b = new_shell(&spec, state.clone());
    a.open(true);
    assert_eq!(state.lock().unwrap().stats().sessions_open, 1);
    b.open(true);
    a.input(b"show version\r\nshow card\r\n\r\n");
    b.input(b"terminal length 0\r\n");
    let s = state.lock().unwrap().stats();
    assert_eq!(
        (
            s.sessions_opened,
            s.sessions_open,
            s.peak_open,
            s.commands_total,
            s.commands_last_minute
        ),
        (2, 2, 2, 3, 3)
    );
    drop(a);
    let s = state.lock().unwrap().stats();
    assert_eq!((s.sessions_open, s.peak_open), (1, 2));
    drop(b);
    let mut c = new_shell(&spec, state.clone());
    c.open(false);
    let s = state.lock().unwrap().stats();
    assert_eq!((s.sessions_opened, s.sessions_open, s.peak_open), (3, 1, 2));
}

#[test]
fn olt_samples_have_boards_onts_autofind_profiles_and_vlans() {
    for kind in [Kind::HuaweiSmartax, Kind::ZteC300] {
        for index in 0..6 {
            let spec = sample_spec(kind, Transport::Ssh, index);
            let g = spec.state.gpon.as_ref().unwrap();
            assert!(
                g.boards.len() >= 3 && !g.onts.is_empty() && !g.autofind.is_empty(),
                "{kind:?}"
            );
            assert!((100..=110).all(|v| g.vlans.contains(&v)));
            assert!(g
                .line_profiles
                .iter()
                .any(|p| p.id == 10 && p.name == "ftth"));
            assert!(g
                .srv_profiles
                .iter()
                .any(|p| p.id == 10 && p.name == "hg8310"));
            assert!(g.onts.iter().all(|o| o.sn.len() == 16));
            assert!(g.onts.iter().any(|o| !o.online) && g.onts.iter().any(|o| o.rx_dbm < -27.0));
            assert_eq!(spec.state.mac_table, g.mac_rows());
        }
    }
    assert_eq!(Kind::ZteC300.slug(), "zte-c300");
    assert!(Kind::ALL.contains(&Kind::ZteC300));
}
