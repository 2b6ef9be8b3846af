//! The part every emulated CLI shares: line editing and echo, the telnet
//! login dialogue, the enable password, paging, faults, and output encoding.
//! A [`Vendor`] supplies the words (banner, prompts, pager, errors) and runs
//! commands.

use std::collections::VecDeque;

use rand::Rng;

use super::text::{crlf, encode_cp1251};

mod input;
use crate::shell::{DeviceState, Fault, FaultAction, SharedState, Shell, Step};

/// Lines shown per page while paging is on (a 24-line terminal).
pub(crate) const PAGE_LINES: usize = 23;

/// CLI mode; vendors keep their own sub-mode names in `Config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mode {
    User,
    Privileged,
    /// A configuration (sub)mode; the string is the vendor's prompt suffix,
    /// e.g. `"(config)"` or `"(config-if-gpon-0/1)"`.
    Config(String),
}

/// How a vendor's pager looks and how it is erased after a key.
pub(crate) struct PagerStyle {
    pub prompt: &'static str,
    /// Bytes sent after the key, before the next page (cursor escapes, backspaces).
    pub erase: fn(&str) -> String,
    /// The key that prints the rest without stopping (D-Link `a`, Zyxel `c`, MikroTik `D`).
    pub all_key: Option<u8>,
}

/// Pager erase: backspaces over the prompt, blanks, backspaces again (Cisco, Qtech, Zyxel).
pub(crate) fn backspace_erase(prompt: &str) -> String {
    let n = prompt.len();
    format!("{}{}{}", "\x08".repeat(n), " ".repeat(n), "\x08".repeat(n))
}

/// Pager erase: back to the line start, blank the pager line, back again (D-Link, MikroTik).
pub(crate) fn line_erase(prompt: &str) -> String {
    format!("\r{}\r", " ".repeat(prompt.len()))
}

/// Pager erase: cursor back over the pager, blank it, cursor back again (Huawei).
pub(crate) fn cursor_erase(prompt: &str) -> String {
    let n = prompt.len();
    format!("\x1b[{n}D{}\x1b[{n}D", " ".repeat(n))
}

/// The `host>` / `host#` / `host(config-if)#` prompt of IOS-like CLIs.
pub(crate) fn host_prompt(st: &DeviceState, mode: &Mode) -> String {
    match mode {
        Mode::User => format!("{}>", st.hostname),
        Mode::Privileged => format!("{}#", st.hostname),
        Mode::Config(sub) => format!("{}{}#", st.hostname, sub),
    }
}

/// A rejected command: a caret under the first argument (or the command
/// word itself) as typed after a prompt `prompt_len` long, then the vendor's
/// `message` line(s).
pub(crate) fn caret_error(cmd: &str, prompt_len: usize, message: &str) -> String {
    let caret = prompt_len + cmd.find(' ').map_or(0, |i| i + 1);
    format!("{}^\n{message}", " ".repeat(caret))
}

/// Text a command prints.
pub(crate) struct Output {
    pub text: String,
    /// Long output: paged while paging is on.
    pub pageable: bool,
    /// The config print: where the mid-output faults strike.
    pub config: bool,
}

pub(crate) enum Reply {
    Out(Output),
    /// Ask for the enable password with this prompt; on success enter `to`,
    /// on failure print `failed`.
    AskEnable {
        prompt: &'static str,
        to: Mode,
        failed: &'static str,
    },
    /// Print the text and close the connection.
    Close(String),
    /// Huawei's parameter question (`{ <cr>|sort-by<K> }:`): print it, wait
    /// for a line (the Enter), then go on with `then`.
    Ask {
        question: String,
        then: Box<Reply>,
    },
    /// Print `first`, pause `delay` (a slow save), then go on with `then`.
    Slow {
        first: String,
        delay: std::time::Duration,
        then: Box<Reply>,
    },
}

impl Reply {
    pub fn text(text: impl Into<String>) -> Reply {
        Reply::Out(Output {
            text: text.into(),
            pageable: false,
            config: false,
        })
    }
    pub fn long(text: impl Into<String>) -> Reply {
        Reply::Out(Output {
            text: text.into(),
            pageable: true,
            config: false,
        })
    }
    pub fn config(text: impl Into<String>, pageable: bool) -> Reply {
        Reply::Out(Output {
            text: text.into(),
            pageable,
            config: true,
        })
    }
    /// The config print: the device clock moves on (so the vendor's volatile
    /// header differs from the last print), then `header` and the config.
    pub fn config_print(
        st: &mut DeviceState,
        pageable: bool,
        header: impl FnOnce(&DeviceState) -> String,
    ) -> Reply {
        st.uptime_secs += 7;
        Reply::config(format!("{}{}", header(st), st.config), pageable)
    }
}

/// What a command may change besides the device state.
pub(crate) struct Ctx<'a> {
    pub st: &'a mut DeviceState,
    pub mode: &'a mut Mode,
    /// `None` once paging is disabled; otherwise lines per page.
    pub page: &'a mut Option<usize>,
}

/// One vendor's words and commands.
pub(crate) trait Vendor: Send {
    /// Printed on a telnet connection before the first user-name prompt.
    fn telnet_banner(&self, st: &DeviceState) -> String;
    fn user_prompt(&self) -> &'static str;
    fn password_prompt(&self) -> &'static str;
    /// Printed after a rejected password, before the user prompt again.
    fn login_failed(&self) -> &'static str;
    /// Printed after the third rejected password, before closing.
    fn too_many_failures(&self) -> &'static str {
        ""
    }
    /// Printed after a successful login (and on SSH), before the first prompt.
    fn welcome(&self, st: &DeviceState) -> String;
    /// The mode after login; by default unprivileged only when there is an
    /// enable password to ask for.
    fn first_mode(&self, has_enable_password: bool) -> Mode {
        if has_enable_password {
            Mode::User
        } else {
            Mode::Privileged
        }
    }
    fn prompt(&self, st: &DeviceState, mode: &Mode) -> String;
    fn pager(&self) -> PagerStyle;
    /// Legacy gear speaks cp1251.
    fn cp1251(&self) -> bool {
        false
    }
    /// The account name in what was typed at the user prompt (MikroTik strips `+ct`).
    fn account<'a>(&self, typed: &'a str) -> &'a str {
        typed
    }
    /// Shown after the command line's echo, before the output (D-Link's `Command: ...`).
    fn command_echo(&self, _cmd: &str) -> String {
        String::new()
    }
    fn execute(&mut self, cmd: &str, ctx: &mut Ctx) -> Reply;
}

enum Phase {
    Closed,
    User,
    Password {
        user: String,
    },
    Command,
    EnablePassword {
        to: Mode,
        failed: &'static str,
    },
    Paging {
        rest: VecDeque<String>,
    },
    /// Waiting for the Enter that answers a parameter question.
    Param {
        then: Box<Reply>,
    },
    Garbage,
    Dead,
}

/// A [`Shell`] driven by a [`Vendor`].
pub(crate) struct Engine<V: Vendor> {
    vendor: V,
    state: SharedState,
    login: String,
    password: String,
    enable_password: Option<String>,
    phase: Phase,
    mode: Mode,
    page: Option<usize>,
    line: Vec<u8>,
    last_cr: bool,
    failures: u32,
    /// A Linux-like tty in front of the CLI ([`DeviceSpec::echo_typeahead`](crate::DeviceSpec)).
    tty: bool,
    /// Counted in the device's open sessions.
    opened: bool,
}

impl<V: Vendor> Drop for Engine<V> {
    fn drop(&mut self) {
        if self.opened {
            self.lock().session_closed();
        }
    }
}

impl<V: Vendor> Engine<V> {
    pub fn new(vendor: V, spec: &crate::shell::DeviceSpec, state: SharedState) -> Self {
        let mode = vendor.first_mode(spec.enable_password.is_some());
        Engine {
            vendor,
            state,
            login: spec.login.clone(),
            password: spec.password.clone(),
            enable_password: spec.enable_password.clone(),
            phase: Phase::Closed,
            mode,
            page: Some(PAGE_LINES),
            line: Vec::new(),
            last_cr: false,
            failures: 0,
            tty: spec.echo_typeahead,
            opened: false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DeviceState> {
        match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    fn snapshot(&self) -> DeviceState {
        match self.state.lock() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn fault(&self) -> Fault {
        self.state.lock().map(|s| s.fault).unwrap_or_default()
    }

    fn encode(&self, text: &str) -> Vec<u8> {
        let text = crlf(text);
        if self.vendor.cp1251() {
            encode_cp1251(&text)
        } else {
            text.into_bytes()
        }
    }

    fn write(&self, out: &mut Vec<Step>, text: &str) {
        if !text.is_empty() {
            out.push(Step::Write(self.encode(text)));
        }
    }

    fn prompt(&self, out: &mut Vec<Step>) {
        let st = self.snapshot();
        self.write(out, &self.vendor.prompt(&st, &self.mode));
    }

    /// Login done: welcome text, then the prompt unless a fault says otherwise.
    fn logged_in(&mut self, out: &mut Vec<Step>) {
        let st = self.snapshot();
        self.write(out, &self.vendor.welcome(&st));
        match self.fault() {
            Fault::HangAfterLogin => {
                self.phase = Phase::Dead;
                out.push(Step::Hang);
            }
            Fault::Garbage => {
                self.phase = Phase::Garbage;
                out.push(Step::Write(garbage()));
            }
            _ => {
                self.phase = Phase::Command;
                self.prompt(out);
            }
        }
    }

    fn on_line(&mut self, line: String, out: &mut Vec<Step>) {
        match std::mem::replace(&mut self.phase, Phase::Command) {
            Phase::User => {
                self.phase = Phase::Password { user: line };
                self.write(out, self.vendor.password_prompt());
            }
            Phase::Password { user } => {
                let ok = self.fault() != Fault::WrongPassword
                    && self.vendor.account(user.trim()) == self.login
                    && line == self.password;
                if ok {
                    self.logged_in(out);
                } else {
                    self.failures += 1;
                    self.write(out, self.vendor.login_failed());
                    if self.failures >= 3 {
                        self.write(out, self.vendor.too_many_failures());
                        self.phase = Phase::Dead;
                        out.push(Step::Close);
                    } else {
                        self.phase = Phase::User;
                        self.write(out, self.vendor.user_prompt());
                    }
                }
            }
            Phase::EnablePassword { to, failed } => {
                if self.enable_password.as_deref() == Some(line.as_str()) {
                    self.mode = to;
                } else {
                    self.write(out, failed);
                }
                self.prompt(out);
            }
            Phase::Command => {
                self.command(line.trim(), out);
            }
            Phase::Param { then } => {
                // The answer's text was echoed as typed; the device goes on.
                self.reply(*then, out);
            }
            other => self.phase = other,
        }
    }

    fn command(&mut self, cmd: &str, out: &mut Vec<Step>) {
        if cmd.is_empty() {
            self.prompt(out);
            return;
        }
        if self.fault() == Fault::Garbage {
            self.phase = Phase::Garbage;
            out.push(Step::Write(garbage()));
            return;
        }
        self.write(out, &self.vendor.command_echo(cmd));
        let reply = {
            let mut guard = match self.state.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            guard.command_ran();
            let words = super::words(cmd);
            match guard.strike(&words) {
                Some(FaultAction::Fail(text)) => {
                    let mut text = text;
                    if !text.ends_with('\n') {
                        text.push('\n');
                    }
                    Reply::text(text)
                }
                Some(FaultAction::Hang) => {
                    drop(guard);
                    self.phase = Phase::Dead;
                    out.push(Step::Hang);
                    return;
                }
                Some(FaultAction::Drop) => {
                    drop(guard);
                    self.phase = Phase::Dead;
                    out.push(Step::Close);
                    return;
                }
                None => {
                    let mut ctx = Ctx {
                        st: &mut guard,
                        mode: &mut self.mode,
                        page: &mut self.page,
                    };
                    self.vendor.execute(cmd, &mut ctx)
                }
            }
        };
        self.reply(reply, out);
    }

    fn reply(&mut self, reply: Reply, out: &mut Vec<Step>) {
        match reply {
            Reply::Close(text) => {
                self.write(out, &text);
                self.phase = Phase::Dead;
                out.push(Step::Close);
            }
            Reply::AskEnable { prompt, to, failed } => {
                if self.enable_password.is_none() {
                    self.mode = to;
                    self.prompt(out);
                } else {
                    self.phase = Phase::EnablePassword { to, failed };
                    self.write(out, prompt);
                }
            }
            Reply::Out(output) => self.output(output, out),
            Reply::Ask { question, then } => {
                self.write(out, &question);
                self.phase = Phase::Param { then };
            }
            Reply::Slow { first, delay, then } => {
                self.write(out, &first);
                if !delay.is_zero() {
                    out.push(Step::Delay(delay));
                }
                self.reply(*then, out);
            }
        }
    }

    fn output(&mut self, output: Output, out: &mut Vec<Step>) {
        let fault = self.fault();
        if output.config && matches!(fault, Fault::HangMidOutput | Fault::DisconnectMidOutput) {
            let bytes = self.encode(&output.text);
            out.push(Step::Write(bytes[..bytes.len() / 2].to_vec()));
            self.phase = Phase::Dead;
            out.push(if fault == Fault::HangMidOutput {
                Step::Hang
            } else {
                Step::Close
            });
            return;
        }
        let mut lines: VecDeque<String> = output.text.lines().map(str::to_string).collect();
        match self.page {
            Some(page) if output.pageable && lines.len() > page => {
                let first: Vec<String> = lines.drain(..page).collect();
                self.write(out, &join_lines(&first));
                self.write(out, self.vendor.pager().prompt);
                self.phase = Phase::Paging { rest: lines };
            }
            _ => {
                self.write(out, &output.text);
                if !output.text.is_empty() && !output.text.ends_with('\n') {
                    self.write(out, "\n");
                }
                self.prompt(out);
            }
        }
    }

    /// A key while the pager is showing.
    fn on_page_key(&mut self, key: u8, out: &mut Vec<Step>) {
        let Phase::Paging { rest } = &mut self.phase else {
            return;
        };
        let pager = self.vendor.pager();
        let take = match key {
            b' ' | b'n' => PAGE_LINES,
            b'\r' | b'\n' => 1,
            b'q' | b'Q' | 0x1b | 0x03 => 0,
            k if Some(k) == pager.all_key => usize::MAX,
            _ => return,
        };
        let mut text = (pager.erase)(pager.prompt);
        if take == 0 {
            rest.clear();
            text.push('\n');
        }
        let chunk: Vec<String> = rest.drain(..take.min(rest.len())).collect();
        text.push_str(&join_lines(&chunk));
        let more = !rest.is_empty();
        self.write(out, &text);
        if more {
            self.write(out, pager.prompt);
        } else {
            self.phase = Phase::Command;
            self.prompt(out);
        }
    }

    fn echoes(&self) -> bool {
        matches!(
            self.phase,
            Phase::User | Phase::Command | Phase::Param { .. }
        )
    }
}

fn join_lines(lines: &[String]) -> String {
    let mut s = String::new();
    for l in lines {
        s.push_str(l);
        s.push('\n');
    }
    s
}

/// Random bytes that are neither text nor anything a prompt could be made of.
fn garbage() -> Vec<u8> {
    let mut rng = rand::thread_rng();
    let n = rng.gen_range(16..64);
    (0..n)
        .map(|_| loop {
            let b: u8 = rng.gen();
            let text = (0x20..0x7f).contains(&b)
                || matches!(b, b'\r' | b'\n' | b'\t' | 0x1b | 0x00 | 0xff);
            if !text {
                break b;
            }
        })
        .collect()
}

impl<V: Vendor> Shell for Engine<V> {
    fn open(&mut self, authenticated: bool) -> Vec<Step> {
        let mut out = Vec::new();
        if !self.opened {
            self.opened = true;
            self.lock().session_opened();
        }
        if authenticated {
            self.logged_in(&mut out);
        } else {
            let st = self.snapshot();
            self.write(&mut out, &self.vendor.telnet_banner(&st));
            self.write(&mut out, self.vendor.user_prompt());
            self.phase = Phase::User;
        }
        out
    }

    fn input(&mut self, bytes: &[u8]) -> Vec<Step> {
        let mut out = Vec::new();
        if self.tty {
            self.tty_input(bytes, &mut out);
        } else {
            self.feed(bytes, true, &mut out);
        }
        out
    }
}
