//! The sync engine and its job over an in-memory billing and a world that
//! keeps subscribers as the application would; the file import over the
//! same sync.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ispmon_events::{Metadata, Source};

use super::*;
use crate::{Job, Scope};

fn meta() -> Metadata {
    Metadata::system(Source::Cli, "test")
}

fn folder(id: &str) -> Folder {
    Folder {
        id: id.into(),
        name: format!("Folder {id}"),
    }
}

fn card(id: &str, tariff: &str) -> Card {
    Card {
        billing_id: id.into(),
        login: format!("u{id}"),
        tariff: Some(tariff.into()),
        status: "Активен".into(),
        ..Card::default()
    }
}

/// Billing in memory: folders of cards, any page of which can be made to
/// fail. Counts the cards fetched at once.
#[derive(Default)]
struct Fake {
    root_fails: bool,
    folders: Vec<(Folder, Vec<Card>)>,
    failing_folders: HashSet<String>,
    failing_cards: HashSet<String>,
    width: usize,
    /// Each card fetch waits this long (to see them overlap).
    delay: Duration,
    at_once: AtomicUsize,
    most_at_once: AtomicUsize,
}

impl Fake {
    fn new(folders: &[(&str, &[(&str, &str)])]) -> Self {
        Fake {
            folders: folders
                .iter()
                .map(|(f, cards)| {
                    let cards = cards.iter().map(|(id, t)| card(id, t)).collect();
                    (folder(f), cards)
                })
                .collect(),
            width: 4,
            ..Fake::default()
        }
    }
}

#[async_trait::async_trait]
impl BillingSource for Fake {
    async fn folders(&self) -> Result<Vec<Folder>, BillingError> {
        if self.root_fails {
            return Err(BillingError::Http {
                page: "/cabinet/userinfo".into(),
                status: 502,
            });
        }
        Ok(self.folders.iter().map(|(f, _)| f.clone()).collect())
    }
    async fn subscribers(&self, folder: &Folder) -> Result<Vec<TreeEntry>, BillingError> {
        if self.failing_folders.contains(&folder.id) {
            return Err(BillingError::Timeout {
                page: format!("/cabinet/userinfo/{}", folder.id),
            });
        }
        let (_, cards) = self
            .folders
            .iter()
            .find(|(f, _)| f.id == folder.id)
            .expect("a listed folder");
        Ok(cards
            .iter()
            .map(|c| TreeEntry {
                id: c.billing_id.clone(),
                display: format!("Street {}", c.billing_id),
                login: c.login.clone(),
            })
            .collect())
    }
    async fn card(&self, entry: &TreeEntry) -> Result<Card, BillingError> {
        let now = self.at_once.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_at_once.fetch_max(now, Ordering::SeqCst);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.at_once.fetch_sub(1, Ordering::SeqCst);
        if self.failing_cards.contains(&entry.id) {
            return Err(BillingError::SessionExpired {
                page: format!("/cabinet/userinfo/{}", entry.id),
            });
        }
        Ok(self
            .folders
            .iter()
            .flat_map(|(_, cards)| cards)
            .find(|c| c.billing_id == entry.id)
            .cloned()
            .expect("a listed card"))
    }
    async fn sessions(
        &self,
        _id: &str,
        _from: chrono::NaiveDate,
        _to: chrono::NaiveDate,
    ) -> Result<Vec<StatRow>, BillingError> {
        Ok(vec![])
    }
    fn concurrency(&self) -> usize {
        self.width
    }
}

/// A fake shared with the test, to look at its counters.
#[async_trait::async_trait]
impl BillingSource for Arc<Fake> {
    async fn folders(&self) -> Result<Vec<Folder>, BillingError> {
        self.as_ref().folders().await
    }
    async fn subscribers(&self, f: &Folder) -> Result<Vec<TreeEntry>, BillingError> {
        self.as_ref().subscribers(f).await
    }
    async fn card(&self, e: &TreeEntry) -> Result<Card, BillingError> {
        self.as_ref().card(e).await
    }
    async fn sessions(
        &self,
        id: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<StatRow>, BillingError> {
        self.as_ref().sessions(id, from, to).await
    }
    fn concurrency(&self) -> usize {
        self.as_ref().concurrency()
    }
}

/// Keeps subscribers (folder, card) and who left, as the application does.
#[derive(Default)]
pub(crate) struct World {
    source: Mutex<Option<Arc<dyn BillingSource>>>,
    known: Mutex<HashMap<String, (String, Card)>>,
    left: Mutex<HashSet<String>>,
    reports: Mutex<Vec<SyncReport>>,
}

impl World {
    pub(crate) fn with(source: impl BillingSource + 'static) -> Arc<Self> {
        let w = World::default();
        w.set(source);
        Arc::new(w)
    }
    fn set(&self, source: impl BillingSource + 'static) {
        *self.source.lock().unwrap() = Some(Arc::new(source));
    }
    fn left(&self) -> Vec<String> {
        let mut l: Vec<String> = self.left.lock().unwrap().iter().cloned().collect();
        l.sort();
        l
    }
}

#[async_trait::async_trait]
impl SyncWorld for World {
    async fn source(&self) -> Result<Arc<dyn BillingSource>, String> {
        self.source
            .lock()
            .unwrap()
            .clone()
            .ok_or_else(|| "billing is not configured".to_string())
    }
    async fn seen(&self, record: BillingRecord, _meta: &Metadata) -> Result<Seen, String> {
        let id = record.card.billing_id.clone();
        self.left.lock().unwrap().remove(&id);
        let entry = (record.folder.id, record.card);
        let old = self.known.lock().unwrap().insert(id, entry.clone());
        Ok(match old {
            None => Seen::New,
            Some(o) if o == entry => Seen::Unchanged,
            Some(_) => Seen::Changed,
        })
    }
    async fn finish(&self, outcome: &Listing, _meta: &Metadata) -> Result<usize, String> {
        assert!(outcome.root_ok);
        let known = self.known.lock().unwrap();
        let mut left = self.left.lock().unwrap();
        let mut n = 0;
        for (id, (folder, _)) in known.iter() {
            let gone_folder = !outcome.folders.iter().any(|f| &f.id == folder);
            let whole = outcome.complete.contains(folder) || gone_folder;
            if whole && !outcome.seen.contains(id) && left.insert(id.clone()) {
                n += 1;
            }
        }
        Ok(n)
    }
    async fn record(&self, report: &SyncReport) {
        self.reports.lock().unwrap().push(report.clone());
    }
}

const A: &[(&str, &str)] = &[("1", "T10"), ("2", "T10"), ("3", "T20")];
const B: &[(&str, &str)] = &[("4", "T10"), ("5", "T20")];

fn billing() -> Fake {
    Fake::new(&[("a", A), ("b", B)])
}

async fn synced() -> (Arc<World>, Syncer) {
    let world = World::with(billing());
    let syncer = Syncer::new(world.clone());
    let first = syncer.run(&meta()).await.unwrap();
    assert_eq!(first.new, 5);
    (world, syncer)
}

#[tokio::test]
async fn a_full_billing_sync_shows_every_subscriber_to_the_world_as_new() {
    let world = World::with(billing());
    let report = Syncer::new(world.clone()).run(&meta()).await.unwrap();
    assert_eq!(
        (report.folders, report.complete, report.fetched, report.new),
        (2, 2, 5, 5)
    );
    assert_eq!((report.changed, report.left, report.failed), (0, 0, 0));
    assert!(report.failed_pages.is_empty());
    let known = world.known.lock().unwrap();
    assert_eq!(known["4"].0, "b");
    assert_eq!(known["4"].1.tariff.as_deref(), Some("T10"));
    assert_eq!(
        report.summary(),
        "2 folders (2 complete), 5 cards: 5 new, 0 changed, 0 left"
    );
    assert_eq!(world.reports.lock().unwrap().len(), 1, "the report is kept");
}

#[tokio::test]
async fn a_second_identical_billing_sync_finds_nothing_new_or_changed() {
    let (world, syncer) = synced().await;
    let again = syncer.run(&meta()).await.unwrap();
    assert_eq!((again.new, again.changed, again.unchanged), (0, 0, 5));
    assert_eq!(again.left, 0);
    // A tariff change is one changed subscriber.
    world.set(Fake::new(&[
        ("a", &[("1", "T10"), ("2", "T99"), ("3", "T20")]),
        ("b", B),
    ]));
    let changed = syncer.run(&meta()).await.unwrap();
    assert_eq!((changed.new, changed.changed, changed.unchanged), (0, 1, 4));
}

#[tokio::test]
async fn billing_subscribers_gone_from_a_complete_folder_or_a_gone_folder_are_marked_left() {
    let (world, syncer) = synced().await;
    world.set(Fake::new(&[("a", &[("1", "T10"), ("3", "T20")])]));
    let report = syncer.run(&meta()).await.unwrap();
    assert_eq!(report.left, 3);
    assert_eq!(world.left(), vec!["2", "4", "5"]);
}

#[tokio::test]
async fn a_failed_billing_folder_page_marks_nobody_in_it_left_while_others_are() {
    let (world, syncer) = synced().await;
    let mut fake = Fake::new(&[("a", &[("1", "T10")]), ("b", &[("4", "T10")])]);
    fake.failing_folders.insert("a".into());
    world.set(fake);
    let report = syncer.run(&meta()).await.unwrap();
    assert_eq!(
        world.left(),
        vec!["5"],
        "2 and 3 are in the failed folder a"
    );
    assert_eq!((report.complete, report.left, report.failed), (1, 1, 1));
    assert_eq!(
        report.failed_pages,
        vec![FailedPage {
            page: "/cabinet/userinfo/a".into(),
            error: "/cabinet/userinfo/a: no answer in time".into(),
        }]
    );
    assert!(
        report
            .summary()
            .contains("1 failed (first /cabinet/userinfo/a"),
        "{}",
        report.summary()
    );
}

#[tokio::test]
async fn a_failed_billing_card_leaves_its_folder_incomplete() {
    let (world, syncer) = synced().await;
    // 3 left folder a, and 1's card fails: a is not whole, so 3 stays.
    let mut fake = Fake::new(&[("a", &[("1", "T10"), ("2", "T10")]), ("b", &[("4", "T10")])]);
    fake.failing_cards.insert("1".into());
    world.set(fake);
    let report = syncer.run(&meta()).await.unwrap();
    assert_eq!(world.left(), vec!["5"]);
    assert_eq!(report.fetched, 2);
    assert_eq!(report.failed_pages[0].page, "/cabinet/userinfo/1");
    assert!(!world.left().contains(&"1".to_string()));
}

#[tokio::test]
async fn a_failed_billing_root_listing_marks_nobody_left_and_the_run_fails() {
    let (world, syncer) = synced().await;
    let mut fake = Fake::new(&[]);
    fake.root_fails = true;
    world.set(fake);
    let err = syncer.run(&meta()).await.unwrap_err();
    assert!(err.contains("the root listing failed"), "{err}");
    assert!(err.contains("HTTP 502"), "{err}");
    assert!(world.left().is_empty());
    let reports = world.reports.lock().unwrap();
    let last = reports.last().unwrap();
    assert_eq!(last.failed_pages[0].page, "/cabinet/userinfo");
    assert!(last.error.is_some());
}

#[tokio::test]
async fn an_unconfigured_billing_source_fails_the_run_with_the_worlds_reason() {
    let world = Arc::new(World::default());
    let err = Syncer::new(world.clone()).run(&meta()).await.unwrap_err();
    assert_eq!(err, "failed: billing is not configured");
}

#[tokio::test]
async fn billing_cards_are_fetched_as_wide_as_the_source_allows_across_folders() {
    let mut fake = Fake::new(&[
        ("a", &[("1", "T"), ("2", "T")]),
        (
            "b",
            &[("3", "T"), ("4", "T"), ("5", "T"), ("6", "T"), ("7", "T")],
        ),
    ]);
    fake.width = 3;
    fake.delay = Duration::from_millis(20);
    let fake = Arc::new(fake);
    let world = World::with(fake.clone());
    let report = Syncer::new(world).run(&meta()).await.unwrap();
    assert_eq!(report.fetched, 7);
    assert_eq!(fake.most_at_once.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn two_billing_syncs_never_overlap_in_one_process_or_across_processes() {
    let mut fake = billing();
    fake.delay = Duration::from_millis(50);
    let fake = Arc::new(fake);
    let world = World::with(fake.clone());
    let syncer = Arc::new(Syncer::new(world.clone()));
    let first = tokio::spawn({
        let s = syncer.clone();
        async move { s.run(&meta()).await }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while fake.at_once.load(Ordering::SeqCst) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the first run fetches"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let err = syncer.run(&meta()).await.unwrap_err();
    assert!(err.contains("already running"), "{err}");
    first.await.unwrap().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let telemetry = crate::telemetry::Telemetry::open(&dir.path().join("telemetry.db")).unwrap();
    let other = crate::lease::Leases::with_owner(telemetry.clone(), "other".into());
    assert!(other
        .claim_blocking(sync::LEASE_NAME, Duration::from_secs(60))
        .unwrap());
    let leased = Syncer::new(world.clone())
        .with_leases(crate::lease::Leases::with_owner(telemetry, "me".into()));
    let err = leased.run(&meta()).await.unwrap_err();
    assert!(err.contains("another process"), "{err}");
    other.release_blocking(sync::LEASE_NAME).unwrap();
    leased.run(&meta()).await.unwrap();
    assert!(
        !other.held_blocking(sync::LEASE_NAME).unwrap(),
        "given back"
    );
}

#[tokio::test]
async fn the_billing_sync_job_runs_on_due_and_all_and_refuses_other_scopes() {
    let world = World::with(billing());
    let job = BillingSyncJob::new(Arc::new(Syncer::new(world.clone())));
    assert_eq!(job.name(), "billing-sync");
    assert_eq!(job.interval(), Duration::from_secs(1800));
    assert_eq!(
        job.run_once().await.unwrap(),
        "2 folders (2 complete), 5 cards: 5 new, 0 changed, 0 left"
    );
    let all = job.run(Scope::All, Some(meta())).await.unwrap();
    assert!(all.contains("0 new"), "{all}");
    let err = job.run(Scope::Tag("x".into()), None).await.unwrap_err();
    assert!(err.contains("not a scope"), "{err}");
}

const CSV: &str = "\
billing_id,folder,login,full_name,phones,mac,balance,status,Комментарий
1,Центр,u1,Иванов,+7 900 1;+7 900 2,00-1A-2B-3C-4D-5E,\"1 234,56\",Активен,ключ у соседа
2,Центр,u2,,,,,Пользователь отключен,
,Центр,u3,,,,,,
4,Север,,,,,,,
5,Север,u5,,,zz:zz,,,
6,Север,u6,,,,много,,
1,Юг,u7,,,,,,
8,Юг,u8,\"Петров
Пётр\",,,-5,,
9,Запад,u9,,,,,,
";

#[test]
fn a_billing_import_keeps_good_rows_and_names_bad_ones_by_line() {
    let file = FileSource::parse(CSV);
    let bad: Vec<(usize, &str)> = file
        .bad_rows
        .iter()
        .map(|b| (b.line, b.error.as_str()))
        .collect();
    assert_eq!(
        bad,
        vec![
            (4, "no billing_id"),
            (5, "no login"),
            (6, "not a MAC: zz:zz"),
            (7, "not a number in balance: много"),
            (8, "billing_id 1 is already on line 2"),
        ]
    );
    let mut ids: Vec<&str> = file.cards().map(|c| c.billing_id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, vec!["1", "2", "8", "9"]);
    let one = file.cards().find(|c| c.billing_id == "1").unwrap();
    assert_eq!(one.phones, vec!["+7 900 1", "+7 900 2"]);
    assert_eq!(one.mac.as_deref(), Some("00:1a:2b:3c:4d:5e"));
    assert_eq!(one.balance, Some(1234.56));
    assert_eq!(one.fields["Комментарий"], "ключ у соседа");
    let two = file.cards().find(|c| c.billing_id == "2").unwrap();
    assert_eq!(two.blocked, Some(Blocked::Disabled));
    let eight = file.cards().find(|c| c.billing_id == "8").unwrap();
    assert_eq!(eight.full_name.as_deref(), Some("Петров\nПётр"));
    assert_eq!(eight.balance, Some(-5.0));
}

#[tokio::test]
async fn a_billing_import_folder_with_a_bad_row_marks_nobody_in_it_left() {
    let world = World::default();
    // Known before the import: one subscriber in each folder of the file.
    for (id, f) in [
        ("50", "Центр"),
        ("51", "Север"),
        ("52", "Юг"),
        ("53", "Запад"),
    ] {
        world
            .known
            .lock()
            .unwrap()
            .insert(id.into(), (f.into(), card(id, "T")));
    }
    world.set(FileSource::parse(CSV));
    let world = Arc::new(world);
    let report = Syncer::new(world.clone()).run(&meta()).await.unwrap();
    assert_eq!((report.new, report.fetched), (4, 4));
    // Центр, Север and Юг have bad rows; only Запад is whole.
    assert_eq!(world.left(), vec!["53"]);
    assert_eq!(report.complete, 1);
    let pages: Vec<&str> = report
        .failed_pages
        .iter()
        .map(|f| f.page.as_str())
        .collect();
    assert_eq!(
        pages.iter().copied().collect::<HashSet<_>>(),
        HashSet::from(["line 4", "line 5", "line 6", "line 7", "line 8"])
    );
}

#[test]
fn a_billing_import_reads_json_lines_with_the_same_keys() {
    let text = r#"{"billing_id": "1", "folder": "Центр", "login": "u1", "phones": ["+7 1", "+7 2"], "balance": -12.5, "extra": true}

{"billing_id": 2, "folder": "Центр", "login": "u2", "mac": "0011.2233.4455"}
not json
{"billing_id": "3", "folder": "Центр"}
"#;
    let file = FileSource::parse(text);
    let bad: Vec<usize> = file.bad_rows.iter().map(|b| b.line).collect();
    assert_eq!(bad, vec![4, 5]);
    let one = file.cards().find(|c| c.billing_id == "1").unwrap();
    assert_eq!(one.phones, vec!["+7 1", "+7 2"]);
    assert_eq!(one.balance, Some(-12.5));
    assert_eq!(one.fields["extra"], "true");
    let two = file.cards().find(|c| c.billing_id == "2").unwrap();
    assert_eq!(two.mac.as_deref(), Some("00:11:22:33:44:55"));
}

#[tokio::test]
async fn a_billing_import_without_its_columns_or_rows_is_refused_and_marks_nobody_left() {
    for text in ["", "id,name\n1,x\n", "billing_id,login,folder\n"] {
        let world = World::default();
        world
            .known
            .lock()
            .unwrap()
            .insert("50".into(), ("Центр".into(), card("50", "T")));
        world.set(FileSource::parse(text));
        let world = Arc::new(world);
        let err = Syncer::new(world.clone()).run(&meta()).await.unwrap_err();
        assert!(err.contains("the import file"), "{text:?}: {err}");
        assert!(world.left().is_empty());
    }
}

#[test]
fn a_billing_import_in_a_russian_spreadsheets_semicolons_reads_the_same() {
    let file = FileSource::parse("billing_id;login;folder;balance\n1;u1;Центр;\"1 234,5\"\n");
    assert!(file.bad_rows.is_empty(), "{:?}", file.bad_rows);
    assert_eq!(file.cards().next().unwrap().balance, Some(1234.5));
}

/// Billing generated on the fly: `folders` folders of `per` subscribers.
struct Generated {
    folders: usize,
    per: usize,
}

#[async_trait::async_trait]
impl BillingSource for Generated {
    async fn folders(&self) -> Result<Vec<Folder>, BillingError> {
        Ok((0..self.folders).map(|f| folder(&f.to_string())).collect())
    }
    async fn subscribers(&self, f: &Folder) -> Result<Vec<TreeEntry>, BillingError> {
        let base = f.id.parse::<usize>().expect("a generated folder") * self.per;
        Ok((base..base + self.per)
            .map(|n| TreeEntry {
                id: n.to_string(),
                display: format!("Street {n}"),
                login: format!("u{n}"),
            })
            .collect())
    }
    async fn card(&self, e: &TreeEntry) -> Result<Card, BillingError> {
        Ok(card(&e.id, "T10"))
    }
    async fn sessions(
        &self,
        _id: &str,
        _from: chrono::NaiveDate,
        _to: chrono::NaiveDate,
    ) -> Result<Vec<StatRow>, BillingError> {
        Ok(vec![])
    }
    fn concurrency(&self) -> usize {
        16
    }
}

/// Counts only, so the test measures the engine.
struct Counting(Arc<dyn BillingSource>, AtomicUsize);

#[async_trait::async_trait]
impl SyncWorld for Counting {
    async fn source(&self) -> Result<Arc<dyn BillingSource>, String> {
        Ok(self.0.clone())
    }
    async fn seen(&self, _record: BillingRecord, _meta: &Metadata) -> Result<Seen, String> {
        self.1.fetch_add(1, Ordering::Relaxed);
        Ok(Seen::Unchanged)
    }
    async fn finish(&self, outcome: &Listing, _meta: &Metadata) -> Result<usize, String> {
        assert_eq!(outcome.complete.len(), 50);
        assert_eq!(outcome.seen.len(), 100_000);
        Ok(0)
    }
    async fn record(&self, _report: &SyncReport) {}
}

#[tokio::test]
async fn a_billing_sync_of_100k_subscribers_takes_well_under_a_minute_of_engine_time() {
    let world = Arc::new(Counting(
        Arc::new(Generated {
            folders: 50,
            per: 2000,
        }),
        AtomicUsize::new(0),
    ));
    let started = std::time::Instant::now();
    let report = Syncer::new(world.clone()).run(&meta()).await.unwrap();
    let took = started.elapsed();
    assert_eq!(report.unchanged, 100_000);
    assert_eq!(world.1.load(Ordering::Relaxed), 100_000);
    assert!(took < Duration::from_secs(20), "{took:?}");
}

/// A billing that tells its pages again (a card's digest: its id and
/// tariff); counts the cards it parsed.
struct Pages {
    fake: Arc<Fake>,
    parsed: AtomicUsize,
}

fn digest_of(card: &Card) -> PageDigest {
    let mut d = PageDigest::default();
    let text = format!(
        "{}:{}",
        card.billing_id,
        card.tariff.as_deref().unwrap_or("")
    );
    for (i, b) in text.bytes().enumerate().take(d.len()) {
        d[i] = b;
    }
    d
}

#[async_trait::async_trait]
impl BillingSource for Arc<Pages> {
    async fn folders(&self) -> Result<Vec<Folder>, BillingError> {
        self.fake.folders().await
    }
    async fn subscribers(&self, f: &Folder) -> Result<Vec<TreeEntry>, BillingError> {
        self.fake.subscribers(f).await
    }
    async fn card(&self, e: &TreeEntry) -> Result<Card, BillingError> {
        self.fake.card(e).await
    }
    async fn card_unless_same(
        &self,
        e: &TreeEntry,
        known: Option<PageDigest>,
    ) -> Result<CardPage, BillingError> {
        let card = self.fake.card(e).await?;
        let digest = digest_of(&card);
        if known == Some(digest) {
            return Ok(CardPage::Same);
        }
        self.parsed.fetch_add(1, Ordering::SeqCst);
        Ok(CardPage::Parsed {
            card: Box::new(card),
            digest: Some(digest),
        })
    }
    async fn sessions(
        &self,
        id: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<StatRow>, BillingError> {
        self.fake.sessions(id, from, to).await
    }
    fn concurrency(&self) -> usize {
        self.fake.concurrency()
    }
}

/// [`World`] that remembers each record's page; a subscriber in `gone`
/// no longer stands when the same page comes (changed between the ask and
/// the answer), one in `broken` cannot be recorded.
#[derive(Default)]
struct PagesWorld {
    inner: World,
    pages: Mutex<HashMap<String, PageDigest>>,
    gone: Mutex<HashSet<String>>,
    broken: Mutex<HashSet<String>>,
}

#[async_trait::async_trait]
impl SyncWorld for PagesWorld {
    async fn source(&self) -> Result<Arc<dyn BillingSource>, String> {
        self.inner.source().await
    }
    async fn seen(&self, record: BillingRecord, meta: &Metadata) -> Result<Seen, String> {
        let id = record.card.billing_id.clone();
        match record.page {
            Some(d) => self.pages.lock().unwrap().insert(id, d),
            None => self.pages.lock().unwrap().remove(&id),
        };
        self.inner.seen(record, meta).await
    }
    fn known_page(&self, id: &str, _folder: &Folder) -> Option<PageDigest> {
        self.pages.lock().unwrap().get(id).copied()
    }
    async fn seen_same(
        &self,
        id: &str,
        _folder: &Folder,
        _meta: &Metadata,
    ) -> Result<Option<Seen>, String> {
        if self.broken.lock().unwrap().contains(id) {
            return Err(format!("subscriber {id} cannot be recorded"));
        }
        if self.gone.lock().unwrap().contains(id) {
            return Ok(None);
        }
        Ok(Some(Seen::Unchanged))
    }
    async fn finish(&self, outcome: &Listing, meta: &Metadata) -> Result<usize, String> {
        self.inner.finish(outcome, meta).await
    }
    async fn record(&self, report: &SyncReport) {
        self.inner.record(report).await
    }
}

#[tokio::test]
async fn a_page_the_same_as_last_recorded_is_not_parsed_unless_its_record_no_longer_stands() {
    let source = Arc::new(Pages {
        fake: Arc::new(billing()),
        parsed: AtomicUsize::new(0),
    });
    let world = Arc::new(PagesWorld::default());
    world.inner.set(source.clone());
    let syncer = Syncer::new(world.clone());
    let parsed = || source.parsed.swap(0, Ordering::SeqCst);

    let first = syncer.run(&meta()).await.unwrap();
    assert_eq!((first.new, first.same_pages, parsed()), (5, 0, 5));

    let steady = syncer.run(&meta()).await.unwrap();
    assert_eq!(
        (
            steady.fetched,
            steady.unchanged,
            steady.same_pages,
            parsed()
        ),
        (5, 5, 5, 0),
        "nothing parsed again"
    );
    assert!(
        steady.summary().contains("5 cards the same page"),
        "{}",
        steady.summary()
    );

    // Changed between the ask and the answer: the card is read after all.
    world.gone.lock().unwrap().insert("2".into());
    let reread = syncer.run(&meta()).await.unwrap();
    assert_eq!(
        (reread.unchanged, reread.same_pages, reread.failed, parsed()),
        (5, 4, 0, 1)
    );

    // A same page the world cannot record fails its folder: nobody in it
    // is marked left (folder "a" lists 1, 2, 3; "b" is whole).
    world.gone.lock().unwrap().clear();
    world.broken.lock().unwrap().insert("1".into());
    world.inner.set(Arc::new(Pages {
        fake: Arc::new(Fake::new(&[("a", &[("1", "T10")]), ("b", B)])),
        parsed: AtomicUsize::new(0),
    }));
    let failed = syncer.run(&meta()).await.unwrap();
    assert_eq!(failed.failed, 1, "{failed:?}");
    assert_eq!(failed.complete, 1);
    assert_eq!(
        failed.left, 0,
        "2 and 3 are gone from a folder not listed whole"
    );
    assert!(world.inner.left().is_empty());
}
