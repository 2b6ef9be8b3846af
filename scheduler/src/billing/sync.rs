//! The billing sync: list every folder, fetch every card, tell the world
//! what billing shows, and then who left.
//!
//! "Left billing" is the one conclusion drawn from an absence, so it is
//! drawn only from a listing known to be whole: a folder is *complete* when
//! its listing and every card in it were fetched (and recorded). A failed
//! folder page, a card that timed out, an expired session that a new login
//! did not cure — each leaves every subscriber of that folder as it was,
//! and is reported in [`SyncReport::failed_pages`]. A failed root listing
//! makes no folder complete: the run marks nobody left and fails.
//!
//! Cards are fetched [`BillingSource::concurrency`] at once across folders
//! as one stream, and handed to [`SyncWorld::seen`] as they arrive; the
//! engine keeps only ids (the billing ids seen, a flag per folder), so a
//! run's memory does not grow with the cards. One run at a time: a run
//! holds an in-process lock and, when given [`Leases`], the `billing-sync`
//! lease, so two processes on one data dir do not sync at once either.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::{stream, StreamExt};
use ispmon_events::Metadata;
use serde::Serialize;

use super::{BillingError, BillingRecord, BillingSource, CardPage, Folder, PageDigest, TreeEntry};
use crate::lease::Leases;

/// How the world found a subscriber it was shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    New,
    Changed,
    Unchanged,
}

/// What the sync needs from the application.
#[async_trait::async_trait]
pub trait SyncWorld: Send + Sync {
    /// The source to sync from now (settings may change between runs);
    /// `Err("billing is not configured")` etc.
    async fn source(&self) -> Result<Arc<dyn BillingSource>, String>;
    /// One subscriber as billing shows it now (its card fetched): the world
    /// records changes (events) and volatile figures.
    async fn seen(&self, record: BillingRecord, meta: &Metadata) -> Result<Seen, String>;
    /// The digest of subscriber `id`'s page as last recorded
    /// ([`BillingRecord::page`]), when that record still stands: the same
    /// folder, and the world's subscriber as that record left it. A page
    /// with this digest is not parsed again ([`Self::seen_same`]).
    fn known_page(&self, _id: &str, _folder: &Folder) -> Option<PageDigest> {
        None
    }
    /// Subscriber `id` shows the page of [`Self::known_page`] again: as
    /// [`Self::seen`] with that card (its figures as of now). `None` when
    /// the record no longer stands; the engine then reads the card.
    async fn seen_same(
        &self,
        _id: &str,
        _folder: &Folder,
        _meta: &Metadata,
    ) -> Result<Option<Seen>, String> {
        Ok(None)
    }
    /// After the run: subscribers known to the world that were not seen, in
    /// a folder that was completely listed (or a folder gone from a
    /// successful root listing), left billing. Returns how many it marked
    /// left.
    async fn finish(&self, outcome: &Listing, meta: &Metadata) -> Result<usize, String>;
    /// The run's report, to keep (the jobs page shows it).
    async fn record(&self, report: &SyncReport);
    /// How often the scheduled sync runs (the settings').
    fn interval(&self) -> Duration {
        Duration::from_secs(30 * 60)
    }
}

/// What a run listed, for [`SyncWorld::finish`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// The root listing succeeded (so a folder missing from `folders` is
    /// gone from billing). Always true when `finish` is called: a run whose
    /// root failed does not call it.
    pub root_ok: bool,
    /// Every folder of the root listing.
    pub folders: Vec<Folder>,
    /// Folder ids listed whole: the listing and every card fetched.
    pub complete: BTreeSet<String>,
    /// Every billing id listed in any folder (its card fetched or not).
    pub seen: HashSet<String>,
}

/// A page (or file line) that failed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedPage {
    pub page: String,
    pub error: String,
}

/// What one run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub started_at: DateTime<Utc>,
    /// Folders in the root listing.
    pub folders: usize,
    /// Folders listed whole.
    pub complete: usize,
    /// Cards fetched.
    pub fetched: usize,
    pub new: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// Of the cards fetched, those whose page was byte for byte the one
    /// last recorded: not parsed again (counted in `unchanged`).
    pub same_pages: usize,
    /// Subscribers marked left.
    pub left: usize,
    /// Every failure, including those past [`SyncReport::failed_pages`]'
    /// first [`MAX_FAILED_PAGES`].
    pub failed: usize,
    pub failed_pages: Vec<FailedPage>,
    /// Why the run as a whole failed (no source, the root listing, the
    /// lease), if it did.
    pub error: Option<String>,
    pub duration_ms: u64,
}

/// Failures kept (and logged one by one) per run; the rest are counted.
pub const MAX_FAILED_PAGES: usize = 100;

/// How long the lease is taken for, renewed at a third of it while the
/// run goes on (so a holder that died frees it within this).
const LEASE_TTL: Duration = Duration::from_secs(10 * 60);
pub const LEASE_NAME: &str = "billing-sync";

impl SyncReport {
    fn new(started_at: DateTime<Utc>) -> Self {
        Self {
            started_at,
            folders: 0,
            complete: 0,
            fetched: 0,
            new: 0,
            changed: 0,
            unchanged: 0,
            same_pages: 0,
            left: 0,
            failed: 0,
            failed_pages: Vec::new(),
            error: None,
            duration_ms: 0,
        }
    }

    /// Notes a failure; the first ones are kept and logged.
    fn count(&mut self, seen: Seen) {
        match seen {
            Seen::New => self.new += 1,
            Seen::Changed => self.changed += 1,
            Seen::Unchanged => self.unchanged += 1,
        }
    }

    fn fail(&mut self, page: String, error: String) {
        self.failed += 1;
        let known = self
            .failed_pages
            .iter()
            .any(|f| f.page == page && f.error == error);
        if self.failed_pages.len() < MAX_FAILED_PAGES && !known {
            tracing::warn!(%page, %error, "billing sync: a page failed");
            self.failed_pages.push(FailedPage { page, error });
        }
    }

    /// One line for the jobs page and the log.
    pub fn summary(&self) -> String {
        if let Some(error) = &self.error {
            return format!("failed: {error}");
        }
        let mut s = format!(
            "{} folders ({} complete), {} cards: {} new, {} changed, {} left",
            self.folders, self.complete, self.fetched, self.new, self.changed, self.left
        );
        if self.same_pages > 0 {
            s.push_str(&format!(
                " ({} cards the same page as last time, not read again)",
                self.same_pages
            ));
        }
        if let Some(first) = self.failed_pages.first() {
            s.push_str(&format!(
                "; {} failed (first {}: {})",
                self.failed, first.page, first.error
            ));
        }
        s
    }
}

/// What the stream of a run yields, in arrival order.
enum Step {
    Listed(usize),
    ListFailed(usize, BillingError),
    Card(usize, TreeEntry, Result<CardPage, BillingError>),
}

/// A folder listing's items on their way to the card fetches.
enum Todo {
    Done(Step),
    /// A card to fetch, of folder `.0`.
    Fetch(usize, TreeEntry),
}

/// Runs billing syncs; one per process, shared by the job and the button.
pub struct Syncer {
    world: Arc<dyn SyncWorld>,
    leases: Option<Leases>,
    running: tokio::sync::Mutex<()>,
}

impl Syncer {
    pub fn new(world: Arc<dyn SyncWorld>) -> Self {
        Self {
            world,
            leases: None,
            running: tokio::sync::Mutex::new(()),
        }
    }

    /// Also holds the `billing-sync` lease while a run goes on, so runs of
    /// different processes do not overlap.
    pub fn with_leases(mut self, leases: Leases) -> Self {
        self.leases = Some(leases);
        self
    }

    pub fn world(&self) -> &Arc<dyn SyncWorld> {
        &self.world
    }

    /// One sync. `Err` with the summary when the run as a whole failed (no
    /// source, the root listing, another run in progress); pages that
    /// failed within a run that went on are in the report.
    pub async fn run(&self, meta: &Metadata) -> Result<SyncReport, String> {
        let Ok(_one) = self.running.try_lock() else {
            return Err("a billing sync is already running".into());
        };
        if let Some(leases) = &self.leases {
            match leases.claim(LEASE_NAME.into(), LEASE_TTL).await {
                Ok(true) => {}
                Ok(false) => {
                    return Err("a billing sync is already running in another process".into())
                }
                Err(e) => return Err(format!("taking the billing-sync lease: {e}")),
            }
        }
        let report = self.sync(meta).await;
        if let Some(leases) = &self.leases {
            if let Err(e) = leases.release(LEASE_NAME.into()).await {
                tracing::warn!(error = %e, "giving the billing-sync lease back failed; it expires");
            }
        }
        let summary = report.summary();
        if report.error.is_some() || report.failed > 0 {
            tracing::warn!(%summary, duration_ms = report.duration_ms, "billing sync");
        } else {
            tracing::info!(%summary, duration_ms = report.duration_ms, "billing sync");
        }
        self.world.record(&report).await;
        match report.error {
            Some(_) => Err(summary),
            None => Ok(report),
        }
    }

    async fn sync(&self, meta: &Metadata) -> SyncReport {
        let started = Instant::now();
        let mut report = SyncReport::new(Utc::now());
        self.sync_into(&mut report, meta).await;
        report.duration_ms = started.elapsed().as_millis() as u64;
        report
    }

    async fn sync_into(&self, report: &mut SyncReport, meta: &Metadata) {
        let source = match self.world.source().await {
            Ok(s) => s,
            Err(e) => {
                report.error = Some(e);
                return;
            }
        };
        let folders = match source.folders().await {
            Ok(f) => f,
            Err(e) => {
                let page = e.page().unwrap_or_else(|| "the root listing".into());
                report.fail(page, e.to_string());
                report.error = Some(format!(
                    "the root listing failed, nobody is marked left: {e}"
                ));
                return;
            }
        };
        report.folders = folders.len();
        let Some(listing) = self.fetch_all(&*source, folders, report, meta).await else {
            return;
        };
        report.complete = listing.complete.len();
        match self.world.finish(&listing, meta).await {
            Ok(left) => report.left = left,
            Err(e) => report.error = Some(format!("marking who left billing: {e}")),
        }
    }

    /// Lists every folder and hands every card to the world; `None` when
    /// the run must stop (the lease was lost).
    async fn fetch_all(
        &self,
        source: &dyn BillingSource,
        folders: Vec<Folder>,
        report: &mut SyncReport,
        meta: &Metadata,
    ) -> Option<Listing> {
        let width = source.concurrency().max(1);
        let mut listed = vec![false; folders.len()];
        let mut failed = vec![false; folders.len()];
        let mut seen = HashSet::new();
        let folders_ref = &folders;
        let world = &self.world;
        let mut steps = stream::iter(0..folders.len())
            .map(|i| async move { (i, source.subscribers(&folders_ref[i]).await) })
            // The next folder is listed while this one's cards are fetched.
            .buffered(2)
            .flat_map(|(i, listing)| {
                let steps = match listing {
                    Ok(entries) => std::iter::once(Todo::Done(Step::Listed(i)))
                        .chain(entries.into_iter().map(|e| Todo::Fetch(i, e)))
                        .collect(),
                    Err(e) => vec![Todo::Done(Step::ListFailed(i, e))],
                };
                stream::iter(steps)
            })
            .map(|step| async move {
                match step {
                    Todo::Done(step) => step,
                    Todo::Fetch(i, entry) => {
                        let known = world.known_page(&entry.id, &folders_ref[i]);
                        let card = source.card_unless_same(&entry, known).await;
                        Step::Card(i, entry, card)
                    }
                }
            })
            .buffer_unordered(width);
        let mut renewed = Instant::now();
        while let Some(step) = steps.next().await {
            match step {
                Step::Card(i, entry, mut card) => {
                    if let Ok(CardPage::Same) = card {
                        match self.world.seen_same(&entry.id, &folders[i], meta).await {
                            Ok(Some(outcome)) => {
                                report.fetched += 1;
                                report.same_pages += 1;
                                seen.insert(entry.id);
                                report.count(outcome);
                                continue;
                            }
                            // Changed since it was asked (listed twice?):
                            // read the card after all.
                            Ok(None) => card = source.card_unless_same(&entry, None).await,
                            Err(e) => {
                                failed[i] = true;
                                seen.insert(entry.id.clone());
                                report.fail(format!("recording {}", entry.id), e);
                                continue;
                            }
                        }
                    }
                    match card {
                        Err(e) => {
                            failed[i] = true;
                            seen.insert(entry.id.clone());
                            let page = e.page().unwrap_or_else(|| format!("card {}", entry.id));
                            report.fail(page, e.to_string());
                        }
                        Ok(CardPage::Same) => {
                            failed[i] = true;
                            seen.insert(entry.id.clone());
                            report.fail(
                                format!("card {}", entry.id),
                                "the source answered \"the same page\" unasked".into(),
                            );
                        }
                        Ok(CardPage::Parsed { card, digest }) => {
                            report.fetched += 1;
                            seen.insert(entry.id);
                            let id = card.billing_id.clone();
                            seen.insert(id.clone());
                            let record = BillingRecord {
                                folder: folders[i].clone(),
                                display: entry.display,
                                card: *card,
                                page: digest,
                            };
                            match self.world.seen(record, meta).await {
                                Ok(outcome) => report.count(outcome),
                                Err(e) => {
                                    failed[i] = true;
                                    report.fail(format!("recording {id}"), e);
                                }
                            }
                        }
                    }
                }
                Step::Listed(i) => listed[i] = true,
                Step::ListFailed(i, e) => {
                    failed[i] = true;
                    let page = e
                        .page()
                        .unwrap_or_else(|| format!("folder {}", folders[i].name));
                    report.fail(page, e.to_string());
                }
            }
            if renewed.elapsed() > LEASE_TTL / 3 {
                renewed = Instant::now();
                if !self.renew_lease(report).await {
                    return None;
                }
            }
        }
        drop(steps);
        let complete = folders
            .iter()
            .enumerate()
            .filter(|(i, _)| listed[*i] && !failed[*i])
            .map(|(_, f)| f.id.clone())
            .collect();
        Some(Listing {
            root_ok: true,
            folders,
            complete,
            seen,
        })
    }

    /// Renews the lease; false (with the report's error set) when another
    /// holder has it now.
    async fn renew_lease(&self, report: &mut SyncReport) -> bool {
        let Some(leases) = &self.leases else {
            return true;
        };
        match leases.claim(LEASE_NAME.into(), LEASE_TTL).await {
            Ok(true) => true,
            Ok(false) => {
                report.error =
                    Some("lost the billing-sync lease to another process; stopped".into());
                false
            }
            Err(e) => {
                // The database hiccuped; the lease is still ours for a while.
                tracing::warn!(error = %e, "renewing the billing-sync lease failed");
                true
            }
        }
    }
}
