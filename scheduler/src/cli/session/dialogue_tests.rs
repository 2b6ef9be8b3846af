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

/// SmartAX firmware that ignores `undo smart` stops a command with
/// optional parameters at `{ <cr>|…<K> }:` and waits for another Enter;
/// after it, `Command:` and the command come again before the output.
#[tokio::test]
async fn a_smartax_question_is_answered_with_enter_and_its_echo_block_dropped() {
    let turns: Vec<(&'static [u8], &'static [u8])> = vec![
        (b"\r\n>>User name:", b"admin\r"),
        (b"admin\r\n>>User password:", b"pw-1\r"),
        (
            b"\r\n  Huawei Integrated Access Software (MA5608T).\r\n\r\nMA5608T>",
            b"enable\r",
        ),
        (b"enable\r\n\r\nMA5608T#", b"undo smart\r"),
        (b"undo smart\r\n\r\nMA5608T#", b"scroll 512\r"),
        (
            b"scroll 512\r\n\r\nMA5608T#",
            b"display service-port port 0/1/0 ont 5\r",
        ),
        (
            b"display service-port port 0/1/0 ont 5\r\n{ <cr>|gemport<K>|sort-by<K>||<K> }:",
            b"\r",
        ),
        (
            b"\r\n\r\n  Command:\r\n          display service-port port 0/1/0 ont 5\r\n\
\x20 Switch-Oriented Flow List\r\n\
\x20 -----------------------------------------------------------------------------\r\n\
\x20  INDEX VLAN VLAN     PORT F/ S/ P VPI  VCI   FLOW  FLOW       RX   TX   STATE\r\n\
\x20        ID   ATTR     TYPE                    TYPE  PARA\r\n\
\x20 -----------------------------------------------------------------------------\r\n\
\x20     22  100 common   gpon 0/1 /0  5    1     vlan  100        20   20   up\r\n\
\x20 -----------------------------------------------------------------------------\r\n\
\x20  Total : 1  (Up/Down :    1/0)\r\n\r\nMA5608T#",
            b"",
        ),
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
        enable_password: None,
        private_key: None,
    };
    let timeouts = Timeouts {
        connect: Duration::from_secs(5),
        login: Duration::from_secs(5),
        command: Duration::from_secs(5),
    };
    let mut engine = Engine::new(
        Box::new(wire),
        Dialect::HuaweiSmartax,
        timeouts,
        &creds,
        Transcript::default(),
    );
    engine.start(&creds).await.expect("logged in");
    let out = engine
        .command("display service-port port 0/1/0 ont 5")
        .await
        .expect("answered and ran");
    assert!(
        out.starts_with("  Switch-Oriented Flow List\n"),
        "the question and the Command: block are gone: {out:?}"
    );
    assert!(
        !out.contains("Command:") && !out.contains("<cr>"),
        "{out:?}"
    );
    assert!(out.contains("gpon 0/1 /0  5    1") && out.ends_with("(Up/Down :    1/0)\n"));
    let sent: Vec<Option<Vec<u8>>> = sent.lock().unwrap().clone();
    assert_eq!(sent, expected, "one Enter for the question, after it");
}

/// A ZTE C3xx over telnet: `Username:`/`Password:`, a login that lands at
/// `ZXAN#` needs no `enable`, `terminal length 0`, and ` --More-- ` is
/// answered with a space.
#[tokio::test]
async fn a_zte_login_at_a_privileged_prompt_sends_no_enable() {
    let turns: Vec<(&'static [u8], &'static [u8])> = vec![
        (b"\r\n\r\nUsername:", b"zte\r"),
        (b"zte\r\nPassword:", b"pw-1\r"),
        (b"\r\n\r\nZXAN#", b"terminal length 0\r"),
        (b"terminal length 0\r\nZXAN#", b"show gpon onu uncfg\r"),
        (
            b"show gpon onu uncfg\r\nOnuIndex                 Sn                  State\r\n\
---------------------------------------------------------------------\r\n\
gpon-onu_1/2/1:1         ZTEGC0A1B2C3        unknown\r\n --More-- ",
            b" ",
        ),
        (
            b"\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08          \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\
gpon-onu_1/3/7:1         HWTC11E70E9A        unknown\r\nZXAN#",
            b"",
        ),
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
        login: "zte".into(),
        password: "pw-1".into(),
        enable_password: None,
        private_key: None,
    };
    let timeouts = Timeouts {
        connect: Duration::from_secs(5),
        login: Duration::from_secs(5),
        command: Duration::from_secs(5),
    };
    let mut engine = Engine::new(
        Box::new(wire),
        Dialect::ZteC300,
        timeouts,
        &creds,
        Transcript::default(),
    );
    engine.start(&creds).await.expect("logged in");
    let out = engine.command("show gpon onu uncfg").await.unwrap();
    use crate::gpon::GponCli;
    let found: Vec<String> = crate::gpon::zte::ZTE
        .parse_autofind(&out)
        .expect("the uncfg table, paged")
        .into_iter()
        .map(|a| a.vendor_sn)
        .collect();
    assert_eq!(found, ["ZTEG-C0A1B2C3", "HWTC-11E70E9A"]);
    assert_eq!(*sent.lock().unwrap(), expected);
}
