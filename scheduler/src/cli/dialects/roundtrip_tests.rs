//! Round trip: every sim shell prints its MAC table, config and version;
//! the matching dialect parses them back to the sim's own state.

use std::sync::{Arc, Mutex};

use ispmon_sim::shell::{new_shell, SharedState};
use ispmon_sim::{DeviceSpec, Kind, Shell, Step, Transport};

use crate::cli::dialect::{Dialect, MacEntry};

struct Dev {
    dialect: Dialect,
    spec: DeviceSpec,
    state: SharedState,
    shell: Box<dyn Shell>,
}

impl Dev {
    fn new(kind: Kind, index: usize) -> Dev {
        let dialect = Dialect::parse(kind.slug()).expect("slugs are shared");
        let spec = DeviceSpec::sample(kind, Transport::Ssh, index);
        let state = Arc::new(Mutex::new(spec.state.clone()));
        let mut shell = new_shell(&spec, state.clone());
        let banner = decode(dialect, &shell.open(true));
        let mut dev = Dev {
            dialect,
            spec,
            state,
            shell,
        };
        if !dialect.is_privileged_prompt(last_line(&banner)) {
            let enable = dialect
                .enable()
                .expect("a non-privileged prompt means enable exists");
            let out = dev.run(enable.command);
            if out
                .to_lowercase()
                .trim_end()
                .ends_with(enable.password_prompt)
            {
                let pw = dev.spec.enable_password.clone().unwrap();
                dev.run(&pw);
            }
        }
        for cmd in dialect.paging_off() {
            dev.run(cmd);
        }
        dev
    }

    /// Everything the command printed, echo and prompt included.
    fn run(&mut self, cmd: &str) -> String {
        let steps = self
            .shell
            .input(&[cmd.as_bytes(), self.dialect.enter()].concat());
        decode(self.dialect, &steps)
    }

    /// The output between the echoed command line and the next prompt.
    fn output(&mut self, cmd: &str) -> String {
        let all = self.run(cmd);
        let start = all.find('\n').map_or(0, |i| i + 1);
        let end = all.rfind('\n').map_or(all.len(), |i| i + 1);
        assert!(
            self.dialect.is_prompt(last_line(&all)),
            "{:?}: no prompt after {cmd}: {all:?}",
            self.dialect
        );
        all[start..end.max(start)].to_string()
    }
}

fn last_line(text: &str) -> &str {
    text.rsplit('\n').next().unwrap_or("").trim_end()
}

/// The bytes written, decoded as the vendor encodes them (cp1251 for D-Link and Qtech).
fn decode(dialect: Dialect, steps: &[Step]) -> String {
    let bytes: Vec<u8> = steps
        .iter()
        .flat_map(|s| match s {
            Step::Write(b) => b.clone(),
            _ => Vec::new(),
        })
        .collect();
    if matches!(dialect, Dialect::DlinkDes | Dialect::Qtech) {
        encoding_rs::WINDOWS_1251.decode(&bytes).0.into_owned()
    } else {
        String::from_utf8(bytes).expect("UTF-8 output")
    }
}

#[test]
fn every_dialect_reads_back_its_sim_mac_table() {
    for kind in Kind::ALL {
        for index in [0, 3, 11] {
            let mut dev = Dev::new(kind, index);
            let out = dev.output(dev.dialect.mac_table_command());
            assert_eq!(dev.dialect.command_error(&out), None, "{kind:?}");
            let parsed = dev
                .dialect
                .parse_mac_table(&out)
                .unwrap_or_else(|e| panic!("{kind:?}: {e}: {out}"));
            let expected: Vec<MacEntry> = dev
                .state
                .lock()
                .unwrap()
                .mac_table
                .iter()
                .map(|r| MacEntry {
                    vlan: r.vlan,
                    mac: r.mac.clone(),
                    port: r.port.clone(),
                    dynamic: r.dynamic,
                })
                .collect();
            assert_eq!(parsed, expected, "{kind:?} #{index}");
        }
    }
}

#[test]
fn every_dialect_normalises_two_config_prints_identically_and_sees_a_change() {
    for kind in Kind::ALL {
        let mut dev = Dev::new(kind, 2);
        let cmd = dev.dialect.config_command();
        let first = dev.output(cmd);
        let second = dev.output(cmd);
        assert_ne!(first, second, "{kind:?}: the sim injects volatile lines");
        let a = dev.dialect.normalise_config(&first);
        assert_eq!(a, dev.dialect.normalise_config(&second), "{kind:?}");
        assert!(!a.contains('\r') && a.lines().count() >= 60, "{kind:?}");
        if matches!(kind, Kind::DlinkDes | Kind::Qtech) {
            assert!(a.contains("Абонент"), "{kind:?}: cp1251 decoded");
        }

        let masked = dev.dialect.mask_secrets(&a);
        assert!(masked.contains("<masked>"), "{kind:?}");
        assert!(
            !masked.contains(&format!("-ro-{}", 2)),
            "{kind:?}: community left: {masked}"
        );

        dev.state
            .lock()
            .unwrap()
            .config
            .push_str("description changed-by-test\n");
        let changed = dev.output(cmd);
        assert_ne!(dev.dialect.normalise_config(&changed), a, "{kind:?}");
    }
}

#[test]
fn every_dialect_reads_model_and_version_from_its_sim() {
    for kind in Kind::ALL {
        let mut dev = Dev::new(kind, 1);
        let out = dev.output(dev.dialect.version_command());
        let v = dev.dialect.parse_version(&out);
        let st = dev.state.lock().unwrap().clone();
        assert_eq!(
            v.model.as_deref(),
            Some(st.model.as_str()),
            "{kind:?}: {out}"
        );
        assert!(
            v.version
                .as_deref()
                .is_some_and(|v| v.contains(&st.firmware)),
            "{kind:?}: {v:?}"
        );
    }
}

#[test]
fn unknown_commands_are_reported_as_errors() {
    for kind in Kind::ALL {
        let mut dev = Dev::new(kind, 1);
        let out = dev.output("show frobnication");
        assert!(
            dev.dialect.command_error(&out).is_some(),
            "{kind:?}: {out:?}"
        );
    }
}

#[test]
fn every_switch_finds_its_sim_uplink_among_the_trunk_ports_and_no_subscriber_port() {
    for kind in Kind::ALL {
        let mut dev = Dev::new(kind, 3);
        let config = dev.output(dev.dialect.config_command());
        let trunks: Vec<String> = dev
            .dialect
            .trunk_ports(&config)
            .into_iter()
            .map(|t| t.port)
            .collect();
        let st = dev.state.lock().unwrap().clone();
        match kind {
            // The OLT's MAC table holds PON ports; its uplink is `port vlan N 0/0 0`.
            Kind::HuaweiSmartax => assert_eq!(trunks, ["0/0/0"], "{kind:?}"),
            // Likewise ZTE: its MAC table holds ONU interfaces; the uplink is
            // the trunked `gei_` port of the config.
            Kind::ZteC300 => assert_eq!(trunks, ["gei_1/3/1"], "{kind:?}"),
            // The sim's export has no bridge VLAN table: nothing is tagged.
            Kind::Mikrotik => assert_eq!(trunks, Vec::<String>::new(), "{kind:?}"),
            _ => {
                // Every fourth sample row sits on the uplink (sim `sample_macs`).
                let uplink = crate::cli::canonical_port(&st.mac_table[3].port);
                assert!(
                    trunks.contains(&uplink),
                    "{kind:?}: {uplink} not in {trunks:?}"
                );
                for row in st
                    .mac_table
                    .iter()
                    .filter(|r| crate::cli::canonical_port(&r.port) != uplink)
                {
                    assert!(
                        !trunks.contains(&crate::cli::canonical_port(&row.port)),
                        "{kind:?}: subscriber port {} taken for a trunk",
                        row.port
                    );
                }
            }
        }
    }
}
