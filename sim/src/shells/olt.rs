//! A small model of an MA5608T: boards and the ONTs on its GPON ports.
//!
//! Derived from the device state (one ONT per MAC row, numbered per port in
//! table order), so the MAC table, the ONT list and the config agree. The
//! GPON work (autofind, registration, service ports) extends this model.

use std::fmt::Write;

use crate::shell::{DeviceState, MacRow};

pub(crate) struct Board {
    pub slot: u8,
    pub name: &'static str,
    pub status: &'static str,
    pub subtype: &'static str,
}

pub(crate) struct Ont {
    /// `(frame, slot, port)`
    pub fsp: (u8, u8, u8),
    pub id: u32,
    pub sn: String,
    pub online: bool,
    pub desc: String,
}

pub(crate) struct Olt {
    pub boards: Vec<Board>,
    pub onts: Vec<Ont>,
}

/// `"0/1/3"` → `(0, 1, 3)`.
pub(crate) fn parse_fsp(port: &str) -> Option<(u8, u8, u8)> {
    let mut it = port.split('/').map(|p| p.trim().parse::<u8>().ok());
    Some((it.next()??, it.next()??, it.next()??))
}

/// The ONT id of each MAC row: its ordinal among the rows on the same port.
pub(crate) fn ont_ids(rows: &[MacRow]) -> Vec<u32> {
    rows.iter()
        .enumerate()
        .map(|(i, r)| rows[..i].iter().filter(|o| o.port == r.port).count() as u32)
        .collect()
}

impl Olt {
    pub fn from_state(st: &DeviceState) -> Olt {
        let boards = vec![
            Board {
                slot: 0,
                name: "H805GPFD",
                status: "Normal",
                subtype: "",
            },
            Board {
                slot: 1,
                name: "H802GPBD",
                status: "Normal",
                subtype: "",
            },
            Board {
                slot: 2,
                name: "H801MCUD",
                status: "Active_normal",
                subtype: "CPCA",
            },
            Board {
                slot: 3,
                name: "",
                status: "",
                subtype: "",
            },
            Board {
                slot: 4,
                name: "H801MPWC",
                status: "Normal",
                subtype: "",
            },
        ];
        let ids = ont_ids(&st.mac_table);
        let onts = st
            .mac_table
            .iter()
            .zip(ids)
            .filter_map(|(r, id)| {
                let fsp = parse_fsp(&r.port)?;
                let tail: String = r
                    .mac
                    .chars()
                    .filter(char::is_ascii_hexdigit)
                    .skip(4)
                    .collect();
                Some(Ont {
                    fsp,
                    id,
                    sn: format!("4857544{}", tail.to_ascii_uppercase()),
                    online: r.dynamic,
                    desc: format!("abon-{}-{}-{}", fsp.1, fsp.2, id),
                })
            })
            .collect();
        Olt { boards, onts }
    }

    /// `display board 0`
    pub fn display_board(&self) -> String {
        let mut s = String::from(
            "  -------------------------------------------------------------------------\n\
             \x20 SlotID  BoardName  Status          SubType0 SubType1    Online/Offline\n\
             \x20 -------------------------------------------------------------------------\n",
        );
        for b in &self.boards {
            let _ = writeln!(
                s,
                "  {:<7} {:<10} {:<15} {}",
                b.slot, b.name, b.status, b.subtype
            );
        }
        s.push_str("  -------------------------------------------------------------------------\n");
        s
    }

    /// `display ont info F S P all` (or `display ont info P all` inside `interface gpon F/S`).
    pub fn display_ont_info(&self, fsp: (u8, u8, u8)) -> Option<String> {
        let board = self
            .boards
            .iter()
            .find(|b| b.slot == fsp.1 && b.name.contains("GP"))?;
        let _ = board;
        let onts: Vec<&Ont> = self.onts.iter().filter(|o| o.fsp == fsp).collect();
        let line =
            "  -----------------------------------------------------------------------------\n";
        let mut s = String::from(line);
        s.push_str(
            "  F/S/P   ONT         SN         Control     Run      Config   Match    Protect\n",
        );
        s.push_str(
            "          ID                     flag        state    state    state    side\n",
        );
        s.push_str(line);
        let f = |o: &Ont| format!("{}/{:>2}/{:>2}", o.fsp.0, o.fsp.1, o.fsp.2);
        for o in &onts {
            let run = if o.online { "online" } else { "offline" };
            let _ = writeln!(
                s,
                "  {} {:>4}  {}  active      {:<8} normal   match    no",
                f(o),
                o.id,
                o.sn,
                run
            );
        }
        s.push_str(line);
        s.push_str("  F/S/P   ONT-ID   Description\n");
        s.push_str(line);
        for o in &onts {
            let _ = writeln!(s, "  {} {:>4}  {}", f(o), o.id, o.desc);
        }
        s.push_str(line);
        let online = onts.iter().filter(|o| o.online).count();
        let _ = writeln!(
            s,
            "  In port {}/{:>2}/{:>2} , the total of ONTs are: {}, online: {}",
            fsp.0,
            fsp.1,
            fsp.2,
            onts.len(),
            online
        );
        s.push_str(line);
        Some(s)
    }
}
