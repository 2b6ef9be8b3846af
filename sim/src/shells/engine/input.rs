//! How typed bytes reach the CLI: line editing and echo, the Enter key,
//! pager keys — and, for a device with [`echo_typeahead`], the Linux tty in
//! front of the CLI: every byte echoed the moment it arrives, CR and LF
//! each an Enter, and type-ahead that arrives while a command's answer is
//! being printed echoed in the middle of that answer.
//!
//! [`echo_typeahead`]: crate::DeviceSpec::echo_typeahead

use rand::Rng;

use super::{garbage, Engine, Phase, Vendor};
use crate::shell::Step;

impl<V: Vendor> Engine<V> {
    /// Is the CLI reading lines (rather than pager keys, or nothing)?
    fn reads_lines(&self) -> bool {
        matches!(
            self.phase,
            Phase::User
                | Phase::Password { .. }
                | Phase::Command
                | Phase::EnablePassword { .. }
                | Phase::Param { .. }
        )
    }

    /// Takes typed bytes: line editing, Enter, pager keys. With `echo` off
    /// nothing typed is echoed (bytes a tty already echoed on arrival).
    /// Without a tty a CR followed by LF or NUL is one Enter; under one, CR
    /// and LF are each an Enter.
    pub(super) fn feed(&mut self, bytes: &[u8], echo_on: bool, out: &mut Vec<Step>) {
        let mut echo = Vec::new();
        for &b in bytes {
            match self.phase {
                Phase::Dead | Phase::Closed => break,
                Phase::Garbage => {
                    if matches!(b, b'\r' | b'\n') {
                        out.push(Step::Write(garbage()));
                    }
                    continue;
                }
                _ => {}
            }
            if !self.tty && self.last_cr && matches!(b, b'\n' | 0) {
                self.last_cr = false;
                continue;
            }
            self.last_cr = b == b'\r';
            if matches!(self.phase, Phase::Paging { .. }) {
                self.on_page_key(b, out);
                continue;
            }
            match b {
                b'\r' | b'\n' => {
                    if !echo.is_empty() {
                        out.push(Step::Write(std::mem::take(&mut echo)));
                    }
                    let line =
                        String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
                    if echo_on {
                        self.write(out, "\n");
                    }
                    self.on_line(line, out);
                }
                0x08 | 0x7f => {
                    let erased = self.line.pop().is_some();
                    if erased && echo_on && self.echoes() {
                        echo.extend_from_slice(b"\x08 \x08");
                    }
                }
                0x03 => {
                    // Ctrl-C drops the line being typed.
                    self.line.clear();
                }
                b if b >= 0x20 || b == b'\t' => {
                    self.line.push(b);
                    if echo_on && self.echoes() {
                        echo.push(b);
                    }
                }
                _ => {}
            }
        }
        if !echo.is_empty() {
            out.push(Step::Write(echo));
        }
    }

    /// Input through a tty that echoes type-ahead at once. A line typed up
    /// to its Enter is answered as usual; whatever came in the same read
    /// after that Enter arrived while the answer was being printed: the
    /// tty echoed it on the spot, after a random line of the answer (where
    /// it lands depends on timing), and the CLI reads it once the answer
    /// is done.
    pub(super) fn tty_input(&mut self, bytes: &[u8], out: &mut Vec<Step>) {
        let enter = bytes.iter().position(|b| matches!(b, b'\r' | b'\n'));
        let (line, rest) = match enter {
            Some(at) if self.reads_lines() && at + 1 < bytes.len() => bytes.split_at(at + 1),
            _ => return self.feed(bytes, true, out),
        };
        let mut answer = Vec::new();
        self.feed(line, true, &mut answer);
        let echo = self.typeahead_echo(rest);
        let lines = answer_newlines(&answer);
        let after = if lines == 0 {
            0
        } else {
            rand::thread_rng().gen_range(1..=lines)
        };
        out.extend(interleave(answer, &echo, after));
        self.feed(rest, false, out);
    }

    /// What the tty shows for bytes typed ahead: each key as typed, each
    /// CR and LF as a new line; nothing while the CLI has echo off (a
    /// password prompt, the pager).
    fn typeahead_echo(&self, bytes: &[u8]) -> Vec<u8> {
        if !self.echoes() {
            return Vec::new();
        }
        let mut echo = Vec::new();
        for &b in bytes {
            match b {
                b'\r' | b'\n' => echo.extend_from_slice(b"\r\n"),
                0x08 | 0x7f => echo.extend_from_slice(b"\x08 \x08"),
                b if b >= 0x20 || b == b'\t' => echo.push(b),
                _ => {}
            }
        }
        echo
    }
}

/// Line breaks in the text an answer writes before it hangs or closes.
fn answer_newlines(answer: &[Step]) -> usize {
    answer
        .iter()
        .map_while(|s| match s {
            Step::Write(b) => Some(b.iter().filter(|&&c| c == b'\n').count()),
            _ => None,
        })
        .sum()
}

/// `answer` with `echo` written right after its `after`-th line break (at
/// the end of its text when it has fewer, or `after` is 0), before any hang
/// or close.
fn interleave(answer: Vec<Step>, echo: &[u8], after: usize) -> Vec<Step> {
    if echo.is_empty() {
        return answer;
    }
    let mut text = Vec::new();
    let mut steps = answer.into_iter().peekable();
    while let Some(Step::Write(b)) = steps.next_if(|s| matches!(s, Step::Write(_))) {
        text.extend(b);
    }
    let mut breaks = (0..text.len()).filter(|&i| text[i] == b'\n');
    let at = after
        .checked_sub(1)
        .and_then(|n| breaks.nth(n))
        .map_or(text.len(), |i| i + 1);
    text.splice(at..at, echo.iter().copied());
    std::iter::once(Step::Write(text)).chain(steps).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Step {
        Step::Write(s.as_bytes().to_vec())
    }

    #[test]
    fn type_ahead_lands_after_the_chosen_line_of_the_answer() {
        let answer = vec![w("\r\nline 1\r\n"), w("line 2\r\nsw#")];
        assert_eq!(
            interleave(answer.clone(), b"\r\n", 2),
            vec![w("\r\nline 1\r\n\r\nline 2\r\nsw#")]
        );
        assert_eq!(
            interleave(answer.clone(), b"x", 3),
            vec![w("\r\nline 1\r\nline 2\r\nxsw#")]
        );
        assert_eq!(answer_newlines(&answer), 3);
        assert_eq!(
            interleave(answer.clone(), b"x", 9),
            vec![w("\r\nline 1\r\nline 2\r\nsw#x")]
        );
        assert_eq!(interleave(answer.clone(), b"", 1), answer);
    }

    #[test]
    fn type_ahead_comes_before_a_hang() {
        let answer = vec![w("half a con"), Step::Hang];
        assert_eq!(answer_newlines(&answer), 0);
        assert_eq!(
            interleave(answer, b"\r\n", 0),
            vec![w("half a con\r\n"), Step::Hang]
        );
    }
}
