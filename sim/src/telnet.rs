//! Telnet server carrying a [`Shell`](crate::Shell): announces WILL ECHO and
//! WILL SGA (the device echoes, character at a time), strips IAC commands
//! and subnegotiations from the input, turns the NVT's `\r\0` and `\r\n`
//! into one `\r`, doubles IAC bytes in the output.

use std::io;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::fleet::ShellFactory;
use crate::shell::{DeviceSpec, Fault, SharedState, Step, SLOW_CHUNK_BYTES, SLOW_CHUNK_DELAY};

const IAC: u8 = 255;
const WILL: u8 = 251;
const SB: u8 = 250;
const SE: u8 = 240;
const OPT_ECHO: u8 = 1;
const OPT_SGA: u8 = 3;

/// Serves telnet connections on `listener` until `cancel` fires.
pub async fn serve(
    listener: TcpListener,
    spec: DeviceSpec,
    state: SharedState,
    shells: ShellFactory,
    cancel: CancellationToken,
) {
    let spec = Arc::new(spec);
    accept_until_cancelled(&listener, &cancel, |stream| {
        let (spec, state, shells, cancel) = (
            Arc::clone(&spec),
            Arc::clone(&state),
            Arc::clone(&shells),
            cancel.clone(),
        );
        tokio::spawn(async move {
            tokio::select! {
                _ = cancel.cancelled() => {}
                r = session(stream, &spec, state, shells) => {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, "telnet session ended");
                    }
                }
            }
        });
    })
    .await;
}

/// Hands every connection accepted on `listener` to `on_accept` until
/// `cancel` fires (the accept loop of both servers); failed accepts are skipped.
pub(crate) async fn accept_until_cancelled(
    listener: &TcpListener,
    cancel: &CancellationToken,
    mut on_accept: impl FnMut(TcpStream),
) {
    loop {
        let accepted = tokio::select! {
            _ = cancel.cancelled() => return,
            a = listener.accept() => a,
        };
        if let Ok((stream, _)) = accepted {
            on_accept(stream);
        }
    }
}

async fn session(
    mut stream: TcpStream,
    spec: &DeviceSpec,
    state: SharedState,
    shells: ShellFactory,
) -> io::Result<()> {
    let _ = stream.set_nodelay(true);
    let mut shell = shells(spec, Arc::clone(&state));
    stream
        .write_all(&[IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA])
        .await?;
    let mut input = InputFilter::default();
    let mut buf = vec![0u8; 4096];
    let mut steps = shell.open(false);
    loop {
        for step in steps {
            match step {
                Step::Write(bytes) => {
                    write_paced(&mut stream, &escape(&bytes), &state).await?;
                }
                Step::Hang => return hang(stream).await,
                Step::Delay(d) => tokio::time::sleep(d).await,
                Step::Close => {
                    stream.shutdown().await?;
                    return Ok(());
                }
            }
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        let data = input.filter(&buf[..n]);
        steps = if data.is_empty() {
            Vec::new()
        } else {
            shell.input(&data)
        };
    }
}

/// Writes `bytes`, trickling them under `Fault::Slow` (emulated slowness:
/// chunks of [`SLOW_CHUNK_BYTES`] with [`SLOW_CHUNK_DELAY`] between).
pub(crate) async fn write_paced<W: AsyncWrite + Unpin>(
    w: &mut W,
    bytes: &[u8],
    state: &SharedState,
) -> io::Result<()> {
    let slow = state
        .lock()
        .map(|s| s.fault == Fault::Slow)
        .unwrap_or(false);
    if !slow {
        w.write_all(bytes).await?;
        return w.flush().await;
    }
    for (i, chunk) in bytes.chunks(SLOW_CHUNK_BYTES).enumerate() {
        if i > 0 {
            tokio::time::sleep(SLOW_CHUNK_DELAY).await;
        }
        w.write_all(chunk).await?;
        w.flush().await?;
    }
    Ok(())
}

/// Reads and drops everything until the client gives up.
pub(crate) async fn hang(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 1024];
    while stream.read(&mut buf).await? > 0 {}
    Ok(())
}

fn escape(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    for &b in data {
        out.push(b);
        if b == IAC {
            out.push(IAC);
        }
    }
    out
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum In {
    #[default]
    Data,
    Cr,
    Iac,
    Option,
    Sub,
    SubIac,
}

/// Removes telnet commands from client input and reads the NVT's ends of
/// line: `\r\0` and `\r\n` each become one `\r` (one Enter, RFC 854 and
/// RFC 1123 3.3.1); a bare `\n` is passed on.
#[derive(Debug, Default)]
struct InputFilter {
    state: In,
}

impl InputFilter {
    fn filter(&mut self, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len());
        for &b in input {
            self.state = match (self.state, b) {
                (In::Data | In::Cr, IAC) => In::Iac,
                (In::Cr, 0 | b'\n') => In::Data,
                (In::Data | In::Cr, b'\r') => {
                    out.push(b'\r');
                    In::Cr
                }
                (In::Data | In::Cr, b) => {
                    out.push(b);
                    In::Data
                }
                (In::Iac, IAC) => {
                    out.push(IAC);
                    In::Data
                }
                (In::Iac, 251..=254) => In::Option,
                (In::Iac, SB) => In::Sub,
                (In::Iac, _) | (In::Option, _) => In::Data,
                (In::Sub, IAC) => In::SubIac,
                (In::Sub, _) => In::Sub,
                (In::SubIac, SE) => In::Data,
                (In::SubIac, _) => In::Sub,
            };
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_filter_drops_commands_and_reads_nvt_ends_of_line() {
        let mut f = InputFilter::default();
        assert_eq!(f.filter(&[IAC, 253, 1, b'a', b'\r', 0, b'b']), b"a\rb");
        assert_eq!(f.filter(&[IAC, SB, 31, 0, 80, IAC, SE, b'c', IAC]), b"c");
        assert_eq!(f.filter(&[IAC, b'\r', b'\n']), vec![IAC, b'\r']);
        // CR LF split across reads is still one end of line.
        assert_eq!(f.filter(b"show run\r"), b"show run\r");
        assert_eq!(f.filter(b"\nx\n"), b"x\n");
    }
}
