//! The engine against a scripted device that prints one turn at a time
//! and waits for its answer: every login, password, command and pager key
//! is sent only after the prompt it answers, and ends with exactly the
//! dialect's Enter.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::engine::{Engine, Wire};
use super::{Credentials, Timeouts, Transcript};
use crate::cli::dialect::Dialect;

/// What the client sent, in order; `None` for a send with no prompt to answer.
type Sent = Arc<Mutex<Vec<Option<Vec<u8>>>>>;

struct Scripted {
    /// What the device prints, then the input it waits for before printing more.
    turns: VecDeque<(&'static [u8], &'static [u8])>,
    /// The input the last printed turn waits for.
    awaiting: bool,
    sent: Sent,
}

#[async_trait]
impl Wire for Scripted {
    async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let entry = std::mem::take(&mut self.awaiting).then(|| bytes.to_vec());
        self.sent.lock().unwrap().push(entry);
        Ok(())
    }

    async fn recv(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        if self.awaiting {
            // The device waits for its answer, printing nothing.
            std::future::pending::<()>().await;
        }
        match self.turns.pop_front() {
            Some((print, _)) => {
                self.awaiting = true;
                Ok(Some(print.to_vec()))
            }
            None => std::future::pending().await,
        }
    }

    async fn close(&mut self) {}
}

#[tokio::test]
async fn every_input_follows_its_prompt_and_ends_with_one_enter() {
    let turns: Vec<(&'static [u8], &'static [u8])> = vec![
        (
            b"\r\nUser Access Verification\r\n\r\nUsername: ",
            b"admin\r",
        ),
        (b"admin\r\nPassword: ", b"pw-1\r"),
        (b"\r\nsw1>", b"enable\r"),
        (b"enable\r\nPassword: ", b"en-1\r"),
        (b"\r\nsw1#", b"terminal length 0\r"),
        (b"terminal length 0\r\nsw1#", b"show running-config\r"),
        (b"show running-config\r\nhostname sw1\r\n --More-- ", b" "),
        (b"\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08end\r\nsw1#", b""),
    ];
    let expected: Vec<Option<Vec<u8>>> = turns
        .iter()
        .filter(|(_, answer)| !answer.is_empty())
        .map(|(_, answer)| Some(answer.to_vec()))
        .collect();
    let sent = Sent::default();
    let wire = Scripted {
        turns: turns.into(),
        awaiting: false,
        sent: Arc::clone(&sent),
    };
    let creds = Credentials {
        login: "admin".into(),
        password: "pw-1".into(),
        enable_password: Some("en-1".into()),
        private_key: None,
    };
    let timeouts = Timeouts {
        connect: Duration::from_secs(5),
        login: Duration::from_secs(5),
        command: Duration::from_secs(5),
    };
    let mut engine = Engine::new(
        Box::new(wire),
        Dialect::CiscoIos,
        timeouts,
        &creds,
        Transcript::default(),
    );
    engine.start(&creds).await.expect("logged in");
    let config = engine.command("show running-config").await.unwrap();
    assert_eq!(config, "hostname sw1\nend\n");
    let sent = sent.lock().unwrap().clone();
    let shown = |s: &[Option<Vec<u8>>]| -> Vec<String> {
        s.iter()
            .map(|e| match e {
                Some(b) => String::from_utf8_lossy(b).escape_debug().to_string(),
                None => "<sent before its prompt>".into(),
            })
            .collect()
    };
    assert_eq!(shown(&sent), shown(&expected));
}
