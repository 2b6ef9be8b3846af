//! Session statistics: per day a subscription fee row and a few PPPoE
//! sessions, drawn from the subscriber's seed and the day, so the same
//! period always shows the same rows; split into pages of `page_size`.

use std::fmt::Write as _;

use super::faults::StructureChange;
use super::pages::{esc, wrap};
use super::values::{BillingSubscriber, Date};
use crate::population::Rng;

/// The longest period one query may ask for (the real one times out).
pub(crate) const MAX_DAYS: i64 = 3 * 366;

/// One row, as numbers; formatted only when its page is shown.
struct Row {
    day: i64,
    /// `None`: the daily fee (no interval, no traffic).
    session: Option<(u32, u32)>,
    mb_in: u64,
    mb_out: u64,
    kopecks: i64,
}

fn rows(s: &BillingSubscriber, seed: u64, start: Date, end: Date) -> Vec<Row> {
    let fee = super::names::TARIFFS
        .iter()
        .find(|(t, _)| *t == s.tariff)
        .map_or(50_000, |(_, f)| *f);
    let first = start.days().max(s.connected_on.days());
    let mut out = Vec::new();
    for day in first..=end.days() {
        let mut rng = Rng(seed ^ (day as u64).wrapping_mul(0x2545_f491_4f6c_dd1d));
        out.push(Row {
            day,
            session: None,
            mb_in: 0,
            mb_out: 0,
            kopecks: fee / 30,
        });
        let mut at = rng.below(6 * 3600) as u32;
        for _ in 0..rng.below(4) {
            let len = 60 + rng.below(8 * 3600) as u32;
            let stop = (at + len).min(86_399);
            let mb_in = rng.below(400_000) as u64;
            out.push(Row {
                day,
                session: Some((at, stop)),
                mb_in,
                mb_out: mb_in / (4 + rng.below(12) as u64),
                kopecks: 0,
            });
            at = stop + 1 + rng.below(3 * 3600) as u32;
            if at >= 86_000 {
                break;
            }
        }
    }
    out
}

fn hms(t: u32) -> String {
    format!("{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
}

/// Hundredths as `1234,56`.
fn hundredths(v: u64) -> String {
    format!("{},{:02}", v / 100, v % 100)
}

fn money(k: i64) -> String {
    let sign = if k < 0 { "-" } else { "" };
    format!(
        "{sign}{},{:02}",
        k.unsigned_abs() / 100,
        k.unsigned_abs() % 100
    )
}

/// One row's seven cells as text (what a scraper reads after decoding
/// entities and trimming): date, interval (empty for the fee), description,
/// MB in, MB out, sum, user.
fn cells(r: &Row, s: &BillingSubscriber) -> [String; 7] {
    let (interval, what) = match r.session {
        Some((a, z)) => (
            format!("{} - {}", hms(a), hms(z)),
            "PPPoE сессия".to_string(),
        ),
        None => (String::new(), format!("Абонентская плата «{}»", s.tariff)),
    };
    [
        Date::from_days(r.day).to_string(),
        interval,
        what,
        hundredths(r.mb_in),
        hundredths(r.mb_out),
        money(r.kopecks),
        s.login.clone(),
    ]
}

/// Every row of the period, as [`cells`].
pub(crate) fn plain_rows(
    s: &BillingSubscriber,
    seed: u64,
    start: Date,
    end: Date,
) -> Vec<[String; 7]> {
    rows(s, seed, start, end)
        .iter()
        .map(|r| cells(r, s))
        .collect()
}

/// The stat form (and, with a period, that period's page `page`).
pub(crate) struct StatView<'a> {
    pub subscriber: &'a BillingSubscriber,
    pub seed: u64,
    pub start: Date,
    pub end: Date,
    /// 1-based.
    pub page: usize,
    pub page_size: usize,
    pub change: Option<StructureChange>,
}

fn form(b: &mut String, start: &str, end: &str) {
    let _ = write!(
        b,
        "<form method=\"post\" action=\"/cabinet/stat\">\n\
         <input type=\"hidden\" name=\"module\" value=\"stat\">\n\
         Период с <input type=\"text\" name=\"date_start\" value=\"{start}\" size=\"10\"> \
         по <input type=\"text\" name=\"date_end\" value=\"{end}\" size=\"10\">\n\
         <select name=\"resolution\"><option value=\"0\" selected>Сессии</option></select>\n\
         <input type=\"submit\" value=\"Показать\">\n</form>\n"
    );
}

/// The stat page before a period was asked for, or with an error.
pub(crate) fn form_page(who: Option<&BillingSubscriber>, error: Option<&str>) -> String {
    let mut b = String::from("<h2>Статистика</h2>\n");
    if let Some(s) = who {
        let _ = writeln!(b, "<p>Абонент: <b>{}</b></p>", esc(&s.login));
    }
    if let Some(e) = error {
        let _ = writeln!(b, "<div class=\"ideco_error\">{}</div>", esc(e));
    }
    form(&mut b, "", "");
    wrap("Статистика", &b)
}

pub(crate) fn stat_page(v: &StatView<'_>) -> String {
    let all = rows(v.subscriber, v.seed, v.start, v.end);
    let size = v.page_size.max(1);
    let pages = all.len().div_ceil(size).max(1);
    let mut b = String::with_capacity(200 + 160 * size);
    let _ = writeln!(
        b,
        "<h2>Статистика</h2>\n<p>Абонент: <b>{}</b></p>",
        esc(&v.subscriber.login)
    );
    form(&mut b, &v.start.to_string(), &v.end.to_string());
    let id = if v.change == Some(StructureChange::StatTableRenamed) {
        "stats"
    } else {
        "stat_table"
    };
    let _ = writeln!(
        b,
        "<table id=\"{id}\" class=\"stat\" border=\"1\">\n<tr><th>Дата</th><th>Интервал</th>\
         <th>Описание</th><th>Вх., МБ</th><th>Исх., МБ</th><th>Сумма</th><th>Пользователь</th></tr>"
    );
    let from = (v.page - 1).saturating_mul(size).min(all.len());
    let shown = &all[from..(from + size).min(all.len())];
    for r in shown {
        let [date, interval, what, mb_in, mb_out, sum, user] = cells(r, v.subscriber);
        let interval = if interval.is_empty() {
            "&nbsp;".to_string()
        } else {
            interval
        };
        let what = esc(&what).replace('«', "&laquo;").replace('»', "&raquo;");
        let _ = writeln!(
            b,
            "<tr><td>{date}</td><td>{interval}</td><td>{what}</td><td align=\"right\">{mb_in}</td>\
             <td align=\"right\">{mb_out}</td><td align=\"right\">{sum}</td><td>{}</td></tr>",
            esc(&user)
        );
    }
    if v.page == pages {
        let (i, o, k) = all.iter().fold((0, 0, 0), |(i, o, k), r| {
            (i + r.mb_in, o + r.mb_out, k + r.kopecks)
        });
        let _ = writeln!(
            b,
            "<tfoot><tr><td colspan=\"3\"><b>Итого:</b></td><td>{}</td><td>{}</td><td>{}</td><td></td></tr></tfoot>",
            hundredths(i),
            hundredths(o),
            money(k)
        );
    }
    b.push_str("</table>\n");
    if pages > 1 {
        b.push_str("<div class=\"pages\">Страницы: ");
        for p in 1..=pages {
            if p == v.page {
                let _ = write!(b, "<span class=\"page_num\"><b>{p}</b></span> ");
            } else {
                let _ = write!(
                    b,
                    "<span class=\"page_num\"><a href=\"/cabinet/stat?page={p}&amp;module=stat\">{p}</a></span> "
                );
            }
        }
        b.push_str("</div>\n");
    }
    wrap("Статистика", &b)
}
