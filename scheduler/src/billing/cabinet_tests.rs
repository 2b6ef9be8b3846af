//! The scraper against a tiny cabinet of our own on 127.0.0.1: the login
//! with its hidden fields and cp1251 form, a refused login, sessions that
//! expire mid-run, 500s, a page of another shape, the in-flight bound and
//! statistics pages. (The real-shaped emulator is `sim/`'s; this one only
//! answers what each test needs.)

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::*;
use crate::billing::tests::World;
use crate::billing::Syncer;

const LOGIN: &str = "оператор";
const PASSWORD: &str = "пароль 1&=%";
const RANDOM_WORD: &str = "Слово&7";

/// Folder 101 holds subscribers 1..=6, folder 102 holds 7..=10.
fn members(folder: &str) -> Option<Vec<u32>> {
    match folder {
        "101" => Some((1..=6).collect()),
        "102" => Some((7..=10).collect()),
        _ => None,
    }
}

#[derive(Default)]
struct Cabinet {
    refuse_all: bool,
    logins: AtomicUsize,
    /// Each login post, decoded from cp1251: field → value.
    login_forms: Mutex<Vec<HashMap<String, String>>>,
    login_bodies: Mutex<Vec<Vec<u8>>>,
    sessions: Mutex<HashSet<String>>,
    /// Card hits after which every session is dropped (once).
    expire_at: Mutex<Option<usize>>,
    card_hits: AtomicUsize,
    /// Pages that answer 500 this many more times.
    fail: Mutex<HashMap<String, usize>>,
    /// Hits per page.
    hits: Mutex<HashMap<String, usize>>,
    /// Cards shown in another shape.
    redesigned: HashSet<String>,
    delay: Duration,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    /// The subscriber each session selected.
    selected: Mutex<HashMap<String, String>>,
}

type Cab = Arc<Cabinet>;

fn cp1251(html: String, charset: bool) -> Response {
    let ct = if charset {
        "text/html; charset=windows-1251"
    } else {
        "text/html"
    };
    let body = encoding_rs::WINDOWS_1251.encode(&html).0.into_owned();
    ([(header::CONTENT_TYPE, ct)], body).into_response()
}

fn page(body: &str) -> String {
    format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\r\n<HTML><HEAD><TITLE>Кабинет</TITLE></HEAD>\r\n<BODY>\r\n{body}\r\n</BODY></HTML>\r\n"
    )
}

fn login_page(error: Option<&str>) -> Response {
    let error = error
        .map(|e| format!("<DIV class=\"ideco_error\">{e}</DIV>"))
        .unwrap_or_default();
    cp1251(
        page(&format!(
            "{error}<FORM method=POST action=/cabinet/login>\r\n\
             <INPUT name=cab_login><INPUT type=password name=cab_password>\r\n\
             <INPUT value=h-42 TYPE=HIDDEN name=cab_hash>\r\n\
             <input type=\"hidden\" name=\"cab_random_word\" value=\"Слово&amp;7\">\r\n\
             <INPUT type=submit name=cab_user_login value=\"Войти в кабинет\"></FORM>"
        )),
        true,
    )
}

/// A cp1251 percent-encoded form, decoded.
fn decode_form(body: &[u8]) -> HashMap<String, String> {
    fn unescape(part: &[u8]) -> String {
        let mut bytes = Vec::new();
        let mut i = 0;
        while i < part.len() {
            match part[i] {
                b'+' => bytes.push(b' '),
                b'%' if i + 2 < part.len() => {
                    let hex = std::str::from_utf8(&part[i + 1..i + 3]).unwrap();
                    bytes.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 2;
                }
                b => bytes.push(b),
            }
            i += 1;
        }
        encoding_rs::WINDOWS_1251.decode(&bytes).0.into_owned()
    }
    body.split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let mut kv = pair.splitn(2, |b| *b == b'=');
            let k = unescape(kv.next().unwrap());
            let v = unescape(kv.next().unwrap_or_default());
            (k, v)
        })
        .collect()
}

impl Cabinet {
    fn session(&self, headers: &HeaderMap) -> Option<String> {
        let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
        let sid = cookies
            .split(';')
            .find_map(|c| c.trim().strip_prefix("sid="))?
            .to_string();
        self.sessions.lock().unwrap().contains(&sid).then_some(sid)
    }

    /// Counts the hit; a page that should fail now answers 500.
    fn hit(&self, page: &str) -> Option<Response> {
        *self.hits.lock().unwrap().entry(page.into()).or_default() += 1;
        let mut fail = self.fail.lock().unwrap();
        match fail.get_mut(page) {
            Some(n) if *n > 0 => {
                *n -= 1;
                Some((StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response())
            }
            _ => None,
        }
    }

    fn hits(&self, page: &str) -> usize {
        self.hits.lock().unwrap().get(page).copied().unwrap_or(0)
    }
}

/// Tracks requests in flight around a handler.
struct InFlight(Cab);
impl InFlight {
    fn new(cab: &Cab) -> Self {
        let now = cab.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        cab.most_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(cab.clone())
    }
}
impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn get_login(State(cab): State<Cab>) -> Response {
    let _f = InFlight::new(&cab);
    login_page(None)
}

async fn post_login(State(cab): State<Cab>, body: Bytes) -> Response {
    let _f = InFlight::new(&cab);
    cab.login_bodies.lock().unwrap().push(body.to_vec());
    let form = decode_form(&body);
    cab.login_forms.lock().unwrap().push(form.clone());
    let ok = !cab.refuse_all
        && form.get("cab_login").map(String::as_str) == Some(LOGIN)
        && form.get("cab_password").map(String::as_str) == Some(PASSWORD)
        && form.get("cab_hash").map(String::as_str) == Some("h-42")
        && form.get("cab_random_word").map(String::as_str) == Some(RANDOM_WORD)
        && form.get("cab_user_login").map(String::as_str) == Some("Войти в кабинет");
    if !ok {
        return login_page(Some("Неверный логин\r\n или пароль"));
    }
    let n = cab.logins.fetch_add(1, Ordering::SeqCst) + 1;
    let sid = format!("s{n}");
    cab.sessions.lock().unwrap().insert(sid.clone());
    (
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, format!("sid={sid}; Path=/")),
            (header::LOCATION, "/cabinet/userinfo".to_string()),
        ],
    )
        .into_response()
}

async fn root(State(cab): State<Cab>, headers: HeaderMap) -> Response {
    let _f = InFlight::new(&cab);
    if let Some(r) = cab.hit("/cabinet/userinfo") {
        return r;
    }
    if cab.session(&headers).is_none() {
        return (StatusCode::FOUND, [(header::LOCATION, "/cabinet/login")]).into_response();
    }
    cp1251(
        page(
            "<DIV id=tree>\r\n\
             <DIV class=\"tree_admin tree_node_user\"><A href=\"/cabinet/userinfo/1000\">Админ &lt;adm&gt;</A></DIV>\r\n\
             <DIV class=\"tree_folder_closed tree_node_folder\"><A class=\"\" href=\"/cabinet/userinfo/101\">Центр</A></DIV>\r\n\
             <DIV class=\"tree_folder_closed tree_node_folder\"><A href=\"/cabinet/userinfo/102\" class=\"\">Север &amp; Co</A></DIV>\r\n\
             </DIV>",
        ),
        false,
    )
}

async fn userinfo(State(cab): State<Cab>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let _f = InFlight::new(&cab);
    let path = format!("/cabinet/userinfo/{id}");
    if let Some(r) = cab.hit(&path) {
        return r;
    }
    if !cab.delay.is_zero() {
        tokio::time::sleep(cab.delay).await;
    }
    let Some(sid) = cab.session(&headers) else {
        // This cabinet shows the form in place of the page.
        return login_page(None);
    };
    if let Some(list) = members(&id) {
        let users: String = list
            .iter()
            .map(|n| {
                format!(
                    "<DIV class=\"tree_user tree_node_user\"><A href=\"/cabinet/userinfo/{n}\">Ул.&nbsp;Мира\r\n {n} &lt;u{n}&gt;</A></DIV>\r\n"
                )
            })
            .collect();
        return cp1251(page(&format!("<DIV id=tree>{users}</DIV>")), false);
    }
    let hits = cab.card_hits.fetch_add(1, Ordering::SeqCst) + 1;
    {
        let mut expire = cab.expire_at.lock().unwrap();
        if *expire == Some(hits) {
            *expire = None;
            cab.sessions.lock().unwrap().clear();
            return login_page(None);
        }
    }
    cab.selected.lock().unwrap().insert(sid, id.clone());
    if cab.redesigned.contains(&id) {
        return cp1251(
            page("<DIV class=card><DL><DT>Логин</DT><DD>x</DD></DL></DIV>"),
            false,
        );
    }
    cp1251(
        page(&format!(
            "<TABLE id=\"ideco_user_info\">\r\n\
             <TR><TD class=label>ФИО:</TD><TD class=value>Абонент &#1052;{id}</TD></TR>\r\n\
             <TR><TD class=label>Логин:</TD><TD class=value>u{id}</TD></TR>\r\n\
             <TR><TD class=label>Баланс:</TD><TD class=value>1&nbsp;000,{id:0>2} руб.</TD></TR>\r\n\
             <TR><TD class=label>Статус:</TD><TD class=value><FONT color=red>Активен</FONT></TD></TR>\r\n\
             </TABLE>"
        )),
        false,
    )
}

fn stat_page(cab: &Cab, sid: &str, n: u32) -> Response {
    let user = cab
        .selected
        .lock()
        .unwrap()
        .get(sid)
        .cloned()
        .unwrap_or_default();
    let links: String = (1..=3)
        .map(|p| if p == n {
            format!("<SPAN class=page_num>{p}</SPAN> ")
        } else {
            format!("<SPAN class=page_num><A href=\"/cabinet/stat?page={p}&amp;module=stat\">{p}</A></SPAN> ")
        })
        .collect();
    cp1251(
        page(&format!(
            "<TABLE id=stat_table><TR><TH>Дата</TH></TR>\r\n\
             <TR><TD>0{n}.05.2024</TD><TD>10:00 - 11:00</TD><TD>Сессия</TD><TD>1,5</TD><TD>2</TD><TD>0,00</TD><TD>u{user}</TD></TR>\r\n\
             </TABLE>{links}"
        )),
        false,
    )
}

async fn stat_post(State(cab): State<Cab>, headers: HeaderMap, body: Bytes) -> Response {
    let _f = InFlight::new(&cab);
    cab.hit("/cabinet/stat");
    let Some(sid) = cab.session(&headers) else {
        return login_page(None);
    };
    let form = decode_form(&body);
    assert_eq!(form["module"], "stat");
    assert_eq!(form["date_start"], "01.05.2024");
    assert_eq!(form["date_end"], "31.05.2024");
    assert_eq!(form["resolution"], "0");
    stat_page(&cab, &sid, 1)
}

async fn stat_get(State(cab): State<Cab>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let _f = InFlight::new(&cab);
    let q = q.unwrap_or_default();
    cab.hit(&format!("/cabinet/stat?{q}"));
    let Some(sid) = cab.session(&headers) else {
        return login_page(None);
    };
    let n = q
        .split('&')
        .find_map(|p| p.strip_prefix("page="))
        .and_then(|p| p.parse().ok())
        .unwrap_or(1);
    stat_page(&cab, &sid, n)
}

async fn serve(cab: Cabinet) -> (Cab, String) {
    let cab = Arc::new(cab);
    let app = Router::new()
        .route("/cabinet/login", get(get_login).post(post_login))
        .route("/cabinet/userinfo", get(root))
        .route("/cabinet/userinfo/{id}", get(userinfo))
        .route("/cabinet/stat", get(stat_get).post(stat_post))
        .with_state(cab.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (cab, url)
}

fn config(url: &str) -> CabinetConfig {
    CabinetConfig {
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
        ..CabinetConfig::new(url, LOGIN, PASSWORD)
    }
}

fn entry(id: u32) -> TreeEntry {
    TreeEntry {
        id: id.to_string(),
        display: String::new(),
        login: format!("u{id}"),
    }
}

#[tokio::test]
async fn the_cabinet_login_posts_the_hidden_fields_form_encoded_in_windows_1251() {
    let (cab, url) = serve(Cabinet::default()).await;
    let source = CabinetSource::new(config(&url)).unwrap();
    assert_eq!(cab.logins.load(Ordering::SeqCst), 0, "lazily, on first use");
    let folders = source.folders().await.unwrap();
    assert_eq!(
        folders,
        vec![
            Folder {
                id: "101".into(),
                name: "Центр".into()
            },
            Folder {
                id: "102".into(),
                name: "Север & Co".into()
            },
        ]
    );
    assert_eq!(cab.logins.load(Ordering::SeqCst), 1);
    let form = cab.login_forms.lock().unwrap()[0].clone();
    assert_eq!(form["cab_login"], LOGIN);
    assert_eq!(form["cab_password"], PASSWORD);
    assert_eq!(form["cab_random_word"], RANDOM_WORD);
    assert_eq!(form["cab_user_login"], "Войти в кабинет");
    let body = String::from_utf8(cab.login_bodies.lock().unwrap()[0].clone()).unwrap();
    assert!(
        body.contains("cab_user_login=%C2%EE%E9%F2%E8+%E2+%EA%E0%E1%E8%ED%E5%F2"),
        "cp1251 bytes, percent-encoded: {body}"
    );
    let entries = source.subscribers(&folders[1]).await.unwrap();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[0].display, "Ул. Мира 7");
    assert_eq!(entries[0].login, "u7");
    let card = source.card(&entries[0]).await.unwrap();
    assert_eq!(card.full_name.as_deref(), Some("Абонент М7"));
    assert_eq!(card.balance, Some(1000.07));
    assert_eq!(cab.logins.load(Ordering::SeqCst), 1, "the session is kept");
}

#[tokio::test]
async fn a_refused_cabinet_login_says_why_and_never_shows_the_password() {
    let (cab, url) = serve(Cabinet {
        refuse_all: true,
        ..Cabinet::default()
    })
    .await;
    let source = CabinetSource::new(config(&url)).unwrap();
    let err = source.folders().await.unwrap_err();
    assert_eq!(
        err,
        BillingError::LoginRefused("Неверный логин или пароль".into())
    );
    // A burst of requests after a refusal does not try the account again.
    assert!(source.card(&entry(1)).await.is_err());
    assert_eq!(cab.login_forms.lock().unwrap().len(), 1);
    for shown in [
        format!("{err}"),
        format!("{err:?}"),
        format!("{source:?}"),
        format!("{:?}", source.config()),
    ] {
        assert!(!shown.contains(PASSWORD), "{shown}");
        assert!(!shown.contains("пароль 1"), "{shown}");
    }
}

#[tokio::test]
async fn an_expired_cabinet_session_mid_sync_logs_in_again_once_and_loses_nothing() {
    let (cab, url) = serve(Cabinet {
        expire_at: Mutex::new(Some(4)),
        delay: Duration::from_millis(5),
        ..Cabinet::default()
    })
    .await;
    let world = World::with(CabinetSource::new(config(&url)).unwrap());
    let report = Syncer::new(world.clone())
        .run(&ispmon_events::Metadata::default())
        .await
        .unwrap();
    assert_eq!(report.failed_pages, vec![]);
    assert_eq!((report.fetched, report.new, report.complete), (10, 10, 2));
    assert_eq!(
        cab.logins.load(Ordering::SeqCst),
        2,
        "one login, one re-login"
    );
}

#[tokio::test]
async fn a_cabinet_500_is_retried_and_a_lasting_one_is_an_error_naming_the_page() {
    let (cab, url) = serve(Cabinet::default()).await;
    cab.fail
        .lock()
        .unwrap()
        .insert("/cabinet/userinfo/3".into(), 2);
    cab.fail
        .lock()
        .unwrap()
        .insert("/cabinet/userinfo/4".into(), 10);
    let source = CabinetSource::new(config(&url)).unwrap();
    let card = source.card(&entry(3)).await.unwrap();
    assert_eq!(card.login, "u3");
    assert_eq!(cab.hits("/cabinet/userinfo/3"), 3);
    let err = source.card(&entry(4)).await.unwrap_err();
    assert_eq!(
        err,
        BillingError::Http {
            page: "/cabinet/userinfo/4".into(),
            status: 500
        }
    );
    assert_eq!(
        cab.hits("/cabinet/userinfo/4"),
        3,
        "the first try and 2 retries"
    );
}

#[tokio::test]
async fn a_cabinet_page_of_another_shape_is_a_structure_error_and_is_not_retried() {
    let (cab, url) = serve(Cabinet {
        redesigned: HashSet::from(["5".to_string()]),
        ..Cabinet::default()
    })
    .await;
    let source = CabinetSource::new(config(&url)).unwrap();
    let err = source.card(&entry(5)).await.unwrap_err();
    assert_eq!(
        err,
        BillingError::structure("/cabinet/userinfo/5", "table#ideco_user_info")
    );
    assert_eq!(cab.hits("/cabinet/userinfo/5"), 1);
    // The tree's login must be the card's.
    let mut wrong = entry(6);
    wrong.login = "someone".into();
    assert!(matches!(
        source.card(&wrong).await.unwrap_err(),
        BillingError::LoginMismatch { .. }
    ));
}

#[tokio::test]
async fn cabinet_requests_in_flight_never_exceed_the_concurrency() {
    let (cab, url) = serve(Cabinet {
        delay: Duration::from_millis(20),
        ..Cabinet::default()
    })
    .await;
    let mut cfg = config(&url);
    cfg.concurrency = 3;
    let source = Arc::new(CabinetSource::new(cfg).unwrap());
    let cards = futures::future::join_all((1..=10).map(|n| {
        let s = source.clone();
        async move { s.card(&entry(n)).await }
    }))
    .await;
    assert!(cards.iter().all(Result::is_ok));
    let most = cab.most_in_flight.load(Ordering::SeqCst);
    assert!((2..=3).contains(&most), "{most} in flight");
    assert_eq!(
        cab.logins.load(Ordering::SeqCst),
        1,
        "ten requests, one login"
    );
}

#[tokio::test]
async fn cabinet_statistics_select_the_subscriber_and_read_each_page_once() {
    let (cab, url) = serve(Cabinet::default()).await;
    let source = CabinetSource::new(config(&url)).unwrap();
    let day = |d| chrono::NaiveDate::from_ymd_opt(2024, 5, d).unwrap();
    let rows = source.sessions("8", day(1), day(31)).await.unwrap();
    let mut dates: Vec<&str> = rows.iter().map(|r| r.date.as_str()).collect();
    dates.sort();
    assert_eq!(dates, vec!["01.05.2024", "02.05.2024", "03.05.2024"]);
    assert!(rows.iter().all(|r| r.user == "u8" && r.mb_in == 1.5));
    assert_eq!(cab.hits("/cabinet/stat?page=2&module=stat"), 1);
    assert_eq!(cab.hits("/cabinet/stat?page=3&module=stat"), 1);
    assert_eq!(
        cab.hits("/cabinet/stat?page=1&module=stat"),
        0,
        "page 1 came from the form"
    );
    assert_eq!(cab.hits("/cabinet/userinfo/8"), 1, "selected once");
}

#[test]
fn a_form_encodes_cyrillic_as_cp1251_bytes_and_escapes_reserved_characters() {
    let body = encode_form(&[("a b".into(), "Ёж&=%+".into()), ("x".into(), "✓".into())]);
    assert_eq!(body, "a+b=%A8%E6%26%3D%25%2B&x=%26%2310003%3B");
}

#[tokio::test]
async fn a_redirect_to_the_cabinet_login_form_is_an_expired_session_too() {
    let (cab, url) = serve(Cabinet::default()).await;
    let source = CabinetSource::new(config(&url)).unwrap();
    source.folders().await.unwrap();
    cab.sessions.lock().unwrap().clear();
    assert_eq!(source.folders().await.unwrap().len(), 2);
    assert_eq!(cab.logins.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_cabinet_page_that_does_not_answer_in_time_is_retried_then_a_timeout_naming_it() {
    let (cab, url) = serve(Cabinet {
        delay: Duration::from_millis(500),
        ..Cabinet::default()
    })
    .await;
    let mut cfg = config(&url);
    cfg.timeout = Duration::from_millis(100);
    cfg.retries = 1;
    let source = CabinetSource::new(cfg).unwrap();
    let err = source.card(&entry(2)).await.unwrap_err();
    assert_eq!(
        err,
        BillingError::Timeout {
            page: "/cabinet/userinfo/2".into()
        }
    );
    assert_eq!(cab.hits("/cabinet/userinfo/2"), 2);
}
