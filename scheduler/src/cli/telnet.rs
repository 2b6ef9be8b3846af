//! Telnet transport (RFC 854 with the ECHO and SUPPRESS-GO-AHEAD options,
//! RFC 857/858): option negotiation, subnegotiation skipped, IAC IAC
//! escaping both ways, a lone CR sent as CR NUL. The server may echo (it
//! usually does).

use std::collections::HashSet;
use std::io;

use async_trait::async_trait;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::session::engine::Wire;
use super::session::{CliError, Target, Timeouts, Transcript};

pub(crate) const IAC: u8 = 255;
pub(crate) const DONT: u8 = 254;
pub(crate) const DO: u8 = 253;
pub(crate) const WONT: u8 = 252;
pub(crate) const WILL: u8 = 251;
pub(crate) const SB: u8 = 250;
pub(crate) const SE: u8 = 240;
pub(crate) const OPT_ECHO: u8 = 1;
pub(crate) const OPT_SGA: u8 = 3;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    #[default]
    Data,
    Iac,
    /// After IAC and one of WILL/WONT/DO/DONT.
    Option(u8),
    /// Inside IAC SB ... (skipped).
    Sub,
    SubIac,
}

/// The client side of telnet option negotiation and data framing, without
/// I/O: bytes in, data and replies out.
#[derive(Debug, Default)]
pub(crate) struct Negotiator {
    state: State,
    /// Options the server does (we said DO).
    remote: HashSet<u8>,
    /// Options we do (we said WILL).
    local: HashSet<u8>,
}

impl Negotiator {
    /// Splits received bytes into data and the negotiation replies to send.
    pub(crate) fn receive(&mut self, input: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let mut data = Vec::with_capacity(input.len());
        let mut replies = Vec::new();
        for &b in input {
            self.state = match (self.state, b) {
                (State::Data, IAC) => State::Iac,
                (State::Data, b) => {
                    data.push(b);
                    State::Data
                }
                (State::Iac, IAC) => {
                    data.push(IAC);
                    State::Data
                }
                (State::Iac, WILL | WONT | DO | DONT) => State::Option(b),
                (State::Iac, SB) => State::Sub,
                // NOP, GA, data mark, break, ...: nothing to do.
                (State::Iac, _) => State::Data,
                (State::Option(cmd), opt) => {
                    self.answer(cmd, opt, &mut replies);
                    State::Data
                }
                (State::Sub, IAC) => State::SubIac,
                (State::Sub, _) => State::Sub,
                (State::SubIac, SE) => State::Data,
                (State::SubIac, _) => State::Sub,
            };
        }
        (data, replies)
    }

    /// Accept the server's ECHO and SGA, our SGA; refuse everything else.
    /// Only state changes are answered, so negotiation cannot loop.
    fn answer(&mut self, cmd: u8, opt: u8, out: &mut Vec<u8>) {
        let accept = matches!(opt, OPT_ECHO | OPT_SGA);
        let reply = match cmd {
            WILL if accept => self.remote.insert(opt).then_some(DO),
            WILL => Some(DONT),
            WONT => self.remote.remove(&opt).then_some(DONT),
            DO if opt == OPT_SGA => self.local.insert(opt).then_some(WILL),
            DO => Some(WONT),
            DONT => self.local.remove(&opt).then_some(WONT),
            _ => None,
        };
        if let Some(r) = reply {
            out.extend_from_slice(&[IAC, r, opt]);
        }
    }
}

/// Outgoing data in NVT form: every IAC byte doubled, and a CR that is not
/// the start of CR LF sent as CR NUL (RFC 854: "the sequence CR NUL must
/// be used where a carriage return alone is actually desired"). A server
/// takes CR NUL as the Enter key; one that ignores the NVT rule sees a CR
/// and a NUL it drops, where CR LF could be two Enters.
pub(crate) fn nvt_encode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 2);
    for (i, &b) in data.iter().enumerate() {
        out.push(b);
        match b {
            IAC => out.push(IAC),
            b'\r' if data.get(i + 1) != Some(&b'\n') => out.push(0),
            _ => {}
        }
    }
    out
}

struct TelnetWire {
    stream: TcpStream,
    negotiator: Negotiator,
    buf: Vec<u8>,
}

#[async_trait]
impl Wire for TelnetWire {
    async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(&nvt_encode(bytes)).await
    }

    async fn recv(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            let n = self.stream.read(&mut self.buf).await?;
            if n == 0 {
                return Ok(None);
            }
            let (data, replies) = self.negotiator.receive(&self.buf[..n]);
            if !replies.is_empty() {
                self.stream.write_all(&replies).await?;
            }
            if !data.is_empty() {
                return Ok(Some(data));
            }
        }
    }

    async fn close(&mut self) {
        let _ = self.stream.shutdown().await;
    }
}

/// Opens the TCP connection; the login dialogue is the engine's.
pub(crate) async fn open(
    target: &Target,
    timeouts: &Timeouts,
    transcript: &mut Transcript,
) -> Result<Box<dyn Wire>, CliError> {
    let addr = (target.host.as_str(), target.port);
    let stream = match timeout(timeouts.connect, TcpStream::connect(addr)).await {
        Err(_) => {
            return Err(CliError::Timeout {
                stage: super::session::Stage::Connect,
            })
        }
        Ok(Err(e)) => return Err(CliError::Connect(e.to_string())),
        Ok(Ok(s)) => s,
    };
    let _ = stream.set_nodelay(true);
    transcript.note(format!("telnet {}:{}", target.host, target.port));
    Ok(Box::new(TelnetWire {
        stream,
        negotiator: Negotiator::default(),
        buf: vec![0; 16 * 1024],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_and_sga_are_accepted_others_refused_once() {
        let mut n = Negotiator::default();
        let (data, replies) = n.receive(&[IAC, WILL, OPT_ECHO, b'h', IAC, WILL, OPT_SGA, b'i']);
        assert_eq!(data, b"hi");
        assert_eq!(replies, vec![IAC, DO, OPT_ECHO, IAC, DO, OPT_SGA]);
        // Repeated WILL ECHO is not answered again (no loops).
        let (_, replies) = n.receive(&[IAC, WILL, OPT_ECHO]);
        assert!(replies.is_empty());
        // Terminal type (24) and NAWS (31) are refused.
        let (_, replies) = n.receive(&[IAC, DO, 24, IAC, DO, 31, IAC, WILL, 5]);
        assert_eq!(replies, vec![IAC, WONT, 24, IAC, WONT, 31, IAC, DONT, 5]);
    }

    #[test]
    fn iac_split_across_reads_subnegotiation_and_escaped_ff() {
        let mut n = Negotiator::default();
        let (d1, _) = n.receive(&[b'a', IAC]);
        let (d2, r2) = n.receive(&[WILL]);
        let (d3, r3) = n.receive(&[OPT_ECHO, b'b']);
        assert_eq!((d1, d2, d3), (b"a".to_vec(), vec![], b"b".to_vec()));
        assert!(r2.is_empty());
        assert_eq!(r3, vec![IAC, DO, OPT_ECHO]);
        let (d, r) = n.receive(&[IAC, SB, 24, 1, IAC, SE, b'x', IAC, IAC, b'y']);
        assert_eq!(d, vec![b'x', IAC, b'y']);
        assert_eq!(
            r,
            Vec::<u8>::new(),
            "a subnegotiation is skipped, not answered"
        );
        assert_eq!(nvt_encode(&[1, IAC, 2]), vec![1, IAC, IAC, 2]);
    }

    #[test]
    fn a_lone_cr_goes_out_as_cr_nul_and_cr_lf_is_left_alone() {
        assert_eq!(nvt_encode(b"show run\r"), b"show run\r\0");
        assert_eq!(nvt_encode(b"a\rb"), b"a\r\0b");
        assert_eq!(nvt_encode(b"a\r\nb"), b"a\r\nb");
    }
}
