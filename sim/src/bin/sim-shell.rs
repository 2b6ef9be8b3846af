//! Runs one emulated device shell over stdin/stdout, already authenticated —
//! for use as an OpenSSH `ForceCommand`, so ispmon's SSH client can be
//! tested against a real sshd.
//!
//! Usage: `sim-shell --kind cisco-ios [--index N]`

use std::io::{self, Read, Write};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use ispmon_sim::{DeviceSpec, Kind, Step, Transport};

fn main() -> ExitCode {
    let (kind, index) = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(msg) => {
            eprintln!(
                "sim-shell: {msg}\nusage: sim-shell --kind <{}> [--index N]",
                slugs()
            );
            return ExitCode::from(2);
        }
    };
    let spec = DeviceSpec::sample(kind, Transport::Ssh, index);
    let state = Arc::new(Mutex::new(spec.state.clone()));
    let mut shell = ispmon_sim::shell::new_shell(&spec, state);
    let _raw = RawTerminal::enter();
    match run(shell.as_mut()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sim-shell: {e}");
            ExitCode::FAILURE
        }
    }
}

fn slugs() -> String {
    Kind::ALL.map(Kind::slug).join("|")
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<(Kind, usize), String> {
    let (mut kind, mut index) = (None, 0);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--kind" => {
                let v = args.next().ok_or("--kind needs a value")?;
                kind = Some(
                    Kind::ALL
                        .into_iter()
                        .find(|k| k.slug() == v)
                        .ok_or(format!("unknown kind {v:?}"))?,
                );
            }
            "--index" => {
                let v = args.next().ok_or("--index needs a value")?;
                index = v.parse().map_err(|_| format!("bad index {v:?}"))?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok((kind.ok_or("--kind is required")?, index))
}

fn run(shell: &mut dyn ispmon_sim::Shell) -> io::Result<()> {
    let mut stdin = io::stdin().lock();
    let mut stdout = io::stdout().lock();
    let mut steps = shell.open(true);
    let mut buf = [0u8; 4096];
    loop {
        for step in steps {
            match step {
                Step::Write(bytes) => {
                    stdout.write_all(&bytes)?;
                    stdout.flush()?;
                }
                Step::Hang => {
                    while stdin.read(&mut buf)? > 0 {}
                    return Ok(());
                }
                Step::Close => return Ok(()),
                Step::Delay(d) => std::thread::sleep(d),
            }
        }
        let n = stdin.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        steps = shell.input(&buf[..n]);
    }
}

/// Puts the terminal (sshd's pty) in raw mode — no line discipline echo,
/// no CR/LF translation — as a device's own CLI has it; restores on drop.
struct RawTerminal {
    saved: Option<libc::termios>,
}

impl RawTerminal {
    fn enter() -> Self {
        // SAFETY: plain termios calls on fd 0 with a zeroed, then filled,
        // struct; failures (not a tty) leave the terminal untouched.
        unsafe {
            if libc::isatty(0) != 1 {
                return Self { saved: None };
            }
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return Self { saved: None };
            }
            let saved = t;
            libc::cfmakeraw(&mut t);
            if libc::tcsetattr(0, libc::TCSANOW, &t) != 0 {
                return Self { saved: None };
            }
            Self { saved: Some(saved) }
        }
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        if let Some(t) = self.saved {
            // SAFETY: restores the attributes read in `enter`.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, &t);
            }
        }
    }
}
