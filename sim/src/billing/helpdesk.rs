//! The cabinet's helpdesk (`billing-cabinet.md` §Helpdesk): the ticket
//! list, one ticket with its thread, reply, close, and create for a
//! subscriber, behind the cabinet login and in windows-1251.
//!
//! - `GET /cabinet/helpdesk`: `<table id="stat_table">`, each ticket its own
//!   `<tbody>` of 5 cells (date, id link, subject link, last sender, status).
//! - `GET /cabinet/helpdesk?id=N`: `<div class="hdsk_main">`, an `<h1>` like
//!   `Московская 5а (Заявка №83154)`, the thread as `<li><div>text<br>sender
//!   DD.MM.YYYY HH:MM:SS</div></li>` (Moscow time).
//! - `POST /cabinet/helpdesk?id=N` with `text=…` (a staff reply: the status
//!   becomes `Ожидает ответа`) or `status=10` (closed: `Закрыто`); the answer
//!   is the ticket page again.
//! - `GET /cabinet/helpdesk?filter_id=S` selects subscriber `S` for a new
//!   ticket (in the session) and shows the form; `POST /cabinet/helpdesk`
//!   with `subj=…&text=…` creates it and redirects to its page.
//!
//! What a scraper meets: entities, `<br>` and CRLF inside messages, a
//! `&nbsp;` or a `<span>` around the last line, upper-case tags on some
//! tickets; and, with [`HelpdeskFault`], a post that answers 200 with an
//! `ideco_error` or without taking effect, so it must read the ticket again
//! to know. Every post is kept ([`Posted`]) for a test to read.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::faults::PathKind;
use super::form::{decode_form, field};
use super::ledger::{display_name, Ledger, Node};
use super::pages::{document, esc, Dress};
use super::server::{html, lock, redirect, Inner};
use super::values::Date;
use crate::population::Rng;

/// The sender the cabinet prints for the staff account's messages.
pub const STAFF_SENDER: &str = "Техподдержка";
/// The first ticket id handed out.
const FIRST_ID: u32 = 83_150;
/// Longest subject and message the cabinet takes.
const MAX_SUBJECT: usize = 200;
const MAX_TEXT: usize = 4000;

/// A helpdesk ticket's status, as the list prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HelpdeskStatus {
    /// `Открыто`: the subscriber wrote last.
    Open,
    /// `Ожидает ответа`: staff answered; waiting for the subscriber.
    AwaitingReply,
    /// `Закрыто` (status 10).
    Closed,
}

impl HelpdeskStatus {
    pub fn text(self) -> &'static str {
        match self {
            HelpdeskStatus::Open => "Открыто",
            HelpdeskStatus::AwaitingReply => "Ожидает ответа",
            HelpdeskStatus::Closed => "Закрыто",
        }
    }
}

/// One message of a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpdeskMessage {
    /// The address (a subscriber's message) or the staff name.
    pub sender: String,
    /// `DD.MM.YYYY HH:MM:SS`, Moscow time.
    pub at: String,
    pub text: String,
    pub staff: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpdeskTicket {
    pub id: u32,
    /// The subscriber's billing id.
    pub subscriber_id: Option<u32>,
    /// Usually the address.
    pub subject: String,
    pub created: String,
    pub status: HelpdeskStatus,
    pub messages: Vec<HelpdeskMessage>,
}

/// What a post asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostedWhat {
    Reply(String),
    Close,
    Create { subject: String, text: String },
}

/// One post to the helpdesk, as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// The ticket (for a create: the new one, 0 when refused).
    pub ticket_id: u32,
    pub what: PostedWhat,
    /// Whether it took effect.
    pub taken: bool,
}

/// How a reply or close post goes wrong (creates are not affected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpdeskFaultKind {
    /// 200 with `<div class="ideco_error">…</div>`, nothing taken.
    ErrorText,
    /// 200 with the ticket page as if all went well, nothing taken.
    NotTaken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelpdeskFault {
    pub kind: HelpdeskFaultKind,
    /// This many posts go wrong, then they work (`None`: all of them).
    pub count: Option<u64>,
}

/// The helpdesk's tickets and what was posted.
#[derive(Default)]
pub(crate) struct Helpdesk {
    tickets: Vec<HelpdeskTicket>,
    posted: Vec<Posted>,
    next_id: u32,
    /// Tickets seeded so far (draws the next seed's subscribers).
    seeded: u64,
}

/// Moscow wall-clock time now, as the cabinet prints it.
pub(crate) fn now_text() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
        + 3 * 3600;
    let day = Date::from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{day} {:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

const PROBLEMS: &[&str] = &[
    "Нет интернета с утра, роутер перезагружал.",
    "Очень низкая скорость по вечерам, \"Speedtest\" показывает 2 Мбит/с.",
    "Пропадает связь каждые 10 минут.\nКабель целый, лампочки горят.",
    "Не открываются сайты, но Skype работает. Помогите!",
    "После грозы не горит индикатор PON & LOS мигает красным.",
    "Прошу перенести подключение на другой адрес <новая квартира>.",
];

impl Helpdesk {
    fn next_id(&mut self) -> u32 {
        if self.next_id < FIRST_ID {
            self.next_id = FIRST_ID;
        }
        let id = self.next_id;
        // Gaps, as a real helpdesk shared with other modules has.
        self.next_id += 1 + id % 3;
        id
    }

    pub fn ticket(&self, id: u32) -> Option<&HelpdeskTicket> {
        self.tickets.iter().find(|t| t.id == id)
    }

    fn ticket_mut(&mut self, id: u32) -> Option<&mut HelpdeskTicket> {
        self.tickets.iter_mut().find(|t| t.id == id)
    }

    pub fn all(&self) -> Vec<HelpdeskTicket> {
        self.tickets.clone()
    }

    pub fn posted(&self) -> Vec<Posted> {
        self.posted.clone()
    }

    /// A new ticket from subscriber `subscriber_id` (its address the
    /// subject and sender), with its first message.
    pub fn open(
        &mut self,
        ledger: &Ledger,
        subscriber_id: u32,
        subject: Option<&str>,
        text: &str,
    ) -> Option<u32> {
        let Some(Node::Subscriber(i)) = ledger.node(subscriber_id) else {
            return None;
        };
        let address = display_name(ledger.record(i)?);
        let subject = subject
            .map(str::to_string)
            .unwrap_or_else(|| address.clone());
        let id = self.next_id();
        let at = now_text();
        self.tickets.push(HelpdeskTicket {
            id,
            subscriber_id: Some(subscriber_id),
            subject,
            created: at.clone(),
            status: HelpdeskStatus::Open,
            messages: vec![HelpdeskMessage {
                sender: address,
                at,
                text: text.to_string(),
                staff: false,
            }],
        });
        Some(id)
    }

    /// `n` tickets from subscribers drawn from the ledger with `seed`.
    pub fn seed(&mut self, ledger: &Ledger, seed: u64, n: usize) -> Vec<u32> {
        let ids: Vec<u32> = ledger.records.iter().flatten().map(|r| r.id).collect();
        let mut out = Vec::new();
        if ids.is_empty() {
            return out;
        }
        for _ in 0..n {
            self.seeded += 1;
            let mut rng = Rng(seed ^ 0x4e1d_e5c0_0000_0000 ^ self.seeded);
            let subscriber = ids[rng.below(ids.len())];
            let text = *rng.pick(PROBLEMS);
            if let Some(id) = self.open(ledger, subscriber, None, text) {
                out.push(id);
            }
        }
        out
    }

    /// A message on ticket `id` from the billing side: staff (a helpdesk
    /// operator there) or the subscriber.
    pub fn add_message(&mut self, id: u32, sender: &str, text: &str, staff: bool) -> bool {
        let Some(t) = self.ticket_mut(id) else {
            return false;
        };
        t.messages.push(HelpdeskMessage {
            sender: sender.to_string(),
            at: now_text(),
            text: text.to_string(),
            staff,
        });
        t.status = if staff {
            HelpdeskStatus::AwaitingReply
        } else {
            HelpdeskStatus::Open
        };
        true
    }

    pub fn set_status(&mut self, id: u32, status: HelpdeskStatus) -> bool {
        match self.ticket_mut(id) {
            Some(t) => {
                t.status = status;
                true
            }
            None => false,
        }
    }
}

/// The list: one `<tbody>` per ticket, newest first.
fn list_page(desk: &Helpdesk) -> String {
    let mut b = String::with_capacity(400 + 300 * desk.tickets.len());
    b.push_str(
        "<h2>Техподдержка</h2>\n<table id=\"stat_table\" class=\"hdsk\" cellspacing=\"0\">\n\
         <thead><tr><th>Дата</th><th>№</th><th>Тема</th><th>Автор</th><th>Статус</th></tr></thead>\n",
    );
    for t in desk.tickets.iter().rev() {
        let href = format!("/cabinet/helpdesk?id={}", t.id);
        let last = t.messages.last().map(|m| m.sender.as_str()).unwrap_or("");
        let status = match t.status {
            HelpdeskStatus::Open => format!("<font color=red>{}</font>", t.status.text()),
            HelpdeskStatus::AwaitingReply => {
                format!("<span style=\"color:orange\">{}</span>", t.status.text())
            }
            HelpdeskStatus::Closed => t.status.text().to_string(),
        };
        let _ = write!(
            b,
            "<tbody>\n<tr class=\"row{}\">\n\t<td>{}</td>\n\t<td><a href=\"{href}\">{}</a></td>\n\
             \t<td><a href=\"{href}\" title=\"Открыть\">{}</a></td>\n\t<td>{}</td>\n\t<td>{status}</td>\n</tr>\n</tbody>\n",
            t.id % 2,
            t.created,
            t.id,
            esc(&t.subject),
            esc(last),
        );
    }
    b.push_str("</table>\n");
    if desk.tickets.is_empty() {
        b.push_str("<p class=\"empty\">Обращений нет</p>\n");
    }
    document("Техподдержка", &b, Dress::default())
}

/// A message's text as the cabinet prints it: entities, `<br>` per line.
fn message_html(text: &str) -> String {
    esc(text)
        .replace("\r\n", "\n")
        .split('\n')
        .collect::<Vec<_>>()
        .join("<br>\n")
}

/// One ticket with its thread, perhaps with a message above it.
fn ticket_page(t: &HelpdeskTicket, notice: Option<(&str, &str)>) -> String {
    let mut rng = Rng(u64::from(t.id) ^ 0x7d5c_0000);
    let dress = Dress {
        crlf: rng.chance(30),
        upper: rng.chance(15),
    };
    let mut b = String::with_capacity(1500);
    b.push_str("<div class=\"path\"><a href=\"/cabinet/helpdesk\">Техподдержка</a></div>\n");
    if let Some((class, text)) = notice {
        let _ = writeln!(b, "<div class=\"{class}\">{}</div>", esc(text));
    }
    let _ = write!(
        b,
        "<div class=\"hdsk_main\">\n<h1>{} (Заявка №{})</h1>\n<p class=\"hdsk_status\">Статус: <b>{}</b></p>\n<ul class=\"hdsk_thread\">\n",
        esc(&t.subject),
        t.id,
        t.status.text()
    );
    for (n, m) in t.messages.iter().enumerate() {
        let li = if m.staff {
            "<li class=\"hdsk_staff\">"
        } else {
            "<li>"
        };
        let sep = if (n + t.id as usize).is_multiple_of(3) {
            "&nbsp;"
        } else {
            " "
        };
        let last = format!("{}{sep}{}", esc(&m.sender), m.at);
        let last = match (n + t.id as usize) % 4 {
            0 => format!("<span class=\"hdsk_sender\">{last}</span>"),
            1 => format!("<i>{last}</i>"),
            _ => last,
        };
        let _ = writeln!(
            b,
            "{li}<div>{}<br>\n{last}</div></li>",
            message_html(&m.text)
        );
    }
    b.push_str("</ul>\n");
    if t.status != HelpdeskStatus::Closed {
        let _ = write!(
            b,
            "<form method=\"post\" action=\"/cabinet/helpdesk?id={id}\">\n\
             <textarea name=\"text\" rows=\"5\" cols=\"60\"></textarea><br>\n\
             <input type=\"submit\" value=\"Ответить\">\n</form>\n\
             <form method=\"post\" action=\"/cabinet/helpdesk?id={id}\">\n\
             <input type=\"hidden\" name=\"status\" value=\"10\">\n\
             <input type=\"submit\" value=\"Закрыть заявку\">\n</form>\n",
            id = t.id
        );
    }
    b.push_str("</div>\n");
    document("Техподдержка", &b, dress)
}

fn create_form(address: &str, error: Option<&str>) -> String {
    let mut b = String::new();
    if let Some(e) = error {
        let _ = writeln!(b, "<div class=\"ideco_error\">{}</div>", esc(e));
    }
    let _ = write!(
        b,
        "<h2>Новое обращение: {}</h2>\n<form method=\"post\" action=\"/cabinet/helpdesk\">\n\
         <input type=\"text\" name=\"subj\" value=\"{}\" size=\"60\"><br>\n\
         <textarea name=\"text\" rows=\"5\" cols=\"60\"></textarea><br>\n\
         <input type=\"submit\" value=\"Создать\">\n</form>\n",
        esc(address),
        esc(address)
    );
    document("Техподдержка", &b, Dress::default())
}

fn error_page(message: &str) -> String {
    document(
        "Ошибка",
        &format!("<div class=\"ideco_error\">{}</div>\n", esc(message)),
        Dress::default(),
    )
}

fn query_id(q: &[(String, String)], name: &str) -> Option<Option<u32>> {
    field(q, name).map(|v| v.trim().parse().ok())
}

/// `GET /cabinet/helpdesk[?id=N | ?filter_id=S]`.
pub(crate) async fn get(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let token = match inner.gate(PathKind::Helpdesk, &headers, true).await {
        Err(r) => return r,
        Ok(t) => t.unwrap_or_default(),
    };
    let q = decode_form(q.unwrap_or_default().as_bytes());
    if let Some(id) = query_id(&q, "id") {
        let desk = lock(&inner.helpdesk);
        return match id.and_then(|id| desk.ticket(id)) {
            Some(t) => html(StatusCode::OK, ticket_page(t, None)),
            None => html(StatusCode::OK, error_page("Заявка не найдена")),
        };
    }
    if let Some(sid) = query_id(&q, "filter_id") {
        let ledger = inner.read();
        let who = sid.and_then(|sid| match ledger.node(sid) {
            Some(Node::Subscriber(i)) => ledger.record(i).map(|r| (sid, display_name(r))),
            _ => None,
        });
        return match who {
            Some((sid, address)) => {
                inner.with_session(&token, |s| s.helpdesk_for = Some(sid));
                html(StatusCode::OK, create_form(&address, None))
            }
            None => html(StatusCode::OK, error_page("Абонент не найден")),
        };
    }
    let page = list_page(&lock(&inner.helpdesk));
    html(StatusCode::OK, page)
}

fn clean(text: &str) -> String {
    text.replace("\r\n", "\n").trim().to_string()
}

/// `POST /cabinet/helpdesk[?id=N]`: a reply, a close, or a create.
pub(crate) async fn post(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let token = match inner.gate(PathKind::Helpdesk, &headers, true).await {
        Err(r) => return r,
        Ok(t) => t.unwrap_or_default(),
    };
    let q = decode_form(q.unwrap_or_default().as_bytes());
    let form = decode_form(&body);
    let Some(id) = query_id(&q, "id") else {
        return create(&inner, &token, &form);
    };
    let what = match (field(&form, "status"), field(&form, "text").map(clean)) {
        (Some("10"), _) => PostedWhat::Close,
        (Some(_), _) => return html(StatusCode::OK, error_page("Неизвестный статус")),
        (None, Some(t)) if !t.is_empty() && t.chars().count() <= MAX_TEXT => PostedWhat::Reply(t),
        (None, _) => return html(StatusCode::OK, error_page("Пустое сообщение")),
    };
    let fault = lock(&inner.faults).helpdesk_fault();
    let mut desk = lock(&inner.helpdesk);
    let Some(id) = id.filter(|id| desk.ticket(*id).is_some()) else {
        return html(StatusCode::OK, error_page("Заявка не найдена"));
    };
    let taken = fault.is_none();
    desk.posted.push(Posted {
        ticket_id: id,
        what: what.clone(),
        taken,
    });
    if taken {
        let t = desk.ticket_mut(id).expect("found above");
        match what {
            PostedWhat::Reply(text) => {
                t.messages.push(HelpdeskMessage {
                    sender: STAFF_SENDER.to_string(),
                    at: now_text(),
                    text,
                    staff: true,
                });
                t.status = HelpdeskStatus::AwaitingReply;
            }
            PostedWhat::Close => t.status = HelpdeskStatus::Closed,
            PostedWhat::Create { .. } => unreachable!("a create has no id"),
        }
    }
    let t = desk.ticket(id).expect("found above");
    let page = match fault {
        Some(HelpdeskFaultKind::ErrorText) => ticket_page(
            t,
            Some(("ideco_error", "Ошибка базы данных: сообщение не сохранено")),
        ),
        _ => ticket_page(t, Some(("ideco_ok", "Сохранено"))),
    };
    html(StatusCode::OK, page)
}

fn create(inner: &Inner, token: &str, form: &[(String, String)]) -> Response {
    let Some(sid) = inner.with_session(token, |s| s.helpdesk_for).flatten() else {
        return html(StatusCode::OK, error_page("Не выбран абонент"));
    };
    let subject = field(form, "subj").map(clean).unwrap_or_default();
    let text = field(form, "text").map(clean).unwrap_or_default();
    let what = PostedWhat::Create {
        subject: subject.clone(),
        text: text.clone(),
    };
    let refused = |message: &str, inner: &Inner| {
        lock(&inner.helpdesk).posted.push(Posted {
            ticket_id: 0,
            what: what.clone(),
            taken: false,
        });
        html(StatusCode::OK, create_form("", Some(message)))
    };
    if subject.is_empty() || subject.chars().count() > MAX_SUBJECT {
        return refused("Укажите тему", inner);
    }
    if text.is_empty() || text.chars().count() > MAX_TEXT {
        return refused("Пустое сообщение", inner);
    }
    let ledger = inner.read();
    let mut desk = lock(&inner.helpdesk);
    match desk.open(&ledger, sid, Some(&subject), &text) {
        Some(id) => {
            desk.posted.push(Posted {
                ticket_id: id,
                what,
                taken: true,
            });
            drop(desk);
            redirect(&format!("/cabinet/helpdesk?id={id}"), None)
        }
        None => {
            drop(desk);
            refused("Абонент не найден", inner)
        }
    }
}
