//! TEMPORARY SHIM (transport branch) — DELETE AT MERGE.
//!
//! A minimal device shell so the transports can be tested before the
//! dialect shells land: Cisco-IOS-like for every kind, except Huawei SmartAX,
//! which gets its prompts, its `---- More ----` pager with cursor escapes and
//! its `Failure:` style. Mounted from `fleet.rs` with `#[path]`; at merge
//! delete this file and the marked lines in `fleet.rs` and
//! `bin/sim-shell.rs`, which then call `shell::new_shell` and
//! `DeviceSpec::sample`.

use rand::Rng;

use crate::shell::{
    DeviceSpec, DeviceState, Fault, Kind, MacRow, SharedState, Shell, Step, Transport,
};

struct Style {
    user_prompt: &'static str,
    password_prompt: &'static str,
    login_failed: &'static str,
    more: &'static str,
    /// Written after a pager answer to erase the pager prompt.
    more_erase: String,
    paging_off: &'static str,
    version: &'static str,
    config: &'static str,
    mac: &'static str,
    unknown: &'static str,
}

fn style(kind: Kind) -> Style {
    if kind == Kind::HuaweiSmartax {
        let more = "  ---- More ( Press 'Q' to break ) ----";
        Style {
            user_prompt: ">>User name:",
            password_prompt: ">>User password:",
            login_failed: "\r\n  Username or password invalid.\r\n",
            more,
            more_erase: format!(
                "\x1b[{n}D{}\x1b[{n}D",
                " ".repeat(more.len()),
                n = more.len()
            ),
            paging_off: "scroll",
            version: "display version",
            config: "display current-configuration",
            mac: "display mac-address all",
            unknown: "\r\n% Unknown command, the error locates at '^'\r\n",
        }
    } else {
        let more = " --More-- ";
        let back = "\x08".repeat(more.len());
        Style {
            user_prompt: "Username: ",
            password_prompt: "Password: ",
            login_failed: "\r\n% Login invalid\r\n\r\n",
            more,
            more_erase: format!("{back}{}{back}", " ".repeat(more.len())),
            paging_off: "terminal length 0",
            version: "show version",
            config: "show running-config",
            mac: "show mac address-table",
            unknown: "\r\n% Invalid input detected at '^' marker.\r\n",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    User,
    Password,
    Exec,
    EnablePassword,
    /// Lines left to page through.
    Paging,
    Dead,
}

struct ShimShell {
    spec: DeviceSpec,
    state: SharedState,
    style: Style,
    mode: Mode,
    typed: Vec<u8>,
    login: String,
    tries: u32,
    privileged: bool,
    paging: bool,
    pending: Vec<String>,
    last_cr: bool,
}

const PAGE_LINES: usize = 20;

pub fn new_shell(spec: &DeviceSpec, state: SharedState) -> Box<dyn Shell> {
    Box::new(ShimShell {
        spec: spec.clone(),
        state,
        style: style(spec.kind),
        mode: Mode::User,
        typed: Vec::new(),
        login: String::new(),
        tries: 0,
        privileged: false,
        paging: true,
        pending: Vec::new(),
        last_cr: false,
    })
}

pub fn sample_spec(kind: Kind, transport: Transport, index: usize) -> DeviceSpec {
    let hostname = if kind == Kind::HuaweiSmartax {
        format!("MA5608T-{index}")
    } else {
        format!("sw-{}-{index}", kind.slug())
    };
    let mut config = format!("!\r\nhostname {hostname}\r\n!\r\n");
    for port in 1..=24 {
        config.push_str(&format!(
            "interface GigabitEthernet0/{port}\r\n description client port {port} of {hostname}\r\n switchport access vlan {}\r\n!\r\n",
            100 + port
        ));
    }
    config.push_str("end\r\n");
    let mac_table = (1..=6)
        .map(|i| MacRow {
            vlan: 100 + i as u16,
            mac: format!("00:1a:2b:{:02x}:{:02x}:{:02x}", index % 256, i, i * 3),
            port: format!("Gi0/{i}"),
            dynamic: true,
        })
        .collect();
    DeviceSpec {
        kind,
        transport,
        login: "admin".into(),
        password: format!("pw-{index}"),
        enable_password: Some(format!("en-{index}")),
        legacy_ssh: false,
        state: DeviceState {
            hostname,
            config,
            mac_table,
            model: "WS-C2960-24TT-L".into(),
            firmware: "15.0(2)SE11".into(),
            uptime_secs: 1000,
            fault: Fault::None,
        },
    }
}

impl ShimShell {
    fn st(&self) -> DeviceState {
        self.state.lock().expect("device state").clone()
    }

    fn prompt(&self) -> String {
        let host = self.st().hostname;
        format!("\r\n{host}{}", if self.privileged { "#" } else { ">" })
    }

    fn logged_in(&mut self) -> Vec<Step> {
        self.mode = Mode::Exec;
        match self.st().fault {
            Fault::HangAfterLogin => {
                self.mode = Mode::Dead;
                vec![Step::Hang]
            }
            _ => vec![Step::Write(self.prompt().into_bytes())],
        }
    }

    fn line(&mut self, line: &str) -> Vec<Step> {
        match self.mode {
            Mode::User => {
                self.login = line.trim().to_owned();
                self.mode = Mode::Password;
                vec![Step::Write(
                    format!("\r\n{}", self.style.password_prompt).into_bytes(),
                )]
            }
            Mode::Password => {
                let ok = self.st().fault != Fault::WrongPassword
                    && self.login == self.spec.login
                    && line == self.spec.password;
                if ok {
                    return self.logged_in();
                }
                self.tries += 1;
                self.mode = Mode::User;
                let mut out = vec![Step::Write(self.style.login_failed.as_bytes().to_vec())];
                if self.tries >= 3 {
                    out.push(Step::Close);
                } else {
                    out.push(Step::Write(self.style.user_prompt.as_bytes().to_vec()));
                }
                out
            }
            Mode::EnablePassword => {
                self.mode = Mode::Exec;
                if Some(line) == self.spec.enable_password.as_deref() {
                    self.privileged = true;
                    vec![Step::Write(self.prompt().into_bytes())]
                } else {
                    let mut s = "\r\n% Access denied\r\n".to_owned();
                    s.push_str(&self.prompt());
                    vec![Step::Write(s.into_bytes())]
                }
            }
            Mode::Exec => self.command(line.trim()),
            Mode::Paging | Mode::Dead => vec![],
        }
    }

    fn command(&mut self, cmd: &str) -> Vec<Step> {
        let st = self.st();
        if st.fault == Fault::Garbage {
            let mut rng = rand::thread_rng();
            let noise: Vec<u8> = (0..300).map(|_| rng.gen()).collect();
            return vec![Step::Write(noise)];
        }
        let body = if cmd.is_empty() {
            String::new()
        } else if cmd == "enable" {
            if self.spec.kind == Kind::HuaweiSmartax || self.spec.enable_password.is_none() {
                self.privileged = true;
                String::new()
            } else {
                self.mode = Mode::EnablePassword;
                return vec![Step::Write(b"\r\nPassword: ".to_vec())];
            }
        } else if cmd == self.style.paging_off {
            self.paging = false;
            String::new()
        } else if cmd == self.style.version {
            format!(
                "Software, Version {}\r\n{} uptime is {} seconds\r\nModel number: {}\r\n",
                st.firmware, st.hostname, st.uptime_secs, st.model
            )
        } else if cmd == self.style.config {
            if !self.privileged {
                return self.reply(self.style.unknown.trim_start().to_owned());
            }
            let text = format!("Building configuration...\r\n\r\n{}", st.config);
            match st.fault {
                Fault::HangMidOutput | Fault::DisconnectMidOutput => {
                    let half = &text[..text.len() / 2];
                    self.mode = Mode::Dead;
                    let end = if st.fault == Fault::HangMidOutput {
                        Step::Hang
                    } else {
                        Step::Close
                    };
                    return vec![Step::Write(format!("\r\n{half}").into_bytes()), end];
                }
                _ => text,
            }
        } else if cmd == self.style.mac {
            let mut t = "Vlan    Mac Address       Type        Ports\r\n".to_owned();
            for r in &st.mac_table {
                let kind = if r.dynamic { "DYNAMIC" } else { "STATIC" };
                t.push_str(&format!(
                    "{:<7} {:<17} {:<11} {}\r\n",
                    r.vlan, r.mac, kind, r.port
                ));
            }
            t
        } else if cmd == "exit" || cmd == "quit" {
            return vec![Step::Close];
        } else {
            return self.reply(self.style.unknown.trim_start().to_owned());
        };
        self.reply(body)
    }

    /// Prints `body` after the echo's line end, paging it when paging is on.
    fn reply(&mut self, body: String) -> Vec<Step> {
        let lines: Vec<String> = body.split_inclusive("\r\n").map(str::to_owned).collect();
        if self.paging && lines.len() > PAGE_LINES {
            self.pending = lines[PAGE_LINES..].to_vec();
            self.mode = Mode::Paging;
            let first: String = lines[..PAGE_LINES].concat();
            return vec![Step::Write(
                format!("\r\n{first}{}", self.style.more).into_bytes(),
            )];
        }
        let mut out = format!("\r\n{body}");
        out.push_str(self.prompt().trim_start());
        vec![Step::Write(out.into_bytes())]
    }

    fn page_key(&mut self, key: u8) -> Vec<Step> {
        let mut out = self.style.more_erase.clone();
        let take = match key {
            b'q' | b'Q' | 0x03 => 0,
            b'\r' | b'\n' => 1,
            _ => PAGE_LINES,
        };
        if take == 0 {
            self.pending.clear();
        }
        let n = take.min(self.pending.len());
        out.extend(self.pending.drain(..n));
        if self.pending.is_empty() {
            self.mode = Mode::Exec;
            out.push_str(self.prompt().trim_start());
        } else {
            out.push_str(self.style.more);
        }
        vec![Step::Write(out.into_bytes())]
    }
}

impl Shell for ShimShell {
    fn open(&mut self, authenticated: bool) -> Vec<Step> {
        if authenticated {
            self.login = self.spec.login.clone();
            return self.logged_in();
        }
        let banner = format!(
            "\r\nUser Access Verification\r\n\r\n{}",
            self.style.user_prompt
        );
        vec![Step::Write(banner.into_bytes())]
    }

    fn input(&mut self, bytes: &[u8]) -> Vec<Step> {
        let mut out = Vec::new();
        for &b in bytes {
            if self.mode == Mode::Dead {
                break;
            }
            if self.mode == Mode::Paging {
                out.extend(self.page_key(b));
                continue;
            }
            let after_cr = std::mem::replace(&mut self.last_cr, b == b'\r');
            match b {
                b'\n' | 0 if after_cr => {}
                b'\r' | b'\n' => {
                    let line =
                        String::from_utf8_lossy(&std::mem::take(&mut self.typed)).into_owned();
                    out.extend(self.line(&line));
                }
                0x08 | 0x7f => {
                    if self.typed.pop().is_some() && self.echoes() {
                        out.push(Step::Write(b"\x08 \x08".to_vec()));
                    }
                }
                b if b < 0x20 => {}
                b => {
                    self.typed.push(b);
                    if self.echoes() {
                        out.push(Step::Write(vec![b]));
                    }
                }
            }
        }
        out
    }
}

impl ShimShell {
    fn echoes(&self) -> bool {
        !matches!(self.mode, Mode::Password | Mode::EnablePassword)
    }
}
