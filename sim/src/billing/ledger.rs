//! The billing's data: every subscriber as a compact record (login, MAC, IP,
//! status, a seed) from which the rest of the card is derived on request,
//! plus the fields a control changed. 100,000 subscribers stay a few MB and
//! a card is found by id in one hash lookup.

use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;

use super::names;
use super::values::{BillingFolder, BillingSubscriber, BlockReason, Change, Date, Status};
use super::{BillingConfig, BillingError};
use crate::population::{login_base, Population, Rng, SURNAMES as LATIN_SURNAMES};
use crate::shells::text::parse_mac;

/// What an id in `/cabinet/userinfo/{id}` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Node {
    /// Index into [`Ledger::folders`].
    Folder(usize),
    /// Index into [`Ledger::records`].
    Subscriber(usize),
    /// Index into [`Ledger::staff`].
    Staff(usize),
}

pub(crate) struct Record {
    pub id: u32,
    pub folder: usize,
    pub login: Box<str>,
    pub mac: [u8; 6],
    pub ip: u32,
    /// Everything not stored here is derived from it.
    pub seed: u64,
    pub status: Status,
    pub in_population: bool,
    /// Fields a control changed (at most one per kind), over the derived
    /// ones; a boxed slice keeps the unchanged record 8 bytes smaller.
    pub changes: Option<Box<[Change]>>,
}

pub(crate) struct FolderRec {
    pub id: u32,
    pub name: Box<str>,
    /// Record indices in page order (by id).
    pub members: Vec<usize>,
}

/// A staff account or a server on the root page (`tree_admin` /
/// `tree_server`): a scraper must skip them.
pub(crate) struct Staff {
    pub id: u32,
    pub class: &'static str,
    pub text: &'static str,
}

pub(crate) struct Ledger {
    pub folders: Vec<FolderRec>,
    /// `None`: removed from billing (its id answers 404 since).
    pub records: Vec<Option<Record>>,
    pub staff: Vec<Staff>,
    by_id: HashMap<u32, Node>,
    by_login: HashMap<Box<str>, usize>,
    /// Removed records by login, with their index, for [`Ledger::restore`].
    removed: HashMap<Box<str>, (usize, Record)>,
    next_id: u32,
    seed: u64,
}

/// A subscriber before it has an id: login, MAC, IP, in the population.
type Signup = (Box<str>, [u8; 6], u32, bool);

/// The OUI of billing-only subscribers' ONTs: none of the population's.
const ONT_OUI: [u8; 3] = [0x48, 0x57, 0x02];

impl Ledger {
    pub fn generate(pop: &Population, cfg: &BillingConfig) -> Ledger {
        let mut rng = Rng(cfg.seed ^ 0xb111_1e55_0000_0000);
        let total = pop.subscribers.len() + cfg.billing_only;
        let n_folders = cfg.folders.unwrap_or((total / 2_500).clamp(4, 60)).max(1);
        let mut members: Vec<Vec<Signup>> = vec![Vec::new(); n_folders];
        let n_access = pop.access_switches().len().max(1);
        for s in &pop.subscribers {
            // Neighbours on one access switch live in one district.
            let f = if n_access >= n_folders {
                s.access * n_folders / n_access
            } else {
                s.access % n_folders
            };
            let mac = mac_bytes(&s.mac).unwrap_or_default();
            let ip = s.ip.parse::<Ipv4Addr>().map(u32::from).unwrap_or(0);
            members[f].push((s.login.as_str().into(), mac, ip, true));
        }
        let mut used: HashSet<String> = pop.subscribers.iter().map(|s| s.login.clone()).collect();
        let mut next_suffix: HashMap<String, u32> = HashMap::new();
        for k in 0..cfg.billing_only {
            let base = login_base(&mut rng);
            let mut login = base.clone();
            while used.contains(&login) {
                // Same scheme as the population's (`ivanov2`, `…-2@corp`),
                // counted per base so 100,000 logins stay linear.
                let n = next_suffix.entry(base.clone()).or_insert(2);
                login = match base.split_once('@') {
                    Some((l, d)) => format!("{l}-{n}@{d}"),
                    None => format!("{base}{n}"),
                };
                *n += 1;
            }
            used.insert(login.clone());
            let f = rng.below(n_folders);
            let low = (k as u32).wrapping_mul(0x9e_3779) & 0xff_ffff;
            let mac = [
                ONT_OUI[0],
                ONT_OUI[1],
                ONT_OUI[2],
                (low >> 16) as u8,
                (low >> 8) as u8,
                low as u8,
            ];
            members[f].push((login.into(), mac, billing_only_ip(k), false));
        }
        let mut ledger = Ledger {
            folders: Vec::with_capacity(n_folders),
            records: Vec::with_capacity(total),
            staff: Vec::new(),
            by_id: HashMap::with_capacity(total + n_folders + 8),
            by_login: HashMap::with_capacity(total),
            removed: HashMap::new(),
            next_id: 100 + rng.below(900) as u32,
            seed: cfg.seed,
        };
        for (i, (class, text)) in STAFF.iter().enumerate() {
            let id = ledger.take_id(&mut rng);
            ledger.by_id.insert(id, Node::Staff(i));
            ledger.staff.push(Staff { id, class, text });
        }
        for (f, mut subs) in members.into_iter().enumerate() {
            let id = ledger.take_id(&mut rng);
            let name = folder_name(f);
            ledger.by_id.insert(id, Node::Folder(f));
            ledger.folders.push(FolderRec {
                id,
                name: name.into(),
                members: Vec::with_capacity(subs.len()),
            });
            // Population and billing-only subscribers interleave, as years
            // of sign-ups do.
            rng.shuffle(&mut subs);
            for (login, mac, ip, in_population) in subs {
                let seed = rng.next();
                let status = initial_status(&mut rng);
                ledger.insert(f, login, mac, ip, seed, status, in_population, &mut rng);
            }
        }
        // One archive folder nobody lives in yet.
        let id = ledger.take_id(&mut rng);
        ledger.by_id.insert(id, Node::Folder(ledger.folders.len()));
        ledger.folders.push(FolderRec {
            id,
            name: "Архив".into(),
            members: Vec::new(),
        });
        ledger
    }

    /// Ids grow with small gaps: deleted rows of the billing's database.
    fn take_id(&mut self, rng: &mut Rng) -> u32 {
        self.next_id += 1 + if rng.chance(15) {
            rng.below(4) as u32
        } else {
            0
        };
        self.next_id
    }

    #[allow(clippy::too_many_arguments)]
    fn insert(
        &mut self,
        folder: usize,
        login: Box<str>,
        mac: [u8; 6],
        ip: u32,
        seed: u64,
        status: Status,
        in_population: bool,
        rng: &mut Rng,
    ) -> u32 {
        let id = self.take_id(rng);
        let idx = self.records.len();
        self.by_login.insert(login.clone(), idx);
        self.by_id.insert(id, Node::Subscriber(idx));
        self.records.push(Some(Record {
            id,
            folder,
            login,
            mac,
            ip,
            seed,
            status,
            in_population,
            changes: None,
        }));
        self.folders[folder].members.push(idx);
        id
    }

    /// The billing's seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn node(&self, id: u32) -> Option<Node> {
        self.by_id.get(&id).copied()
    }

    pub fn record(&self, idx: usize) -> Option<&Record> {
        self.records.get(idx)?.as_ref()
    }

    fn index_of(&self, login: &str) -> Result<usize, BillingError> {
        self.by_login
            .get(login)
            .copied()
            .ok_or_else(|| BillingError::UnknownLogin(login.to_string()))
    }

    fn record_mut(&mut self, login: &str) -> Result<&mut Record, BillingError> {
        let idx = self.index_of(login)?;
        self.records[idx]
            .as_mut()
            .ok_or_else(|| BillingError::UnknownLogin(login.to_string()))
    }

    fn folder_index(&self, folder_id: u32) -> Result<usize, BillingError> {
        match self.node(folder_id) {
            Some(Node::Folder(f)) => Ok(f),
            _ => Err(BillingError::UnknownFolder(folder_id)),
        }
    }

    /// The card of record `idx` (derived fields, then the changes).
    pub fn subscriber(&self, idx: usize) -> Option<BillingSubscriber> {
        let r = self.record(idx)?;
        Some(derive(r, self.folders[r.folder].id))
    }

    pub fn by_login(&self, login: &str) -> Option<BillingSubscriber> {
        self.subscriber(self.by_login.get(login).copied()?)
    }

    pub fn all(&self) -> Vec<BillingSubscriber> {
        self.folders
            .iter()
            .flat_map(|f| f.members.iter())
            .filter_map(|&i| self.subscriber(i))
            .collect()
    }

    pub fn folder_list(&self) -> Vec<BillingFolder> {
        self.folders
            .iter()
            .map(|f| BillingFolder {
                id: f.id,
                name: f.name.to_string(),
                subscribers: f
                    .members
                    .iter()
                    .filter_map(|&i| self.record(i).map(|r| r.id))
                    .collect(),
            })
            .collect()
    }

    /// A new subscriber at the end of `folder_id` (the rest of its card is
    /// derived from the billing's seed and its id); returns its id.
    pub fn add(
        &mut self,
        folder_id: u32,
        login: &str,
        mac: &str,
        ip: Ipv4Addr,
    ) -> Result<u32, BillingError> {
        let f = self.folder_index(folder_id)?;
        if self.by_login.contains_key(login) || login.is_empty() {
            return Err(BillingError::LoginTaken(login.to_string()));
        }
        let mac = mac_bytes(mac).ok_or_else(|| BillingError::BadMac(mac.to_string()))?;
        let mut rng = Rng(self.seed ^ u64::from(self.next_id).rotate_left(32));
        let seed = rng.next();
        Ok(self.insert(
            f,
            login.into(),
            mac,
            u32::from(ip),
            seed,
            Status::Active,
            false,
            &mut rng,
        ))
    }

    pub fn change(&mut self, login: &str, change: Change) -> Result<(), BillingError> {
        match change {
            Change::Login(new) => {
                if self.by_login.contains_key(new.as_str()) || new.is_empty() {
                    return Err(BillingError::LoginTaken(new));
                }
                let idx = self.index_of(login)?;
                self.by_login.remove(login);
                self.by_login.insert(new.as_str().into(), idx);
                let login: Box<str> = new.as_str().into();
                self.record_mut(&new)?.login = login;
            }
            Change::Mac(m) => {
                let mac = mac_bytes(&m).ok_or(BillingError::BadMac(m))?;
                self.record_mut(login)?.mac = mac;
            }
            Change::Ip(ip) => self.record_mut(login)?.ip = u32::from(ip),
            other => {
                let r = self.record_mut(login)?;
                let kind = std::mem::discriminant(&other);
                let mut list: Vec<Change> = r.changes.take().map(Vec::from).unwrap_or_default();
                list.retain(|c| std::mem::discriminant(c) != kind);
                list.push(other);
                r.changes = Some(list.into_boxed_slice());
            }
        }
        Ok(())
    }

    pub fn set_status(&mut self, login: &str, status: Status) -> Result<(), BillingError> {
        self.record_mut(login)?.status = status;
        Ok(())
    }

    /// Leaves billing: the card answers 404 and its id is never reused (the
    /// login may be added again, under a new id).
    pub fn remove(&mut self, login: &str) -> Result<(), BillingError> {
        let idx = self.index_of(login)?;
        let Some(r) = self.records[idx].take() else {
            return Err(BillingError::UnknownLogin(login.to_string()));
        };
        self.by_login.remove(login);
        self.by_id.remove(&r.id);
        self.folders[r.folder].members.retain(|&i| i != idx);
        self.removed.insert(login.into(), (idx, r));
        Ok(())
    }

    /// A removed subscriber back in billing: the same id, card and folder.
    pub fn restore(&mut self, login: &str) -> Result<(), BillingError> {
        let (idx, r) = self
            .removed
            .remove(login)
            .ok_or_else(|| BillingError::UnknownLogin(login.to_string()))?;
        let (id, folder) = (r.id, r.folder);
        self.records[idx] = Some(r);
        self.by_login.insert(login.into(), idx);
        self.by_id.insert(id, Node::Subscriber(idx));
        let records = &self.records;
        let members = &mut self.folders[folder].members;
        let at = members.partition_point(|&i| records[i].as_ref().is_some_and(|o| o.id < id));
        members.insert(at, idx);
        Ok(())
    }

    pub fn move_to(&mut self, login: &str, folder_id: u32) -> Result<(), BillingError> {
        let to = self.folder_index(folder_id)?;
        let idx = self.index_of(login)?;
        let r = self.records[idx]
            .as_mut()
            .ok_or_else(|| BillingError::UnknownLogin(login.to_string()))?;
        let (from, id) = (r.folder, r.id);
        r.folder = to;
        self.folders[from].members.retain(|&i| i != idx);
        let records = &self.records;
        let members = &mut self.folders[to].members;
        let at = members.partition_point(|&i| records[i].as_ref().is_some_and(|o| o.id < id));
        members.insert(at, idx);
        Ok(())
    }
}

const STAFF: [(&str, &str); 4] = [
    ("tree_admin tree_node_user", "Администратор &lt;admin&gt;"),
    ("tree_admin tree_node_user", "Оператор ТП &lt;support&gt;"),
    (
        "tree_server tree_node_user",
        "NAS-1 (PPPoE) &lt;10.0.0.200&gt;",
    ),
    (
        "tree_server tree_node_user",
        "Сервер биллинга &lt;carbon&gt;",
    ),
];

fn folder_name(f: usize) -> String {
    let base = names::DISTRICTS[f % names::DISTRICTS.len()];
    match f / names::DISTRICTS.len() {
        0 => base.to_string(),
        n => format!("{base} {}", n + 1),
    }
}

/// About 5% blocked, the three reasons alike.
fn initial_status(rng: &mut Rng) -> Status {
    if rng.chance(5) {
        Status::Blocked(*rng.pick(&BlockReason::ALL))
    } else {
        Status::Active
    }
}

fn billing_only_ip(k: usize) -> u32 {
    // 100.100.0.0/14, skipping .0 and .255 hosts; far from the population's
    // 100.64.x.y.
    let k = k as u32;
    let host = (k / 254) * 256 + k % 254 + 1;
    u32::from(Ipv4Addr::new(100, 100, 0, 0)) + host
}

pub(crate) fn mac_bytes(text: &str) -> Option<[u8; 6]> {
    let m = parse_mac(text)?;
    let mut out = [0u8; 6];
    for (o, part) in out.iter_mut().zip(m.split(':')) {
        *o = u8::from_str_radix(part, 16).ok()?;
    }
    Some(out)
}

/// Everything the record does not store, drawn from its seed in a fixed
/// order, then the control's changes over it.
fn derive(r: &Record, folder_id: u32) -> BillingSubscriber {
    let mut rng = Rng(r.seed);
    let login = &*r.login;
    let org = org_of(login);
    let place = Place::draw(&mut rng);
    let display_name = place.display(org);
    let (surname, female) = surname_of(login, &mut rng);
    let first = if female {
        *rng.pick(&names::FEMALE_NAMES)
    } else {
        *rng.pick(&names::MALE_NAMES)
    };
    let (pm, pf) = *rng.pick(&names::PATRONYMICS);
    let person = format!("{surname} {first} {}", if female { pf } else { pm });
    let full_name = org.map(str::to_string).unwrap_or(person);
    let address = place.address();
    let n = 1 + rng.below(99_999);
    let contract_number = match rng.below(4) {
        0 => r.id.to_string(),
        1 => format!("Д-{n:05}"),
        2 => format!("{:02}/{n}", 8 + rng.below(17)),
        _ if org.is_some() => format!("ЮЛ-{n}"),
        _ => format!("ФЛ-{n}"),
    };
    let start = Date {
        year: 2008,
        month: 1,
        day: 10,
    }
    .days();
    let contract_date = Date::from_days(start + rng.below(16 * 365) as i64);
    let connected_on = Date::from_days(contract_date.days() + rng.below(21) as i64);
    let phones = (0..1 + usize::from(rng.chance(30)))
        .map(|_| phone(&mut rng))
        .collect();
    let email = rng.chance(70).then(|| {
        let user: String = login
            .split('@')
            .next()
            .unwrap_or(login)
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            .collect();
        format!("{user}@{}", rng.pick(&names::MAIL_DOMAINS))
    });
    let (tariff, _) = if r.in_population {
        *rng.pick(&names::TARIFFS)
    } else {
        names::TARIFFS[7 * usize::from(rng.chance(60))]
    };
    let balance_kopecks = match r.status {
        Status::Blocked(BlockReason::OutOfFunds) => -(1 + rng.below(150_000) as i64),
        _ if rng.chance(12) => -(rng.below(40_000) as i64),
        _ if rng.chance(3) => 100_000 + rng.below(10_000_000) as i64,
        _ => rng.below(200_000) as i64,
    };
    let credit_kopecks = match rng.below(10) {
        0..=6 => 0,
        7 | 8 => 30_000,
        _ => 50_000,
    };
    let status_text = r.status.text(rng.next()).to_string();
    let dedicated_ip = rng.chance(7);
    let mut s = BillingSubscriber {
        id: r.id,
        folder_id,
        login: login.to_string(),
        full_name,
        display_name,
        contract_number,
        contract_date,
        address,
        phones,
        email,
        balance_kopecks,
        credit_kopecks,
        tariff: tariff.to_string(),
        status: r.status,
        status_text,
        ip: Ipv4Addr::from(r.ip),
        mac: r
            .mac
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
        connected_on,
        dedicated_ip,
        in_population: r.in_population,
    };
    for c in r.changes.iter().flat_map(|c| c.iter()) {
        apply(&mut s, c.clone());
    }
    s
}

fn apply(s: &mut BillingSubscriber, c: Change) {
    match c {
        Change::Login(v) => s.login = v,
        Change::FullName(v) => s.full_name = v,
        Change::DisplayName(v) => s.display_name = v,
        Change::ContractNumber(v) => s.contract_number = v,
        Change::ContractDate(v) => s.contract_date = v,
        Change::Address(v) => s.address = v,
        Change::Phones(v) => s.phones = v,
        Change::Email(v) => s.email = v,
        Change::BalanceKopecks(v) => s.balance_kopecks = v,
        Change::CreditKopecks(v) => s.credit_kopecks = v,
        Change::Tariff(v) => s.tariff = v,
        Change::Ip(v) => s.ip = v,
        Change::Mac(v) => s.mac = parse_mac(&v).unwrap_or(v),
        Change::ConnectedOn(v) => s.connected_on = v,
        Change::DedicatedIp(v) => s.dedicated_ip = v,
    }
}

/// Where a subscriber lives: the first draws of its seed, so the folder
/// page gets the display name without deriving the whole card.
struct Place {
    street: &'static str,
    house: usize,
    letter: &'static str,
    flat: Option<usize>,
    variant: usize,
}

/// House-number suffixes; mostly none.
const LETTERS: [&str; 8] = ["", "", "", "", "а", "б", "/1", " к2"];

impl Place {
    fn draw(rng: &mut Rng) -> Place {
        Place {
            street: names::STREETS[rng.below(names::STREETS.len())],
            house: 1 + rng.below(120),
            letter: LETTERS[rng.below(LETTERS.len())],
            flat: (!rng.chance(15)).then(|| 1 + rng.below(280)),
            variant: rng.below(3),
        }
    }

    fn address(&self) -> String {
        let Place {
            street,
            house,
            letter,
            ..
        } = self;
        match self.flat {
            Some(k) => format!("г. Новоград, ул. {street}, д. {house}{letter}, кв. {k}"),
            None => format!("г. Новоград, ул. {street}, д. {house}{letter}"),
        }
    }

    /// `Московская 5 а`, `ул. Ленина, д. 12, кв. 45`, `Мира 7-12`; a
    /// company's name with its street.
    fn display(&self, org: Option<&str>) -> String {
        let Place {
            street,
            house,
            letter,
            ..
        } = self;
        if let Some(o) = org {
            return format!("{o} ({street} {house})");
        }
        match (self.variant, self.flat) {
            (0, Some(k)) => format!("ул. {street}, д. {house}{letter}, кв. {k}"),
            (1, Some(k)) => format!("{street} {house}{letter}-{k}"),
            // A lone letter stands apart (`Московская 5 а`).
            _ if letter.chars().count() == 1 => format!("{street} {house} {letter}"),
            _ => format!("{street} {house}{letter}"),
        }
    }
}

/// The tree's link text before `<login>` for record `r`, without deriving
/// its whole card (the folder page lists thousands).
pub(crate) fn display_name(r: &Record) -> String {
    if let Some(Change::DisplayName(d)) = r
        .changes
        .iter()
        .flat_map(|c| c.iter())
        .find(|c| matches!(c, Change::DisplayName(_)))
    {
        return d.clone();
    }
    Place::draw(&mut Rng(r.seed)).display(org_of(&r.login))
}

/// The Russian surname a Latin login is made of (`petrova.m` → `Петрова`),
/// else a random one.
fn surname_of(login: &str, rng: &mut Rng) -> (String, bool) {
    let draw = rng.next();
    for (latin, ru) in LATIN_SURNAMES.iter().zip(names::SURNAMES) {
        if let Some(at) = login.find(latin) {
            let female = login[at + latin.len()..].starts_with('a');
            return (feminine(ru, female), female);
        }
    }
    let female = draw % 100 < 45;
    let ru = names::SURNAMES[(draw >> 8) as usize % names::SURNAMES.len()];
    (feminine(ru, female), female)
}

fn feminine(surname: &str, female: bool) -> String {
    if female {
        format!("{surname}а")
    } else {
        surname.to_string()
    }
}

/// The company behind a corporate login (`ooo-romashka-…@corp`).
fn org_of(login: &str) -> Option<&'static str> {
    const ORGS: [(&str, &str); 6] = [
        ("ooo-romashka", "ООО \"Ромашка\""),
        ("ip-kuznetsov", "ИП Кузнецов А.В."),
        ("ooo-vektor-plus", "ООО \"Вектор плюс\""),
        ("zao-stroitrest", "ЗАО \"Стройтрест\""),
        ("ooo-sever-logistik", "ООО \"Север-Логистик\""),
        ("ooo-apteka-zdorovie", "ООО \"Аптека Здоровье\""),
    ];
    if !login.contains('@') {
        return None;
    }
    ORGS.iter()
        .find(|(l, _)| login.starts_with(l))
        .map(|(_, ru)| *ru)
}

/// A mobile number in one of the notations people type.
fn phone(rng: &mut Rng) -> String {
    let code = 900 + rng.below(100);
    let a = rng.below(1000);
    let b = rng.below(100);
    let c = rng.below(100);
    match rng.below(5) {
        0 => format!("8 ({code}) {a:03}-{b:02}-{c:02}"),
        1 => format!("+7 {code} {a:03}{b:02}{c:02}"),
        2 => format!("{code}{a:03}{b:02}{c:02}"),
        3 => format!("+7({code}){a:03}-{b:02}-{c:02}"),
        _ => format!("8-{code}-{a:03}-{b:02}-{c:02}"),
    }
}
