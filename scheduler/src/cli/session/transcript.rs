//! What was said on a CLI session, in order, for "pull failed" pages and
//! debug logs. Secrets never enter it: a password is recorded as
//! `********`, and received text is scrubbed of known secrets.

/// One step of the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TranscriptEntry {
    /// What ispmon typed (without the line ending).
    Sent(String),
    /// What the device printed, decoded, as received (escapes included).
    Received(String),
    /// What happened on the connection itself ("connected", "host key ...").
    Note(String),
}

/// The conversation with one device, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transcript {
    entries: Vec<TranscriptEntry>,
}

/// What a password looks like in a transcript.
pub const MASK: &str = "********";

impl Transcript {
    pub fn entries(&self) -> &[TranscriptEntry] {
        &self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn sent(&mut self, text: &str) {
        self.entries.push(TranscriptEntry::Sent(text.to_owned()));
    }

    pub(crate) fn sent_secret(&mut self) {
        self.sent(MASK);
    }

    pub(crate) fn note(&mut self, text: impl Into<String>) {
        self.entries.push(TranscriptEntry::Note(text.into()));
    }

    /// Appends received text, with every occurrence of a secret masked.
    pub(crate) fn received(&mut self, text: &str, secrets: &[String]) {
        let mut text = text.to_owned();
        for s in secrets.iter().filter(|s| !s.is_empty()) {
            text = text.replace(s.as_str(), MASK);
        }
        if let Some(TranscriptEntry::Received(last)) = self.entries.last_mut() {
            last.push_str(&text);
        } else {
            self.entries.push(TranscriptEntry::Received(text));
        }
    }

    /// A readable rendering: notes as `# ...`, sent lines as `>>> ...`,
    /// received text as printed (CRs dropped, other controls shown as `^X`).
    pub fn render(&self) -> String {
        let mut out = String::new();
        for e in &self.entries {
            let (prefix, text) = match e {
                TranscriptEntry::Note(t) => ("# ", t.as_str()),
                TranscriptEntry::Sent(t) => (">>> ", t.as_str()),
                TranscriptEntry::Received(t) => ("", t.as_str()),
            };
            if !prefix.is_empty() && !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(prefix);
            for c in text.chars() {
                match c {
                    '\r' | '\0' => {}
                    '\n' | '\t' => out.push(c),
                    c if (c as u32) < 0x20 => {
                        out.push('^');
                        out.push(char::from(b'@' + c as u8));
                    }
                    '\u{7f}' => out.push_str("^?"),
                    c => out.push(c),
                }
            }
            if !prefix.is_empty() {
                out.push('\n');
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_shows_sent_lines_masks_secrets_and_makes_escapes_visible() {
        let mut t = Transcript::default();
        t.note("connected");
        t.received("Username: ", &[]);
        t.sent("admin");
        t.received("Password: ", &[]);
        t.sent_secret();
        t.received("\r\nhello s3cret\x1b[K\r\nsw1#", &["s3cret".into()]);
        let r = t.render();
        assert_eq!(
            r,
            "# connected\nUsername: \n>>> admin\nPassword: \n>>> ********\n\nhello ********^[[K\nsw1#"
        );
        assert!(!r.contains("s3cret"));
    }
}
