//! Output cleaning and decoding.
//!
//! Devices talk to a terminal: they move the cursor back over a pager prompt
//! (`ESC[37D`), erase with backspaces or `ESC[K`, end lines with `\r\n` or
//! `\r\r\n`, pad with NULs, and some old ones speak cp1251. [`Screen`] is a
//! tiny line-oriented terminal: it takes raw bytes in any chunking and keeps
//! the text a human would have seen, as lines without trailing blanks.

/// How a chunk of bytes is decoded: UTF-8 until the first invalid sequence,
/// then cp1251 for the rest of the session (old gear that speaks cp1251
/// never becomes valid UTF-8 halfway).
#[derive(Debug, Default)]
pub struct Decoder {
    cp1251: bool,
    /// Bytes of an incomplete UTF-8 sequence carried to the next chunk.
    carry: Vec<u8>,
}

impl Decoder {
    pub fn decode(&mut self, bytes: &[u8]) -> String {
        if self.cp1251 {
            return decode_cp1251(bytes);
        }
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(bytes);
        match std::str::from_utf8(&buf) {
            Ok(s) => s.to_owned(),
            Err(e) if e.error_len().is_none() && buf.len() - e.valid_up_to() < 4 => {
                // An incomplete sequence at the end: keep it for next time.
                let valid = e.valid_up_to();
                self.carry = buf[valid..].to_vec();
                String::from_utf8_lossy(&buf[..valid]).into_owned()
            }
            Err(_) => {
                self.cp1251 = true;
                decode_cp1251(&buf)
            }
        }
    }
}

fn decode_cp1251(bytes: &[u8]) -> String {
    let (text, _, _) = encoding_rs::WINDOWS_1251.decode(bytes);
    text.into_owned()
}

/// Decodes a whole byte string: UTF-8, or cp1251 when it is not valid UTF-8.
pub fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => decode_cp1251(bytes),
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Esc {
    #[default]
    None,
    /// Saw ESC.
    Start,
    /// Inside `ESC [ params`; collects the numeric parameter.
    Csi(u32),
    /// Inside `ESC ] ...` (operating system command), until BEL or ESC.
    Osc,
}

/// A minimal terminal: committed lines plus the line under the cursor.
#[derive(Debug, Default)]
pub struct Screen {
    decoder: Decoder,
    esc: Esc,
    /// Committed text: whole lines, each ending in `\n`, trailing blanks trimmed.
    done: String,
    /// The current line and the cursor column in it.
    line: Vec<char>,
    col: usize,
    /// A CR was seen; a following LF ends the line, anything else returns
    /// to column 0 (overwrite).
    cr: bool,
}

impl Screen {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds raw bytes from the device.
    pub fn feed(&mut self, bytes: &[u8]) {
        let bytes: Vec<u8> = bytes.iter().copied().filter(|&b| b != 0).collect();
        let text = self.decoder.decode(&bytes);
        for c in text.chars() {
            self.put(c);
        }
    }

    fn put(&mut self, c: char) {
        match self.esc {
            Esc::Start => {
                self.esc = match c {
                    '[' => Esc::Csi(0),
                    ']' => Esc::Osc,
                    // Two-character sequences (ESC 7, ESC 8, ESC M, ...): drop.
                    _ => Esc::None,
                };
                return;
            }
            Esc::Csi(n) => {
                if let Some(d) = c.to_digit(10) {
                    self.esc = Esc::Csi(n.saturating_mul(10).saturating_add(d));
                } else if matches!(c, ';' | '?' | '>' | '=' | ' ') {
                    // Further parameters or private markers: keep the first number.
                } else {
                    self.esc = Esc::None;
                    self.csi(n, c);
                }
                return;
            }
            Esc::Osc => {
                if c == '\u{7}' {
                    self.esc = Esc::None;
                } else if c == '\u{1b}' {
                    self.esc = Esc::Start;
                }
                return;
            }
            Esc::None => {}
        }
        if self.cr && c != '\n' {
            self.cr = false;
            if c != '\r' {
                self.col = 0;
            }
        }
        match c {
            '\u{1b}' => self.esc = Esc::Start,
            '\r' => self.cr = true,
            '\n' => {
                self.cr = false;
                self.commit();
            }
            '\u{8}' => self.col = self.col.saturating_sub(1),
            '\u{7f}' => {
                // DEL as an erase: remove the character before the cursor.
                if self.col > 0 {
                    self.col -= 1;
                    self.line.remove(self.col);
                }
            }
            '\t' => self.print(c),
            c if c.is_control() => {}
            c => self.print(c),
        }
    }

    fn print(&mut self, c: char) {
        if self.col < self.line.len() {
            self.line[self.col] = c;
        } else {
            while self.line.len() < self.col {
                self.line.push(' ');
            }
            self.line.push(c);
        }
        self.col += 1;
    }

    fn csi(&mut self, n: u32, cmd: char) {
        let n = n.max(1) as usize;
        match cmd {
            // Cursor back.
            'D' => self.col = self.col.saturating_sub(n),
            // Cursor forward.
            'C' => self.col += n,
            // Cursor to column (1-based).
            'G' => self.col = n - 1,
            // Erase in line: we only model "to the end" and "whole line".
            'K' => self.line.truncate(self.col.min(self.line.len())),
            // Everything else (colours, cursor visibility, scrolling, screen
            // clears) does not change the text we keep.
            _ => {}
        }
    }

    fn commit(&mut self) {
        let line: String = self.line.drain(..).collect();
        self.done.push_str(line.trim_end());
        self.done.push('\n');
        self.col = 0;
    }

    /// The line under the cursor (the prompt, a pager, a half-printed line).
    pub fn current_line(&self) -> String {
        self.line.iter().collect()
    }

    /// All text so far: committed lines and the current line.
    pub fn text(&self) -> String {
        let mut s = self.done.clone();
        s.push_str(&self.current_line());
        s
    }

    /// The committed lines only.
    pub fn committed(&self) -> &str {
        &self.done
    }

    /// The last `max_chars` characters of [`Screen::text`] (cheap: only
    /// the end of the text is looked at).
    pub fn tail(&self, max_chars: usize) -> String {
        let line = self.current_line();
        let line_chars = line.chars().count();
        if line_chars >= max_chars {
            return line.chars().skip(line_chars - max_chars).collect();
        }
        let want = max_chars - line_chars;
        let start = self
            .done
            .char_indices()
            .rev()
            .take(want)
            .last()
            .map_or(self.done.len(), |(i, _)| i);
        format!("{}{line}", &self.done[start..])
    }

    /// Removes the text from byte `tail_start` of a string returned by
    /// [`Screen::tail`] with `max_chars` to the end (a pager prompt),
    /// leaving the cursor where the removed text began.
    pub fn cut_tail(&mut self, max_chars: usize, tail_start: usize) {
        let tail = self.tail(max_chars);
        if tail_start > tail.len() || !tail.is_char_boundary(tail_start) {
            return;
        }
        let removed = tail.len() - tail_start;
        let line = self.current_line();
        if removed <= line.len() {
            self.line = line[..line.len() - removed].chars().collect();
        } else {
            self.done.truncate(self.done.len() - (removed - line.len()));
            let line_start = self.done.rfind('\n').map_or(0, |i| i + 1);
            self.line = self.done[line_start..].chars().collect();
            self.done.truncate(line_start);
        }
        self.col = self.line.len();
        self.cr = false;
    }

    /// Forgets all text (keeps decoder and escape state).
    pub fn clear(&mut self) {
        self.done.clear();
        self.line.clear();
        self.col = 0;
    }
}

/// Counts bytes that no text terminal output contains: C0 controls other
/// than BEL, BS, TAB, LF, CR, ESC, and DEL (NULs are padding and ignored).
/// Random bytes have about one such byte in ten; text has none.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoiseMeter {
    seen: usize,
    odd: usize,
}

impl NoiseMeter {
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().filter(|&&b| b != 0) {
            self.seen += 1;
            if (b < 0x20 && !matches!(b, 7 | 8 | 9 | 10 | 13 | 27)) || b == 0x7f {
                self.odd += 1;
            }
        }
    }

    /// At least `min_len` bytes seen, and at least 4 % of them odd.
    pub fn is_garbage(&self, min_len: usize) -> bool {
        self.seen >= min_len && self.odd * 25 >= self.seen
    }

    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(bytes: &[u8]) -> String {
        let mut s = Screen::new();
        s.feed(bytes);
        s.text()
    }

    #[test]
    fn line_endings_and_nuls_become_plain_newlines() {
        assert_eq!(clean(b"a\r\nb\r\r\nc\n\0d"), "a\nb\nc\nd");
    }

    #[test]
    fn backspaces_and_cursor_moves_overwrite() {
        assert_eq!(clean(b"abc\x08\x08XY\r\n"), "aXY\n");
        assert_eq!(clean(b" --More-- \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08          \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08line\r\n"), "line\n");
        let more = "---- More ( Press 'Q' to break ) ----";
        let raw = format!("{more}\x1b[37D{}\x1b[37D  next\r\n", " ".repeat(37));
        assert_eq!(clean(raw.as_bytes()), "  next\n");
    }

    #[test]
    fn colour_and_visibility_escapes_are_dropped() {
        assert_eq!(clean(b"\x1b[?25l\x1b[1;32mok\x1b[0m\x1b[K\r\n"), "ok\n");
        assert_eq!(clean(b"\x1b]0;title\x07x"), "x");
    }

    #[test]
    fn a_lone_carriage_return_rewrites_the_line() {
        assert_eq!(clean(b"50%\r100%\r\n"), "100%\n");
    }

    #[test]
    fn utf8_split_across_chunks_is_kept() {
        let mut s = Screen::new();
        let bytes = "привет".as_bytes();
        s.feed(&bytes[..3]);
        s.feed(&bytes[3..]);
        assert_eq!(s.text(), "привет");
    }

    #[test]
    fn invalid_utf8_falls_back_to_cp1251() {
        let (cp, _, _) = encoding_rs::WINDOWS_1251.encode("Коммутатор 1");
        assert_eq!(clean(&cp), "Коммутатор 1");
        assert_eq!(decode(&cp), "Коммутатор 1");
    }

    #[test]
    fn the_pager_is_cut_from_the_tail() {
        let mut s = Screen::new();
        s.feed(b"one\r\ntwo\r\n --More-- ");
        let tail = s.tail(64);
        let start = tail.find(" --More--").unwrap();
        s.cut_tail(64, start);
        assert_eq!(s.text(), "one\ntwo\n");
        s.feed(b"\x08\x08\x08   \x08\x08\x08three\r\n");
        assert_eq!(s.text(), "one\ntwo\nthree\n");

        // A pager spread over two lines, cut from a short tail.
        s.feed(b"four\r\n-- More --\r\n(q to quit)");
        let tail = s.tail(24);
        let start = tail.find("-- More").unwrap();
        s.cut_tail(24, start);
        assert_eq!(s.text(), "one\ntwo\nthree\nfour\n");
        assert_eq!(s.current_line(), "");
        s.feed(b"five\r\n");
        assert_eq!(s.text(), "one\ntwo\nthree\nfour\nfive\n");
    }

    #[test]
    fn random_bytes_look_like_garbage_and_text_does_not() {
        let noise: Vec<u8> = (0u32..512)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        let mut m = NoiseMeter::default();
        m.feed(&noise);
        assert!(m.is_garbage(64));
        let mut m = NoiseMeter::default();
        m.feed(
            b"interface Gi0/1\r\n description uplink\r\n"
                .repeat(10)
                .as_slice(),
        );
        assert!(!m.is_garbage(64));
    }
}
