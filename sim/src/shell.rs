//! The device model shared by every emulated CLI, and the [`Shell`] trait.
//!
//! A shell is a pure state machine: the transport (telnet or SSH) feeds it
//! the bytes the client typed and writes out what it returns. Faults that are
//! about *content* (wrong password, garbage, hang or disconnect mid-output)
//! are decided by the shell and expressed as [`Step`]s; `Fault::Slow` is
//! applied by the transport, which paces writes.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::gpon::{GponOlt, OltVendor};

/// The vendor dialect a simulated device speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Huawei SmartAX MA56xx OLT (MA5608T).
    HuaweiSmartax,
    /// Huawei VRP switch (S23xx/S53xx).
    HuaweiVrp,
    /// Cisco IOS switch (Catalyst).
    CiscoIos,
    /// D-Link DES-3xxx access switch.
    DlinkDes,
    /// Zyxel access switch (GS/MES/ES series).
    Zyxel,
    /// Qtech / Orion (QSW-xxxx) access switch.
    Qtech,
    /// MikroTik RouterOS (NAS / router).
    Mikrotik,
    /// ZTE ZXA10 C300/C320 GPON OLT (the sample prints model C320).
    ZteC300,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::HuaweiSmartax,
        Kind::HuaweiVrp,
        Kind::CiscoIos,
        Kind::DlinkDes,
        Kind::Zyxel,
        Kind::Qtech,
        Kind::Mikrotik,
        Kind::ZteC300,
    ];

    /// The same slug ispmon uses for its `Dialect` (e.g. `"cisco-ios"`).
    pub fn slug(self) -> &'static str {
        match self {
            Kind::HuaweiSmartax => "huawei-smartax",
            Kind::HuaweiVrp => "huawei-vrp",
            Kind::CiscoIos => "cisco-ios",
            Kind::DlinkDes => "dlink-des",
            Kind::Zyxel => "zyxel",
            Kind::Qtech => "qtech",
            Kind::Mikrotik => "mikrotik",
            Kind::ZteC300 => "zte-c300",
        }
    }
}

/// How the device is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Ssh,
    Telnet,
}

/// Misbehaviour to emulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fault {
    #[default]
    None,
    /// Every password is rejected (as if the stored credentials were wrong).
    WrongPassword,
    /// Logs in, then never sends a prompt or answers again.
    HangAfterLogin,
    /// Sends about half of a long output (the config), then stops, open.
    HangMidOutput,
    /// Sends about half of a long output, then closes the connection.
    DisconnectMidOutput,
    /// After login, answers everything with random non-text bytes, no prompt.
    Garbage,
    /// Everything works but output trickles (the transport writes small
    /// chunks with a delay of [`SLOW_CHUNK_DELAY`] between them).
    Slow,
}

/// Delay between chunks of [`SLOW_CHUNK_BYTES`] under `Fault::Slow`.
pub const SLOW_CHUNK_DELAY: Duration = Duration::from_millis(20);
pub const SLOW_CHUNK_BYTES: usize = 64;

/// One row of an emulated MAC address table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacRow {
    pub vlan: u16,
    /// Lower-case, colon-separated: `"00:1a:2b:3c:4d:5e"`. Shells print it in
    /// their vendor's own notation.
    pub mac: String,
    /// The port as the vendor names it (`"Gi0/1"`, `"1:5"`, `"GigabitEthernet0/0/3"`, `"5"`, `"ether2"`).
    pub port: String,
    pub dynamic: bool,
}

/// One active PPP session on a NAS (MikroTik `/ppp active print detail`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PppRow {
    /// The login (`"ivanov"`).
    pub name: String,
    /// `"pppoe"`.
    pub service: String,
    /// The subscriber's MAC as RouterOS prints it: `"AA:BB:CC:DD:EE:FF"`.
    pub caller_id: String,
    /// The address given to the subscriber (`"100.64.0.2"`).
    pub address: String,
    pub uptime_secs: u64,
    /// `"0x81C00001"`.
    pub session_id: String,
    /// Authenticated by RADIUS (the `R` flag) rather than a local secret.
    pub radius: bool,
}

/// The mutable state of one emulated device. Tests change it (e.g. edit the
/// config) through [`SimDevice::state`](crate::SimDevice) and the next
/// session sees the change.
#[derive(Debug, Clone, Default)]
pub struct DeviceState {
    pub hostname: String,
    /// The running configuration as the device prints it (without paging);
    /// shells inject volatile lines (timestamps, uptime) when printing.
    pub config: String,
    pub mac_table: Vec<MacRow>,
    pub model: String,
    pub firmware: String,
    /// Seconds since boot, for volatile lines; shells may bump it per print.
    pub uptime_secs: u64,
    pub fault: Fault,
    /// Active PPP sessions (a MikroTik NAS); empty on every other device.
    pub ppp_sessions: Vec<PppRow>,
    /// The GPON model of an OLT (SmartAX, ZTE); `None` on every other device.
    pub gpon: Option<GponOlt>,
    /// Per-command faults ([`DeviceState::fail_on`], [`DeviceState::hang_on`],
    /// [`DeviceState::drop_on`]); the first whose prefix matches strikes.
    pub command_faults: Vec<CommandFault>,
    /// Sessions and commands seen ([`DeviceState::stats`]).
    pub counters: Counters,
}

/// What a [`CommandFault`] does to a matching command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultAction {
    /// Answer this text (e.g. `"  Failure: System is busy"`) instead of running the command.
    Fail(String),
    /// Never answer (the session stays open, reads and drops input).
    Hang,
    /// Close the connection.
    Drop,
}

/// A fault keyed on the command's text: every command (words normalised,
/// `"display  ont"` → `"display ont"`) that starts with `prefix` gets `action`,
/// until [`DeviceState::clear_faults`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandFault {
    pub prefix: String,
    pub action: FaultAction,
    /// Strikes left; `None`: every time.
    pub left: Option<u32>,
}

/// How many command timestamps [`Counters`] keeps.
pub const COMMAND_TIMES_KEPT: usize = 10_000;

/// Raw counters, kept by every emulated CLI.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    pub sessions_opened: u64,
    pub sessions_open: u64,
    pub peak_open: u64,
    pub commands_total: u64,
    /// When the last [`COMMAND_TIMES_KEPT`] commands ran.
    pub command_times: VecDeque<Instant>,
}

/// A snapshot of [`Counters`] ([`DeviceState::stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Sessions (telnet connections, SSH shells) ever opened.
    pub sessions_opened: u64,
    /// Sessions open now.
    pub sessions_open: u64,
    /// The most sessions open at once.
    pub peak_open: u64,
    /// Commands run (non-empty lines at a prompt), faulted ones included.
    pub commands_total: u64,
    /// Commands run in the last 60 seconds.
    pub commands_last_minute: u64,
}

impl DeviceState {
    /// Commands starting with `prefix` answer `message` (a `Failure:` or `%Error` line).
    pub fn fail_on(&mut self, prefix: &str, message: &str) {
        self.add_fault(prefix, FaultAction::Fail(message.to_string()));
    }
    /// The next command starting with `prefix` answers `message`; later
    /// ones run (a transient refusal: the compensation's own `save` works).
    pub fn fail_once_on(&mut self, prefix: &str, message: &str) {
        self.add_fault(prefix, FaultAction::Fail(message.to_string()));
        if let Some(f) = self.command_faults.last_mut() {
            f.left = Some(1);
        }
    }
    /// Commands starting with `prefix` never answer.
    pub fn hang_on(&mut self, prefix: &str) {
        self.add_fault(prefix, FaultAction::Hang);
    }
    /// Commands starting with `prefix` drop the connection.
    pub fn drop_on(&mut self, prefix: &str) {
        self.add_fault(prefix, FaultAction::Drop);
    }
    /// Removes every per-command fault (the device-wide [`Fault`] stays).
    pub fn clear_faults(&mut self) {
        self.command_faults.clear();
    }
    fn add_fault(&mut self, prefix: &str, action: FaultAction) {
        let prefix = prefix.split_whitespace().collect::<Vec<_>>().join(" ");
        self.command_faults.push(CommandFault {
            prefix,
            action,
            left: None,
        });
    }
    /// The fault striking `cmd` (normalised words), if any; a counted one
    /// is used up.
    pub fn strike(&mut self, cmd: &str) -> Option<FaultAction> {
        let at = self
            .command_faults
            .iter()
            .position(|f| cmd.starts_with(&f.prefix))?;
        let f = &mut self.command_faults[at];
        let action = f.action.clone();
        if let Some(left) = f.left.as_mut() {
            *left = left.saturating_sub(1);
            if *left == 0 {
                self.command_faults.remove(at);
            }
        }
        Some(action)
    }
    /// Sessions and commands so far.
    pub fn stats(&self) -> Stats {
        let c = &self.counters;
        let now = Instant::now();
        let minute = Duration::from_secs(60);
        Stats {
            sessions_opened: c.sessions_opened,
            sessions_open: c.sessions_open,
            peak_open: c.peak_open,
            commands_total: c.commands_total,
            commands_last_minute: c
                .command_times
                .iter()
                .rev()
                .take_while(|t| now.duration_since(**t) < minute)
                .count() as u64,
        }
    }
    pub(crate) fn session_opened(&mut self) {
        let c = &mut self.counters;
        c.sessions_opened += 1;
        c.sessions_open += 1;
        c.peak_open = c.peak_open.max(c.sessions_open);
    }
    pub(crate) fn session_closed(&mut self) {
        self.counters.sessions_open = self.counters.sessions_open.saturating_sub(1);
    }
    pub(crate) fn command_ran(&mut self) {
        let c = &mut self.counters;
        c.commands_total += 1;
        if c.command_times.len() >= COMMAND_TIMES_KEPT {
            c.command_times.pop_front();
        }
        c.command_times.push_back(Instant::now());
    }
    /// The GPON model, created empty for `kind` if missing (an OLT spec built by hand).
    pub fn gpon_mut(&mut self) -> &mut GponOlt {
        self.gpon
            .get_or_insert_with(|| GponOlt::new(OltVendor::Huawei))
    }
}

/// What an emulated device is, before it is started.
#[derive(Debug, Clone)]
pub struct DeviceSpec {
    pub kind: Kind,
    pub transport: Transport,
    pub login: String,
    pub password: String,
    /// Enable / super password for dialects with a privileged mode.
    pub enable_password: Option<String>,
    /// Offer only legacy SSH algorithms (diffie-hellman-group1/14-sha1, ssh-rsa).
    pub legacy_ssh: bool,
    /// The terminal behaves as a Linux tty in canonical mode with echo on:
    /// CR and LF are each an Enter, and every byte is echoed the moment it
    /// arrives, even while a command's output is being printed (type-ahead
    /// sent with a command lands inside that command's output). Off, the
    /// device takes CR LF as one Enter and echoes a line as it reads it.
    pub echo_typeahead: bool,
    pub state: DeviceState,
}

impl DeviceSpec {
    /// A plausible device of `kind` with a generated config and MAC table
    /// (`index` varies hostname, addresses and MACs so fleets differ).
    pub fn sample(kind: Kind, transport: Transport, index: usize) -> Self {
        crate::shells::sample_spec(kind, transport, index)
    }
}

pub type SharedState = Arc<Mutex<DeviceState>>;

/// What a shell asks its transport to do next, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send these bytes to the client.
    Write(Vec<u8>),
    /// Stop reading and writing, keep the connection open (until the client
    /// gives up).
    Hang,
    /// Close the connection.
    Close,
    /// Pause this long before the next step (a slow `save` / `write`).
    Delay(Duration),
}

/// An emulated device CLI. One instance per connection.
pub trait Shell: Send {
    /// The connection opened. `authenticated` is true when the transport has
    /// already checked the password (SSH); the shell then starts with its
    /// banner and prompt, otherwise with its own login dialogue (telnet).
    fn open(&mut self, authenticated: bool) -> Vec<Step>;
    /// Bytes the client sent (telnet IAC already removed). May be partial
    /// lines, several lines, `\r\n`, `\r\0`, `\n` or single keys (paging).
    fn input(&mut self, bytes: &[u8]) -> Vec<Step>;
}

/// Creates the shell for one connection to a device.
pub fn new_shell(spec: &DeviceSpec, state: SharedState) -> Box<dyn Shell> {
    crate::shells::new_shell(spec, state)
}

/// The password check an SSH transport makes (honours `Fault::WrongPassword`;
/// the user name may carry MikroTik console options, as on the real gear).
pub fn password_ok(spec: &DeviceSpec, state: &SharedState, login: &str, password: &str) -> bool {
    let fault = state.lock().map(|s| s.fault).unwrap_or_default();
    fault != Fault::WrongPassword
        && crate::shells::account(spec.kind, login) == spec.login
        && password == spec.password
}
