//! The dialogue engine shared by SSH and telnet: log in, enter privileged
//! mode, turn paging off, run commands and cut their output out of the
//! screen. It talks to a [`Wire`] (bytes in, bytes out) and asks the
//! [`Dialect`] what prompts, pagers and errors look like.

use async_trait::async_trait;
use tokio::time::{timeout_at, Instant};

use super::transcript::Transcript;
use super::{CliError, Credentials, Stage, Timeouts};
use crate::cli::dialect::Dialect;
use crate::cli::text::{Decoder, NoiseMeter, Screen};

/// How much of the screen's end the dialect sees when looking for a pager.
const PAGER_TAIL: usize = 256;
/// A command may stream output for at most this many command timeouts.
const COMMAND_CAP_FACTOR: u32 = 10;
/// How long a bare prompt must stay the last thing on screen to end a
/// command that printed nothing else (see [`Engine::command`]).
const PROMPT_SETTLE: std::time::Duration = std::time::Duration::from_millis(250);
/// Enough bytes to judge as noise while output still flows; at a deadline
/// a smaller sample is judged.
const GARBAGE_MIN_STREAMING: usize = 512;
const GARBAGE_MIN_AT_DEADLINE: usize = 16;

/// A transport's byte stream, after its own negotiation (telnet options,
/// SSH channel). Implementations must not block forever on `send` either;
/// the engine puts a deadline on every call anyway.
#[async_trait]
pub(crate) trait Wire: Send {
    async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()>;
    /// The next bytes from the device; `Ok(None)` when it closed. Errors
    /// (reset, broken channel) count as the device closing.
    async fn recv(&mut self) -> std::io::Result<Option<Vec<u8>>>;
    async fn close(&mut self);
}

pub(crate) struct Engine {
    wire: Box<dyn Wire>,
    dialect: Dialect,
    timeouts: Timeouts,
    screen: Screen,
    noise: NoiseMeter,
    decoder: Decoder,
    pub(crate) transcript: Transcript,
    secrets: Vec<String>,
    /// The prompt seen after login (or enable), trimmed.
    prompt: Option<String>,
    /// The device echoed a command of this session: it echoes every one.
    echoes: bool,
}

impl Engine {
    pub(crate) fn new(
        wire: Box<dyn Wire>,
        dialect: Dialect,
        timeouts: Timeouts,
        creds: &Credentials,
        transcript: Transcript,
    ) -> Self {
        let mut secrets = vec![creds.password.clone()];
        secrets.extend(creds.enable_password.clone());
        secrets.retain(|s| !s.is_empty());
        Self {
            wire,
            dialect,
            timeouts,
            screen: Screen::new(),
            noise: NoiseMeter::default(),
            decoder: Decoder::default(),
            transcript,
            secrets,
            prompt: None,
            echoes: false,
        }
    }

    /// Login dialogue (if the device asks), enable, paging off.
    pub(crate) async fn start(&mut self, creds: &Credentials) -> Result<(), CliError> {
        self.login(creds).await?;
        self.enable(creds).await?;
        for &cmd in self.dialect.paging_off() {
            match self.command(cmd).await {
                Ok(_) | Err(CliError::Rejected { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn send(&mut self, bytes: &[u8], stage: &Stage) -> Result<(), CliError> {
        let deadline = Instant::now() + self.timeouts.command;
        match timeout_at(deadline, self.wire.send(bytes)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "send failed");
                Err(CliError::Closed {
                    stage: stage.clone(),
                })
            }
            Err(_) => Err(CliError::Timeout {
                stage: stage.clone(),
            }),
        }
    }

    /// Types `line` and presses the dialect's Enter (one keystroke).
    async fn send_line(&mut self, line: &str, stage: &Stage) -> Result<(), CliError> {
        self.transcript.sent(line);
        let bytes = [line.as_bytes(), self.dialect.enter()].concat();
        self.send(&bytes, stage).await
    }

    async fn send_secret(&mut self, secret: &str, stage: &Stage) -> Result<(), CliError> {
        self.transcript.sent_secret();
        let bytes = [secret.as_bytes(), self.dialect.enter()].concat();
        self.send(&bytes, stage).await
    }

    /// Reads one chunk into the screen, or fails with the stage's timeout,
    /// `Closed` or `Garbage`.
    async fn read_some(&mut self, stage: &Stage, deadline: Instant) -> Result<(), CliError> {
        if self.read_until(stage, deadline).await? {
            return Ok(());
        }
        Err(if self.noise.is_garbage(GARBAGE_MIN_AT_DEADLINE) {
            CliError::Garbage {
                stage: stage.clone(),
            }
        } else {
            CliError::Timeout {
                stage: stage.clone(),
            }
        })
    }

    /// Reads one chunk into the screen; `Ok(false)` when nothing came
    /// before `deadline`.
    async fn read_until(&mut self, stage: &Stage, deadline: Instant) -> Result<bool, CliError> {
        let got = match timeout_at(deadline, self.wire.recv()).await {
            Err(_) => return Ok(false),
            Ok(Ok(got)) => got,
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "receive failed");
                None
            }
        };
        let Some(bytes) = got else {
            return Err(CliError::Closed {
                stage: stage.clone(),
            });
        };
        let text = self.decoder.decode(&bytes);
        self.transcript.received(&text, &self.secrets);
        self.noise.feed(&bytes);
        self.screen.feed(&bytes);
        if self.noise.is_garbage(GARBAGE_MIN_STREAMING) {
            return Err(CliError::Garbage {
                stage: stage.clone(),
            });
        }
        Ok(true)
    }

    fn fresh_screen(&mut self) {
        self.screen.clear();
        self.noise.reset();
    }

    async fn login(&mut self, creds: &Credentials) -> Result<(), CliError> {
        let stage = Stage::Login;
        let deadline = Instant::now() + self.timeouts.login;
        let spec = self.dialect.login();
        let (mut sent_user, mut sent_password) = (false, false);
        loop {
            self.read_some(&stage, deadline).await?;
            if sent_password {
                let seen = self.screen.text().to_lowercase();
                if spec.failure_markers.iter().any(|m| seen.contains(m)) {
                    return Err(CliError::AuthFailed);
                }
            }
            let line = self.screen.current_line();
            let low = line.trim_end().to_lowercase();
            if spec.user_prompts.iter().any(|p| low.ends_with(p)) {
                if sent_password {
                    // Asked again after a password: it was refused.
                    return Err(CliError::AuthFailed);
                }
                self.fresh_screen();
                let name = self.dialect.login_name(&creds.login);
                self.send_line(&name, &stage).await?;
                sent_user = true;
            } else if spec.password_prompts.iter().any(|p| low.ends_with(p)) {
                if sent_password {
                    return Err(CliError::AuthFailed);
                }
                self.fresh_screen();
                self.send_secret(&creds.password, &stage).await?;
                sent_password = true;
            } else if self.dialect.is_prompt(&line) {
                tracing::debug!(sent_user, prompt = line.trim_end(), "logged in");
                self.prompt = Some(line.trim_end().to_owned());
                self.fresh_screen();
                return Ok(());
            }
        }
    }

    async fn enable(&mut self, creds: &Credentials) -> Result<(), CliError> {
        let Some(spec) = self.dialect.enable() else {
            return Ok(());
        };
        let prompt = self.prompt.clone().unwrap_or_default();
        if self.dialect.is_privileged_prompt(&prompt) {
            return Ok(());
        }
        let stage = Stage::Enable;
        let deadline = Instant::now() + self.timeouts.command;
        self.fresh_screen();
        self.send_line(spec.command, &stage).await?;
        let mut sent_password = false;
        loop {
            self.read_some(&stage, deadline).await?;
            let line = self.screen.current_line();
            let low = line.trim_end().to_lowercase();
            if low.ends_with(spec.password_prompt) {
                if sent_password {
                    return Err(enable_refused(spec.command, "enable password refused"));
                }
                let password = creds
                    .enable_password
                    .as_deref()
                    .unwrap_or(&creds.password)
                    .to_owned();
                self.fresh_screen();
                self.send_secret(&password, &stage).await?;
                sent_password = true;
            } else if self.dialect.is_privileged_prompt(&line) {
                self.prompt = Some(line.trim_end().to_owned());
                self.fresh_screen();
                return Ok(());
            } else if self.is_our_prompt(&line) {
                let said = self.dialect.command_error(self.screen.committed());
                let message = said.unwrap_or_else(|| "still unprivileged after enable".into());
                return Err(enable_refused(spec.command, &message));
            }
        }
    }

    /// Is `line` the device's prompt again (not a look-alike in the output)?
    fn is_our_prompt(&self, line: &str) -> bool {
        let line = line.trim_end();
        let Some(known) = &self.prompt else {
            return self.dialect.is_prompt(line);
        };
        if line == known {
            return true;
        }
        // A mode change keeps the host name: "sw1>" -> "sw1#", "sw1(config)#".
        let core = known
            .split('(')
            .next()
            .unwrap_or(known)
            .trim_matches(|c: char| !c.is_alphanumeric());
        self.dialect.is_prompt(line) && (core.is_empty() || line.contains(core))
    }

    /// Runs one command: its output between the echo and the next prompt.
    pub(crate) async fn command(&mut self, command: &str) -> Result<String, CliError> {
        let stage = Stage::Command(command.to_owned());
        let started = Instant::now();
        let cap = started + self.timeouts.command * COMMAND_CAP_FACTOR;
        self.fresh_screen();
        self.send_line(command, &stage).await?;
        // The screen's committed length when a question was last answered:
        // the same question is answered once.
        let mut answered: Option<usize> = None;
        'read: loop {
            // Each chunk restarts the silence timer, up to the cap.
            let deadline = (Instant::now() + self.timeouts.command).min(cap);
            self.read_some(&stage, deadline).await?;
            loop {
                let tail = self.screen.tail(PAGER_TAIL);
                if let Some(pager) = self.dialect.pager(&tail) {
                    self.screen.cut_tail(PAGER_TAIL, pager.start);
                    let shown = pager.answer.escape_debug().to_string();
                    self.transcript.sent(&shown);
                    self.send(pager.answer.as_bytes(), &stage).await?;
                    continue 'read;
                }
                let line = self.screen.current_line();
                if let Some(answer) = self.dialect.question(&line) {
                    let at = self.screen.committed().len();
                    if answered != Some(at) {
                        answered = Some(at);
                        self.send_line(answer, &stage).await?;
                    }
                    continue 'read;
                }
                if !self.is_our_prompt(&line) {
                    continue 'read;
                }
                if self.printed_something() {
                    break 'read;
                }
                // Only a prompt so far: a late extra prompt of the previous
                // command (an extra Enter), or a device that does not echo
                // and printed nothing. A device known to echo has not
                // answered yet: wait for its echo. Otherwise the echo
                // follows a stale prompt at once; if nothing follows
                // within a moment, this is the end.
                if self.echoes {
                    continue 'read;
                }
                let settle = (Instant::now() + PROMPT_SETTLE).min(cap);
                if !self.read_until(&stage, settle).await? {
                    break 'read;
                }
            }
        }
        let repeat = self.dialect.command_echo(command);
        let committed = self.screen.committed();
        self.echoes |= after_line(committed, |l| is_echo(l, command, repeat.as_deref())).is_some();
        let body = strip_echo(committed, command, repeat.as_deref());
        let output = self.strip_prompts(self.dialect.strip_question_block(&body, command));
        self.fresh_screen();
        tracing::debug!(command, bytes = output.len(), elapsed = ?started.elapsed(), "command done");
        match self.dialect.command_error(&output) {
            Some(message) => Err(CliError::Rejected {
                command: command.to_owned(),
                message,
            }),
            None => Ok(output),
        }
    }

    /// The committed text has a line that is neither blank nor a prompt.
    fn printed_something(&self) -> bool {
        self.screen
            .committed()
            .lines()
            .any(|l| !l.trim().is_empty() && !self.is_our_prompt(l))
    }

    /// Drops blank and prompt lines from the end of an output (an extra
    /// prompt printed for an extra Enter).
    fn strip_prompts(&self, output: &str) -> String {
        let mut lines: Vec<&str> = output.lines().collect();
        while lines
            .last()
            .is_some_and(|l| l.trim().is_empty() || self.is_our_prompt(l))
        {
            lines.pop();
        }
        let mut out = lines.join("\n");
        if !out.is_empty() {
            out.push('\n');
        }
        out
    }

    pub(crate) async fn close(&mut self) {
        let deadline = Instant::now() + self.timeouts.connect;
        let _ = timeout_at(deadline, self.wire.close()).await;
    }
}

fn enable_refused(command: &str, message: &str) -> CliError {
    CliError::Rejected {
        command: command.to_owned(),
        message: message.to_owned(),
    }
}

/// Drops the echoed command line (and blank lines before it) from the top
/// of a command's output, then the device's own repeat of the command
/// (`command_echo`, e.g. D-Link's `Command: show fdb`) and the blank lines
/// around it.
fn strip_echo(text: &str, command: &str, command_echo: Option<&str>) -> String {
    let command = command.trim();
    let is_echo =
        |line: &str| line.trim_end().ends_with(command) && Some(line.trim()) != command_echo;
    let mut rest = after_line(text, is_echo).unwrap_or(text);
    if let Some(repeat) = command_echo {
        if let Some(after) = after_line(rest, |line| line.trim() == repeat) {
            rest = after;
            while let Some((line, next)) = rest.split_once('\n') {
                if !line.trim().is_empty() {
                    break;
                }
                rest = next;
            }
        }
    }
    rest.to_owned()
}

/// Is `line` the terminal's echo of `command` (after a prompt)?
fn is_echo(line: &str, command: &str, command_echo: Option<&str>) -> bool {
    let command = command.trim();
    !command.is_empty() && line.trim_end().ends_with(command) && Some(line.trim()) != command_echo
}

/// The text after the first of its first three lines (blank lines before
/// it allowed) that `is_it` accepts.
fn after_line(text: &str, is_it: impl Fn(&str) -> bool) -> Option<&str> {
    let mut rest = text;
    for _ in 0..3 {
        let (line, after) = match rest.find('\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        if is_it(line) {
            return Some(after);
        }
        if !line.trim().is_empty() {
            return None;
        }
        rest = after;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::strip_echo;

    #[test]
    fn the_echo_is_stripped_and_the_rest_kept() {
        assert_eq!(
            strip_echo("show ver\nIOS 15\n", "show ver", None),
            "IOS 15\n"
        );
        assert_eq!(
            strip_echo("\nsw1#show ver\nIOS 15\n", "show ver", None),
            "IOS 15\n"
        );
        assert_eq!(strip_echo("IOS 15\n", "show ver", None), "IOS 15\n");
    }

    #[test]
    fn a_repeated_command_line_goes_with_the_echo() {
        let repeat = Some("Command: show fdb");
        let raw = "DES-1:admin#show   fdb\nCommand: show fdb\n\n  VID  Name\n\n1 x\n";
        assert_eq!(
            strip_echo(raw, "show   fdb", repeat),
            "  VID  Name\n\n1 x\n"
        );
        // Without the terminal echo, the repeat still goes.
        let raw = "Command: show fdb\n\nVID\n";
        assert_eq!(strip_echo(raw, "show fdb", repeat), "VID\n");
        // Output that merely mentions it further down is kept.
        let raw = "DES-1:admin#show fdb\nVID\nCommand: show fdb\n";
        assert_eq!(
            strip_echo(raw, "show fdb", repeat),
            "VID\nCommand: show fdb\n"
        );
    }
}
