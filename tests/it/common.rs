//! The test harness: the real app on port 0 with a temp data dir, in this
//! process or as a child `ispmon` process, and logged-in HTTP sessions.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ispmon::app::Application;
use ispmon::config::Settings;
use ispmon::state::AppState;
use ispmon_events::values::{Locale, Login, NewPassword, Role};
use ispmon_events::{Durability, Metadata, Source};
use reqwest::redirect::Policy;
use reqwest::{Client, Response};
use tokio_util::sync::CancellationToken;

pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const PASSWORD: &str = "user-password-1";

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub data: tempfile::TempDir,
    cancel: CancellationToken,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

pub fn settings(dir: &Path) -> Settings {
    let mut s = Settings::new(dir.to_path_buf());
    s.listen = "127.0.0.1:0".parse().unwrap();
    s.admin_password = Some(ADMIN_PASSWORD.into());
    s.durability = Durability::Normal;
    s
}

/// The app in this process, on a free loopback port.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let data = tempfile::tempdir().unwrap();
    let mut s = settings(data.path());
    tweak(&mut s);
    let app = Application::build(s).await.expect("app builds");
    let addr = app.local_addr();
    let state = app.state().clone();
    let cancel = app.cancel_token();
    let server = Some(tokio::spawn(app.run_until_stopped()));
    TestApp {
        base: format!("http://{addr}"),
        state,
        data,
        cancel,
        server,
    }
}

pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// An HTTP client with its own cookie jar, and the CSRF token of its session.
pub struct Session {
    pub client: Client,
    pub base: String,
    pub csrf: String,
}

/// Extracts the value of the first `name="_csrf"` hidden field of a page.
/// One API call with a bearer token: the status and the JSON answer
/// (`null` when the body is not JSON).
pub async fn api_call(
    base: &str,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut r = client()
        .request(method, format!("{base}{path}"))
        .bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

pub fn csrf_of(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(r#"input[name="_csrf"]"#).unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .unwrap_or_default()
        .to_string()
}

impl Session {
    /// Creates an API token on the account page and returns it (shown once).
    pub async fn api_token(&self, name: &str) -> String {
        let r = self.post_htmx("/account/tokens", &[("name", name)]).await;
        assert_eq!(r.status().as_u16(), 200);
        let page = r.text().await.unwrap();
        let doc = scraper::Html::parse_document(&page);
        let token = doc
            .select(&scraper::Selector::parse("#new-token").unwrap())
            .next()
            .expect("token shown once")
            .text()
            .collect::<String>();
        assert!(token.starts_with("ispm_"), "{token}");
        token
    }

    pub fn anonymous(base: &str) -> Self {
        Self {
            client: client(),
            base: base.to_string(),
            csrf: String::new(),
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    /// Posts a form with this session's CSRF token.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("_csrf", &self.csrf));
        self.post_raw(path, &all).await
    }

    /// Posts a form as htmx does (fragment expected).
    pub async fn post_htmx(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("_csrf", &self.csrf));
        self.client
            .post(format!("{}{path}", self.base))
            .header("HX-Request", "true")
            .form(&all)
            .send()
            .await
            .unwrap()
    }

    /// Posts a form exactly as given (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// Logs in through the login form; returns the POST's response.
    pub async fn log_in(&mut self, login: &str, password: &str) -> Response {
        let (_, page) = self.get_text("/login").await;
        let csrf = csrf_of(&page);
        let r = self
            .post_raw(
                "/login",
                &[
                    ("login", login),
                    ("password", password),
                    ("_csrf", &csrf),
                    ("next", "/"),
                ],
            )
            .await;
        if r.status().as_u16() == 303 {
            let (_, home) = self.get_text("/account").await;
            self.csrf = csrf_of(&home);
        }
        r
    }
}

impl TestApp {
    /// Stops the server and waits until it has let go of the data dir.
    pub async fn stop(mut self) -> tempfile::TempDir {
        self.cancel.cancel();
        if let Some(h) = self.server.take() {
            h.await.unwrap().unwrap();
        }
        let data = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.data, data)
    }

    /// Stops ispmon and starts it again on the same data directory (on a
    /// new port; API tokens and users are in the data, sessions too).
    pub async fn restarted(self) -> TestApp {
        let data = self.stop().await;
        let mut app = spawn_app_with(|s| s.data_dir = data.path().to_path_buf()).await;
        // The directory lives as long as the app that runs on it.
        app.data = data;
        app
    }

    pub fn anonymous(&self) -> Session {
        Session::anonymous(&self.base)
    }

    pub fn meta(&self) -> Metadata {
        Metadata::system(Source::Cli, "test")
    }

    /// Registers a user directly through the core; returns its id.
    pub async fn create_user(&self, login: &str, role: Role) -> String {
        self.state
            .core
            .register_user(
                Login::parse(login).unwrap(),
                role,
                Locale::En,
                &NewPassword::parse(PASSWORD).unwrap(),
                &self.meta(),
            )
            .await
            .expect("user registered")
    }

    /// The id of the user with `login` (from the read model).
    pub async fn user_id(&self, login: &str) -> String {
        let login = login.to_string();
        self.state
            .core
            .views
            .read(move |c| ispmon_projections::users::by_login(c, &login))
            .await
            .unwrap()
            .expect("user exists")
            .user_id
    }

    pub async fn login(&self, login: &str, password: &str) -> Session {
        let mut s = self.anonymous();
        let r = s.log_in(login, password).await;
        assert_eq!(r.status().as_u16(), 303, "login of {login} failed");
        s
    }

    /// A session of a fresh user with `role` (the bootstrap admin for admin).
    pub async fn login_as(&self, role: Role) -> Session {
        if role == Role::Admin {
            return self.login("admin", ADMIN_PASSWORD).await;
        }
        let login = format!(
            "{}-{}",
            role.as_str(),
            &uuid::Uuid::new_v4().simple().to_string()[..6]
        );
        self.create_user(&login, role).await;
        self.login(&login, PASSWORD).await
    }

    pub fn events_path(&self) -> PathBuf {
        self.data.path().join("events.db")
    }

    /// Number of events in the log (read straight from SQLite).
    pub fn event_count(&self) -> u64 {
        let c = rusqlite::Connection::open(self.events_path()).unwrap();
        c.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
            .unwrap()
    }

    /// Number of events of one aggregate type in the log.
    pub fn events_of(&self, aggregate_type: &str) -> u64 {
        let c = rusqlite::Connection::open(self.events_path()).unwrap();
        c.query_row(
            "SELECT COUNT(*) FROM events WHERE aggregate_type = ?1",
            [aggregate_type],
            |r| r.get(0),
        )
        .unwrap()
    }
}

/// `ispmon` as a child process.
pub struct ChildServer {
    pub child: Child,
    pub base: String,
    /// The child's stdout lines after the "listening" line.
    pub stdout: std::sync::mpsc::Receiver<String>,
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ispmon")
}

/// Runs an `ispmon` command on the data dir `data` and waits for it.
pub fn ispmon(args: &[&str], data: &Path) -> std::process::Output {
    Command::new(bin())
        .args(args)
        .env("ISPMON_DATA", data)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("ispmon runs")
}

/// Starts `ispmon serve` on a free loopback port and waits until it listens.
pub fn spawn_server(data: &Path, args: &[&str], env: &[(&str, &str)]) -> ChildServer {
    spawn_command("serve", data, args, env, Stdio::inherit())
}

/// Starts `ispmon <sub>` (serve or demo) on a free loopback port, its
/// stderr (the log) going to `stderr`, and waits until it listens.
pub fn spawn_command(
    sub: &str,
    data: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stderr: Stdio,
) -> ChildServer {
    let mut cmd = Command::new(bin());
    cmd.arg(sub)
        .arg("--data")
        .arg(data)
        .arg("--listen")
        .arg("127.0.0.1:0")
        .args(args)
        .env("ISPMON_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(stderr);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("ispmon starts");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = rx.recv_timeout(left) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ispmon did not print its address within 60 s");
        };
        if let Some(url) = line.strip_prefix("ispmon: listening on ") {
            return ChildServer {
                child,
                base: url.trim().to_string(),
                stdout: rx,
            };
        }
    }
}

/// Polls `check` until it holds or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The error message shown next to the form field `name`: inside the label
/// around its control, or for a checkbox or radio group, inside the
/// fieldset around the group. `None` when no control of that name (the
/// page may have several forms) has a message there.
pub fn field_error(html: &str, name: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let control = scraper::Selector::parse(&format!(r#"[name="{name}"]"#)).unwrap();
    let error = scraper::Selector::parse(".field-error").unwrap();
    doc.select(&control).find_map(|c| {
        let grouped = matches!(c.value().attr("type"), Some("checkbox" | "radio"));
        let container = if grouped { "fieldset" } else { "label" };
        let around = c
            .ancestors()
            .filter_map(scraper::ElementRef::wrap)
            .find(|e| e.value().name() == container)?;
        let message = around.select(&error).next()?;
        Some(message.text().collect::<String>().trim().to_string())
    })
}
