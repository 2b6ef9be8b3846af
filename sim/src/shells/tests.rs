//! The shells driven byte by byte, as a transport would.

use std::sync::{Arc, Mutex};

use super::{new_shell, sample_spec};
use crate::shell::{DeviceSpec, Fault, Kind, SharedState, Shell, Step, Transport};

fn device(kind: Kind, index: usize) -> (DeviceSpec, SharedState, Box<dyn Shell>) {
    let spec = sample_spec(kind, Transport::Telnet, index);
    let state = Arc::new(Mutex::new(spec.state.clone()));
    let shell = new_shell(&spec, state.clone());
    (spec, state, shell)
}

/// Everything written, lossily as text, and the last non-write step.
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

fn send(shell: &mut Box<dyn Shell>, input: &str) -> (String, Option<Step>) {
    written(&shell.input(input.as_bytes()))
}

fn telnet_login(kind: Kind) -> (DeviceSpec, SharedState, Box<dyn Shell>, String) {
    let (spec, state, mut shell) = device(kind, 1);
    let (banner, _) = written(&shell.open(false));
    let (_, _) = send(&mut shell, &format!("{}\r\n", spec.login));
    let (after, _) = send(&mut shell, &format!("{}\r\n", spec.password));
    assert!(!banner.is_empty());
    (spec, state, shell, after)
}

#[test]
fn each_vendor_speaks_its_own_login_dialogue() {
    let expect = [
        (Kind::HuaweiSmartax, ">>User name:", ">>User password:", ">"),
        (Kind::HuaweiVrp, "Username:", "Password:", ">"),
        (Kind::CiscoIos, "Username: ", "Password: ", ">"),
        (Kind::DlinkDes, "UserName:", "PassWord:", ":admin#"),
        (Kind::Zyxel, "User name: ", "Password: ", ">"),
        (Kind::Qtech, "Username:", "Password:", ">"),
        (Kind::Mikrotik, "Login: ", "Password: ", "] > "),
        (Kind::ZteC300, "Username:", "Password:", "#"),
    ];
    for (kind, user, pass, prompt_end) in expect {
        let (spec, _state, mut shell) = device(kind, 2);
        let (banner, _) = written(&shell.open(false));
        assert!(banner.ends_with(user), "{kind:?}: {banner:?}");
        let login = if kind == Kind::Mikrotik {
            "admin+ct".to_string()
        } else {
            spec.login.clone()
        };
        let (echo, _) = send(&mut shell, &format!("{login}\r\n"));
        assert!(
            echo.starts_with(&login) && echo.ends_with(pass),
            "{kind:?}: {echo:?}"
        );
        let (after, step) = send(&mut shell, &format!("{}\r\n", spec.password));
        assert!(
            !after.contains(&spec.password),
            "{kind:?} echoed the password"
        );
        assert!(after.ends_with(prompt_end), "{kind:?}: {after:?}");
        assert_eq!(step, None);
    }
}

#[test]
fn wrong_password_is_rejected_three_times_then_the_line_closes() {
    let refusal = |kind| match kind {
        Kind::HuaweiSmartax => "Username or password invalid.",
        Kind::HuaweiVrp => "Error: Local authentication is rejected.",
        Kind::CiscoIos => "% Login invalid",
        Kind::Qtech => "% Bad username or password",
        Kind::DlinkDes => "Fail!",
        Kind::Zyxel => "Invalid user name or password.",
        Kind::Mikrotik => "Login failed, incorrect username or password",
        Kind::ZteC300 => "%Error 20203: No username or bad password",
    };
    for kind in Kind::ALL {
        let (spec, state, mut shell) = device(kind, 3);
        state.lock().unwrap().fault = Fault::WrongPassword;
        shell.open(false);
        let mut last = None;
        for attempt in 1..=3 {
            send(&mut shell, &format!("{}\r\n", spec.login));
            let (text, step) = send(&mut shell, &format!("{}\r\n", spec.password));
            assert!(
                !text.contains('#') || kind == Kind::DlinkDes,
                "{kind:?} attempt {attempt}: {text:?}"
            );
            assert!(
                text.contains(refusal(kind)),
                "{kind:?} attempt {attempt} is refused in the vendor's words: {text:?}"
            );
            if attempt < 3 {
                assert_eq!(step, None, "{kind:?}");
            }
            last = step;
        }
        assert_eq!(last, Some(Step::Close), "{kind:?}");
    }
}

#[test]
fn typing_is_echoed_with_backspace_and_any_line_ending() {
    let (_spec, _state, mut shell, _) = telnet_login(Kind::CiscoIos);
    // Partial line, a typo erased with DEL, then CR NUL.
    let (a, _) = send(&mut shell, "show verx");
    assert_eq!(a, "show verx");
    let (b, _) = written(&shell.input(b"\x7fsion\r\0"));
    assert!(b.starts_with("\x08 \x08sion\r\n"), "{b:?}");
    assert!(b.contains("Version 12.2(55)SE5"));
    // A lone CR is a line; an LF right after it (even in the next packet)
    // completes that CR LF; a further LF is a line of its own.
    let (c, _) = send(&mut shell, "\r");
    let (d, _) = send(&mut shell, "\n");
    let (e, _) = send(&mut shell, "\n");
    assert!(
        c.ends_with('>') && d.is_empty() && e.ends_with('>'),
        "{c:?} {d:?} {e:?}"
    );
}

/// A logged-in SSH MikroTik (no enable, no paging) behind a Linux-like tty.
fn tty_device() -> (DeviceSpec, Box<dyn Shell>) {
    let mut spec = sample_spec(Kind::Mikrotik, Transport::Ssh, 1);
    spec.echo_typeahead = true;
    let state = Arc::new(Mutex::new(spec.state.clone()));
    let mut shell = new_shell(&spec, state);
    let (banner, _) = written(&shell.open(true));
    assert!(banner.ends_with("] > "), "{banner:?}");
    (spec, shell)
}

#[test]
fn a_tty_takes_cr_and_lf_each_as_an_enter_and_echoes_type_ahead_inside_the_output() {
    let (spec, mut shell) = tty_device();
    let prompt = format!("[admin@{}] > ", spec.state.hostname);
    let config_lines = spec.state.config.lines().count();
    let mut placements = std::collections::HashSet::new();
    for _ in 0..20 {
        let (text, _) = send(&mut shell, "/export\r\n");
        assert_eq!(
            text.matches(&prompt).count(),
            2,
            "the LF is an Enter of its own: {text:?}"
        );
        let (output, _) = text.split_once(&prompt).unwrap();
        let output = output.strip_suffix("\r\n").expect("output ends its line");
        let lines: Vec<&str> = output.split("\r\n").collect();
        assert_eq!(lines[0], "/export", "the echo of the command");
        assert_eq!(
            lines.len(),
            1 + 1 + config_lines + 1,
            "echo, header, config, LF"
        );
        // The echo of the LF (a blank line) among the output's lines.
        let blank = lines[1..]
            .iter()
            .position(|l| l.is_empty())
            .expect("the LF echoed inside the output");
        placements.insert(blank);
    }
    assert!(
        placements.len() > 1,
        "the echo lands at different lines, as timing would have it: {placements:?}"
    );
    // One Enter, nothing typed ahead: one prompt, no blank line added.
    let (text, _) = send(&mut shell, "/export\r");
    assert_eq!(text.matches(&prompt).count(), 1, "{text:?}");
    assert!(!text.contains("\r\n\r\n"), "{text:?}");
}

#[test]
fn a_tty_echoes_a_line_typed_ahead_at_once_and_runs_it_after_the_first() {
    let (_spec, mut shell) = tty_device();
    let (text, _) = send(&mut shell, "/system resource print\r/ip address print\r");
    assert_eq!(
        text.matches("/ip address print").count(),
        1,
        "echoed once, on arrival, not again when it runs: {text:?}"
    );
    let echo = text.find("/ip address print").unwrap();
    let first_prompt = text.find("] > ").expect("the first command's prompt");
    let answer = text
        .find("bad command name ip")
        .expect("the second line ran");
    assert!(
        echo < first_prompt,
        "echoed during the first output: {text:?}"
    );
    assert!(
        first_prompt < answer,
        "run after the first output: {text:?}"
    );
    assert_eq!(text.matches("] > ").count(), 2, "{text:?}");
}

#[test]
fn long_output_is_paged_until_paging_is_disabled() {
    let (spec, _state, mut shell, _) = telnet_login(Kind::CiscoIos);
    send(&mut shell, "enable\r\n");
    send(
        &mut shell,
        &format!("{}\r\n", spec.enable_password.clone().unwrap()),
    );
    let (page1, _) = send(&mut shell, "show running-config\r\n");
    assert!(page1.ends_with(" --More-- "), "{page1:?}");
    let (page2, _) = send(&mut shell, " ");
    assert!(page2.starts_with("\x08\x08\x08"), "erased with backspaces");
    let (quit, _) = send(&mut shell, "q");
    assert!(quit.trim_end().ends_with('#'), "{quit:?}");

    send(&mut shell, "terminal length 0\r\n");
    let (all, _) = send(&mut shell, "show running-config\r\n");
    assert!(!all.contains("--More--") && all.contains("\r\nend\r\n") && all.ends_with('#'));

    // The OLT's pager and its cursor-escape erase.
    let (_, _, mut olt, _) = telnet_login(Kind::HuaweiSmartax);
    send(&mut olt, "enable\r\n");
    let (p, _) = send(&mut olt, "display current-configuration\r\n");
    assert!(p.ends_with("---- More ( Press 'Q' to break ) ----"));
    let (n, _) = send(&mut olt, " ");
    assert!(n.starts_with("\x1b[37D"), "{n:?}");
}

#[test]
fn faults_hang_disconnect_and_garbage() {
    let (spec, state, mut shell) = device(Kind::HuaweiVrp, 4);
    state.lock().unwrap().fault = Fault::HangAfterLogin;
    let (_, step) = written(&shell.open(true));
    assert_eq!(step, Some(Step::Hang));
    assert!(shell.input(b"display version\r\n").is_empty());

    for (fault, end) in [
        (Fault::HangMidOutput, Step::Hang),
        (Fault::DisconnectMidOutput, Step::Close),
    ] {
        let state = Arc::new(Mutex::new(spec.state.clone()));
        let mut shell = new_shell(&spec, state.clone());
        shell.open(true);
        send(&mut shell, "screen-length 0 temporary\r\n");
        state.lock().unwrap().fault = fault;
        let (text, step) = send(&mut shell, "display current-configuration\r\n");
        assert_eq!(step, Some(end));
        assert!(
            text.contains("sysname") && !text.contains("\nreturn"),
            "about half: {}",
            text.len()
        );
    }

    let state = Arc::new(Mutex::new(spec.state.clone()));
    state.lock().unwrap().fault = Fault::Garbage;
    let mut shell = new_shell(&spec, state);
    let steps = shell.open(true);
    let Some(Step::Write(junk)) = steps.last() else {
        panic!("{steps:?}")
    };
    assert!(
        !junk.is_empty() && junk.iter().all(|b| !b.is_ascii_graphic()),
        "{junk:?}"
    );
    let (text, _) = send(&mut shell, "display version\r\n");
    assert!(!text.contains('<') && !text.contains("VRP"));
}

#[test]
fn dlink_and_qtech_write_cyrillic_as_cp1251() {
    for (kind, cmd) in [
        (Kind::DlinkDes, "show config current_config"),
        (Kind::Qtech, "show running-config"),
    ] {
        let (_spec, _state, mut shell) = device(kind, 5);
        shell.open(true);
        shell.input(b"terminal length 0\r\ndisable clipaging\r\n");
        let steps = shell.input(format!("{cmd}\r\n").as_bytes());
        let bytes: Vec<u8> = steps
            .iter()
            .flat_map(|s| {
                if let Step::Write(b) = s {
                    b.clone()
                } else {
                    vec![]
                }
            })
            .collect();
        // "Абонент" in cp1251.
        let needle = b"\xc0\xe1\xee\xed\xe5\xed\xf2";
        assert!(bytes.windows(needle.len()).any(|w| w == needle), "{kind:?}");
        assert!(
            std::str::from_utf8(&bytes).is_err(),
            "{kind:?} must not be UTF-8"
        );
    }
}

#[test]
fn samples_are_plausible_and_differ_per_index() {
    for kind in Kind::ALL {
        let a = sample_spec(kind, Transport::Ssh, 0);
        let b = sample_spec(kind, Transport::Ssh, 1);
        let lines = a.state.config.lines().count();
        assert!(
            (60..=300).contains(&lines),
            "{kind:?}: {lines} config lines"
        );
        assert!(
            (5..=40).contains(&a.state.mac_table.len())
                && (5..=40).contains(&b.state.mac_table.len())
        );
        assert_ne!(a.state.hostname, b.state.hostname);
        assert_ne!(a.state.config, b.state.config);
        assert_ne!(a.state.mac_table[0].mac, b.state.mac_table[0].mac);
        assert!(
            a.state.config.contains("community") || a.state.config.contains("password="),
            "{kind:?}"
        );
        assert_eq!(a.login, "admin");
        assert_eq!(a.password, "pw-0-secret");
    }
}

#[test]
fn unknown_commands_get_the_vendor_error_and_quit_closes() {
    let errors = [
        (Kind::HuaweiSmartax, "% Unknown command"),
        (Kind::HuaweiVrp, "Error: Unrecognized command"),
        (Kind::CiscoIos, "% Invalid input"),
        (Kind::DlinkDes, "Available commands:"),
        (Kind::Zyxel, "% Invalid command"),
        (Kind::Qtech, "% Invalid input"),
        (Kind::Mikrotik, "bad command name"),
        (Kind::ZteC300, "% Invalid input detected at '^' marker."),
    ];
    for (kind, err) in errors {
        let (_spec, _state, mut shell) = device(kind, 6);
        shell.open(true);
        let (text, _) = send(&mut shell, "frobnicate now\r\n");
        assert!(text.contains(err), "{kind:?}: {text:?}");
        let quit = if kind == Kind::DlinkDes {
            "logout"
        } else {
            "quit"
        };
        let (_, step) = send(&mut shell, &format!("{quit}\r\n"));
        assert_eq!(step, Some(Step::Close), "{kind:?}");
    }
}

#[test]
fn ssh_user_names_carry_console_options_only_on_mikrotik() {
    for kind in [Kind::Mikrotik, Kind::CiscoIos] {
        let (spec, state, _) = device(kind, 1);
        let pw = spec.password.clone();
        assert!(crate::shell::password_ok(&spec, &state, "admin", &pw));
        assert_eq!(
            crate::shell::password_ok(&spec, &state, "admin+ct", &pw),
            kind == Kind::Mikrotik,
            "{kind:?}"
        );
        assert!(!crate::shell::password_ok(&spec, &state, "admin+ct", "x"));
        assert!(!crate::shell::password_ok(&spec, &state, "root+ct", &pw));
    }
}

fn ppp(name: &str, mac: &str, n: u32, uptime_secs: u64, radius: bool) -> crate::shell::PppRow {
    crate::shell::PppRow {
        name: name.into(),
        service: "pppoe".into(),
        caller_id: mac.into(),
        address: format!("100.64.0.{}", n + 1),
        uptime_secs,
        session_id: format!("0x81C{n:05X}"),
        radius,
    }
}

#[test]
fn mikrotik_prints_ppp_sessions_in_detail_wrapped_at_80_columns() {
    let (_spec, state, mut shell, _) = telnet_login(Kind::Mikrotik);
    state.lock().unwrap().ppp_sessions = vec![
        ppp(
            "ivanov",
            "AA:BB:CC:DD:EE:FF",
            1,
            3 * 3600 + 2 * 60 + 1,
            true,
        ),
        ppp(
            "ooo-romashka-office-krasnaya-ploshchad-1@corp",
            "00:1E:58:00:00:02",
            2,
            45,
            false,
        ),
    ];
    let (out, _) = send(&mut shell, "/ppp active print detail without-paging\r\n");
    let expected = "Flags: R - RADIUS \r\n\
        \x200 R name=\"ivanov\" service=pppoe caller-id=\"AA:BB:CC:DD:EE:FF\" encoding=\"\" \r\n\
        \x20     address=100.64.0.2 uptime=3h2m1s session-id=0x81C00001 limit-bytes-in=0 \r\n\
        \x20     limit-bytes-out=0 radius=yes \r\n\r\n\
        \x201   name=\"ooo-romashka-office-krasnaya-ploshchad-1@corp\" service=pppoe \r\n\
        \x20     caller-id=\"00:1E:58:00:00:02\" encoding=\"\" address=100.64.0.3 uptime=45s \r\n\
        \x20     session-id=0x81C00002 limit-bytes-in=0 limit-bytes-out=0 radius=no \r\n\r\n";
    assert!(out.contains(expected), "{out}");
    for line in out.lines() {
        assert!(line.len() <= 80, "{line:?}");
    }
    // Without `without-paging` the same print; filtered by name, numbers kept.
    let (one, _) = send(
        &mut shell,
        "/ppp active print detail where name=\"ooo-romashka-office-krasnaya-ploshchad-1@corp\"\r\n",
    );
    assert!(
        one.contains(" 1   name=\"ooo-romashka") && !one.contains("ivanov"),
        "{one}"
    );
    let (none, _) = send(
        &mut shell,
        "/ppp active print detail where caller-id=00:00:00:00:00:01\r\n",
    );
    assert!(
        none.contains("Flags: R - RADIUS") && !none.contains("name="),
        "{none}"
    );
}

#[test]
fn single_mac_lookups_print_only_the_matching_rows_in_each_vendor_style() {
    let cases = [
        (
            Kind::CiscoIos,
            "show mac address-table address {dotted}",
            "Mac Address Table",
        ),
        (
            Kind::DlinkDes,
            "show fdb mac_address {DASHED}",
            "Total Entries: ",
        ),
        (
            Kind::HuaweiVrp,
            "display mac-address {huawei}",
            "Total items displayed = ",
        ),
        (
            Kind::Zyxel,
            "show mac address-table mac {colon}",
            "Port      VLAN ID",
        ),
        (
            Kind::Qtech,
            "show mac-address-table address {dashed}",
            "Read mac address table",
        ),
        (
            Kind::Mikrotik,
            "/interface bridge host print terse without-paging where mac-address={COLON}",
            "Flags: X - disabled",
        ),
    ];
    for (kind, form, header) in cases {
        let (_spec, state, mut shell, _) = telnet_login(kind);
        let (mac, other) = {
            let st = state.lock().unwrap();
            (st.mac_table[2].mac.clone(), st.mac_table[3].mac.clone())
        };
        let hex: String = mac.replace(':', "");
        let cmd = |m: &str| {
            let h: String = m.replace(':', "");
            form.replace(
                "{dotted}",
                &format!("{}.{}.{}", &h[0..4], &h[4..8], &h[8..12]),
            )
            .replace(
                "{huawei}",
                &format!("{}-{}-{}", &h[0..4], &h[4..8], &h[8..12]),
            )
            .replace("{DASHED}", &m.replace(':', "-").to_uppercase())
            .replace("{dashed}", &m.replace(':', "-"))
            .replace("{COLON}", &m.to_uppercase())
            .replace("{colon}", m)
        };
        let (found, _) = send(&mut shell, &format!("{}\r\n", cmd(&mac)));
        assert!(found.contains(header), "{kind:?}: {found}");
        let found_hex: String = found
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_hexdigit())
            .collect();
        assert!(found_hex.contains(&hex), "{kind:?}: {found}");
        let other_hex: String = other.replace(':', "");
        assert!(
            !found_hex.contains(&other_hex),
            "{kind:?} printed another row: {found}"
        );
        let (absent, _) = send(&mut shell, &format!("{}\r\n", cmd("02:00:00:00:00:99")));
        assert!(absent.contains(header), "{kind:?}: {absent}");
        let absent_hex: String = absent
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_hexdigit())
            .collect();
        assert!(
            !absent_hex.contains(&hex) && !absent_hex.contains(&other_hex),
            "{kind:?}: {absent}"
        );
    }
}
