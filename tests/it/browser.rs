//! End to end in a real browser: headless Chromium driven over WebDriver
//! (chromedriver, started by the test) against the app on a loopback port.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::common::*;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const WAIT: Duration = Duration::from_secs(20);

/// A `chromedriver` child process, killed on drop.
struct Chromedriver {
    child: Child,
    url: String,
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `name` on PATH, else at `fallback`.
fn find_tool(name: &str, fallback: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .chain([PathBuf::from(fallback)])
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Starts chromedriver on a free loopback port and waits until it is ready.
async fn start_chromedriver() -> Chromedriver {
    let Some(bin) = find_tool("chromedriver", CHROMEDRIVER) else {
        panic!(
            "chromedriver is missing (not on PATH, not at {CHROMEDRIVER}); \
             scripts/test.sh installs it (Debian package `chromium-driver`)"
        );
    };
    assert!(
        Path::new(CHROMIUM).is_file(),
        "chromium is missing (not at {CHROMIUM}); scripts/test.sh installs it (Debian package `chromium`)"
    );
    let port = free_port();
    let child = Command::new(&bin)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let mut driver = Chromedriver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let http = client();
    let status = format!("{}/status", driver.url);
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(Some(exit)) = driver.child.try_wait() {
            panic!("chromedriver exited before it was ready: {exit}");
        }
        if let Ok(r) = http.get(&status).send().await {
            let ready = r.json::<serde_json::Value>().await.ok();
            if ready.as_ref().and_then(|v| v["value"]["ready"].as_bool()) == Some(true) {
                return driver;
            }
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver did not answer on {status} within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn start_browser(driver: &Chromedriver, profile: &Path) -> Client {
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        },
    });
    let serde_json::Value::Object(caps) = caps else {
        unreachable!()
    };
    ClientBuilder::native()
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap_or_else(|e| panic!("chromium did not start under chromedriver: {e}"))
}

/// Where screenshots go: cargo's scratch directory for integration tests
/// (`<target>/tmp`, created by cargo whatever the target directory is called).
fn screenshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

async fn save_screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    let path = screenshot_dir().join(name);
    std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

async fn path_of(c: &Client) -> String {
    c.current_url()
        .await
        .expect("current url")
        .path()
        .to_string()
}

async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .text()
        .await
        .expect("element text")
}

async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} did not appear within {WAIT:?}: {e}"))
}

async fn fill(c: &Client, css: &str, value: &str) {
    let field = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"));
    field
        .send_keys(value)
        .await
        .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
}

async fn click(c: &Client, css: &str) {
    let el = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"));
    el.click()
        .await
        .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
}

async fn marker(c: &Client) -> serde_json::Value {
    c.execute(
        "return window.__marker === undefined ? null : window.__marker;",
        vec![],
    )
    .await
    .expect("script runs")
}

async fn admin_creates_a_user_and_switches_language(c: Client, base: String) {
    // Log in.
    c.goto(&format!("{base}/login")).await.expect("open /login");
    fill(&c, r#"form[action="/login"] input[name="login"]"#, "admin").await;
    fill(
        &c,
        r#"form[action="/login"] input[name="password"]"#,
        ADMIN_PASSWORD,
    )
    .await;
    click(&c, r#"form[action="/login"] button[type="submit"]"#).await;
    wait_for(&c, r#"header nav a[href="/admin/users"]"#).await;
    assert_eq!(
        path_of(&c).await,
        "/",
        "after login the browser lands on the home page"
    );

    // Open the users page from the navigation.
    click(&c, r#"header nav a[href="/admin/users"]"#).await;
    wait_for(&c, "#users-panel #new-user").await;
    assert_eq!(path_of(&c).await, "/admin/users");
    c.execute("window.__marker = 42;", vec![])
        .await
        .expect("set the marker");

    // Create a user through the htmx form.
    click(&c, "#users-panel details > summary").await;
    fill(&c, r#"#new-user input[name="login"]"#, "browseruser").await;
    c.find(Locator::Css(r#"#new-user select[name="role"]"#))
        .await
        .expect("role select")
        .select_by_value("auditor")
        .await
        .expect("choose a role");
    fill(
        &c,
        r#"#new-user input[name="password"]"#,
        "browser-password-1",
    )
    .await;
    click(&c, r#"#new-user button[type="submit"]"#).await;
    wait_for(&c, r#"#users-table tr[data-login="browseruser"]"#).await;
    assert_eq!(
        text_of(
            &c,
            r#"#users-table tr[data-login="browseruser"] td:nth-child(1)"#
        )
        .await,
        "browseruser",
        "the new row shows the login"
    );
    assert_eq!(
        text_of(
            &c,
            r#"#users-table tr[data-login="browseruser"] td:nth-child(2)"#
        )
        .await,
        "auditor",
        "the new row shows the chosen role in its role column"
    );
    assert_eq!(
        marker(&c).await,
        json!(42),
        "the page was not reloaded: htmx swapped the panel"
    );
    assert_eq!(path_of(&c).await, "/admin/users", "the URL did not change");
    let notice = text_of(&c, "#users-panel").await;
    assert!(
        notice.contains("User created. browseruser"),
        "a notice confirms it: {notice}"
    );
    save_screenshot(&c, "browser-users.png").await;

    // Switch to Russian with the header button; the page comes back in Russian.
    click(&c, "#lang-ru").await;
    wait_for(&c, r#"html[lang="ru"]"#).await;
    assert_eq!(
        path_of(&c).await,
        "/admin/users",
        "the switch returns to the same page"
    );
    let nav = text_of(&c, "header nav").await;
    assert!(
        nav.contains("Пользователи"),
        "the navigation is in Russian: {nav}"
    );
    let heading = text_of(&c, "#users-panel h1").await;
    assert_eq!(heading, "Пользователи");
    assert!(
        c.find(Locator::Css("#lang-en")).await.is_ok(),
        "the switch now offers English"
    );
    assert_eq!(
        marker(&c).await,
        json!(null),
        "the language switch is a full page load"
    );
    save_screenshot(&c, "browser-users-ru.png").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_creates_a_user_in_a_real_browser_without_a_full_reload_and_switches_language() {
    let app = spawn_app().await;
    let driver = start_chromedriver().await;
    let profile = tempfile::tempdir().unwrap();
    let browser = start_browser(&driver, profile.path()).await;

    // Run the scenario as its own task so the browser is closed even when an
    // assertion fails; then re-raise the failure.
    let outcome = tokio::spawn(admin_creates_a_user_and_switches_language(
        browser.clone(),
        app.base.clone(),
    ))
    .await;
    if outcome.is_err() {
        if let Ok(png) = browser.screenshot().await {
            let _ = std::fs::write(screenshot_dir().join("browser-failure.png"), png);
        }
    }
    let _ = browser.close().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Logs in as admin and opens `path`.
async fn log_in_and_open(c: &Client, base: &str, path: &str) {
    c.goto(&format!("{base}/login")).await.expect("open /login");
    fill(c, r#"form[action="/login"] input[name="login"]"#, "admin").await;
    fill(
        c,
        r#"form[action="/login"] input[name="password"]"#,
        ADMIN_PASSWORD,
    )
    .await;
    click(c, r#"form[action="/login"] button[type="submit"]"#).await;
    wait_for(c, "header.top nav").await;
    c.goto(&format!("{base}{path}")).await.expect("open page");
}

async fn the_board_follows_a_state_change(c: Client, app: std::sync::Arc<TestApp>, host: String) {
    log_in_and_open(&c, &app.base, "/icmp?per=50").await;
    wait_for(&c, "#board-pager").await;
    c.execute("window.__marker = 7;", vec![])
        .await
        .expect("script runs");
    // Page 2 through the pager: htmx swaps the board and pushes the URL.
    click(&c, r#"#board-pager a[rel="next"]"#).await;
    let row = format!(r#"tr#host-{host}"#);
    wait_for(&c, &format!(r#"{row}[data-state="pending"]"#)).await;
    assert_eq!(text_of(&c, "#board-pager .current").await, "2");
    let url = c.current_url().await.expect("current url");
    assert_eq!(
        url.query(),
        Some("per=50&page=2"),
        "the URL says which page"
    );
    assert_eq!(marker(&c).await, json!(7), "paged without a reload");
    // The sweep changes the hosts' state behind the page's back.
    app.state
        .sweeper
        .run_once(ispmon_scheduler::sweep::Scope::All)
        .await
        .expect("sweep");
    wait_for(&c, &format!(r#"{row}[data-state="up"]"#)).await;
    assert_eq!(
        marker(&c).await,
        json!(7),
        "the row changed without a reload"
    );
    assert_eq!(
        text_of(&c, &format!("{row} td:first-child span.state.up")).await,
        "up",
        "the row's state badge now reads up"
    );
    // The top of the board at laptop and at phone width.
    c.set_window_size(1366, 900).await.expect("laptop width");
    c.execute("window.scrollTo(0, 0);", vec![])
        .await
        .expect("script runs");
    save_screenshot(&c, "browser-board.png").await;
    c.set_window_size(390, 900).await.expect("phone width");
    c.execute("window.scrollTo(0, 0);", vec![])
        .await
        .expect("script runs");
    save_screenshot(&c, "browser-board-phone.png").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_icmp_board_pages_and_updates_a_row_on_screen_live_when_a_host_changes_state() {
    let app = std::sync::Arc::new(spawn_app().await);
    let add = |ip: String, name: String| {
        let app = app.clone();
        async move {
            let id = uuid::Uuid::new_v4().to_string();
            let details = ispmon_events::host::HostDetails {
                name,
                ..Default::default()
            };
            app.state
                .core
                .commands
                .host(
                    &id,
                    ispmon_events::host::HostCommand::Add { ip, details },
                    &app.meta(),
                )
                .await
                .unwrap();
            id
        }
    };
    for i in 0..120 {
        add(format!("127.0.10.{}", i + 1), format!("h{i:03}")).await;
    }
    // Between h080 and h081: the 82nd row, on page 2 of 50 rows.
    let host = add("127.0.0.1".into(), "h080-lo".into()).await;
    let driver = start_chromedriver().await;
    let profile = tempfile::tempdir().unwrap();
    let browser = start_browser(&driver, profile.path()).await;
    let outcome = tokio::spawn(the_board_follows_a_state_change(
        browser.clone(),
        app.clone(),
        host,
    ))
    .await;
    if outcome.is_err() {
        if let Ok(png) = browser.screenshot().await {
            let _ = std::fs::write(screenshot_dir().join("browser-board-failure.png"), png);
        }
    }
    let _ = browser.close().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Runs a scenario against a fresh browser, closing it even when the
/// scenario fails (with a screenshot `name-failure.png`), then re-raises.
async fn in_browser<F, Fut>(name: &str, scenario: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let driver = start_chromedriver().await;
    let profile = tempfile::tempdir().unwrap();
    let browser = start_browser(&driver, profile.path()).await;
    let outcome = tokio::spawn(scenario(browser.clone())).await;
    if outcome.is_err() {
        if let Ok(png) = browser.screenshot().await {
            let _ = std::fs::write(screenshot_dir().join(format!("{name}-failure.png")), png);
        }
    }
    let _ = browser.close().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pull_now_shows_the_new_version_and_the_diff_marks_the_changed_line() {
    use ispmon_sim::{DeviceSpec, Fleet, Kind, Transport};
    let app = std::sync::Arc::new(spawn_app().await);
    let fleet = Fleet::start(vec![DeviceSpec::sample(Kind::CiscoIos, Transport::Ssh, 2)])
        .await
        .unwrap();
    let id = crate::config_pulls::register(&app, &fleet.devices[0], "core-sw", "0 3 * * *").await;
    let state = std::sync::Arc::clone(&fleet.devices[0].state);
    let base = app.base.clone();
    in_browser("browser-config", move |c| async move {
        log_in_and_open(&c, &base, &format!("/devices/{id}")).await;
        wait_for(&c, "#device p.empty").await;
        c.execute("window.__marker = 9;", vec![])
            .await
            .expect("script runs");
        click(&c, "#pull-now").await;
        wait_for(&c, "#versions tbody tr").await;
        assert_eq!(
            text_of(&c, "#device .notice").await,
            "New version stored: v1",
            "the notice names the first stored version"
        );
        assert_eq!(
            text_of(&c, "#versions tbody tr:first-child td:first-child").await,
            "v1",
            "the versions table lists v1"
        );
        state.lock().unwrap().config.push_str("vlan 1000\n");
        click(&c, "#pull-now").await;
        c.wait()
            .at_most(WAIT)
            .for_element(Locator::XPath("//table[@id='versions']//a[text()='v2']"))
            .await
            .expect("v2 appears");
        assert_eq!(
            marker(&c).await,
            json!(9),
            "htmx swapped the device panel in place"
        );
        save_screenshot(&c, "browser-device.png").await;
        click(&c, "#compare").await;
        wait_for(&c, "table.diff").await;
        let added = text_of(&c, "table.diff tr.add td.code").await;
        assert_eq!(added, "vlan 1000");
        assert_eq!(path_of(&c).await, format!("/devices/{id}/diff"));
        let url = c.current_url().await.expect("current url");
        let mut compared: Vec<_> = url.query_pairs().into_owned().collect();
        compared.sort();
        assert_eq!(
            compared,
            [("a".into(), "1".into()), ("b".into(), "2".into())],
            "the diff compares v1 with v2"
        );
        save_screenshot(&c, "browser-diff.png").await;
    })
    .await;
    drop(fleet);
}

#[tokio::test(flavor = "multi_thread")]
async fn search_port_finds_a_login_as_you_type_shows_the_edge_port_first_and_rechecks_it() {
    let app = std::sync::Arc::new(spawn_app().await);
    let (fleet, live) = ispmon_sim::LivePopulation::start(ispmon::demo::demo_population())
        .await
        .unwrap();
    ispmon::demo::seed_population(&app.state.core, live.population(), &fleet)
        .await
        .unwrap();
    crate::subscribers::collect_all(&app).await;
    let sub = live
        .population()
        .subscribers
        .iter()
        .find(|s| s.online && s.in_fdb && s.devices.is_empty())
        .cloned()
        .unwrap();
    let port = live.population().port_name(&sub).to_string();
    let switch = live.population().access_switches()[sub.access].name.clone();
    let base = app.base.clone();
    in_browser("browser-search", move |c| async move {
        log_in_and_open(&c, &base, "/search").await;
        c.execute("window.__marker = 7;", vec![])
            .await
            .expect("script runs");
        fill(&c, "#q", &sub.login).await;
        wait_for(&c, "#edge dd.port").await;
        assert_eq!(text_of(&c, "h2.login").await, sub.login);
        assert_eq!(
            text_of(&c, "#edge dd.port").await,
            port,
            "the edge port first"
        );
        assert!(text_of(&c, "#edge dd").await.starts_with(&switch));
        assert_eq!(marker(&c).await, json!(7), "answered in place, as typed");
        click(&c, r#"form[action="/search/recheck"] button"#).await;
        wait_for(&c, "#recheck .notice").await;
        let said = text_of(&c, "#recheck .notice").await;
        assert!(
            said.contains("lists it now on") && said.contains(&port),
            "{said}"
        );
        save_screenshot(&c, "browser-search.png").await;
    })
    .await;
    drop(fleet);
}

/// An ONT waits in autofind: the technician opens GPON, presses Register on
/// its row, names it, submits, watches the steps run on the job page (htmx
/// swaps them in place, the slow `save` is seen running), and finds the ONT
/// online in the port table.
#[tokio::test(flavor = "multi_thread")]
async fn an_ont_in_autofind_registers_from_the_browser_and_is_online_in_the_port_table() {
    use ispmon_sim::{DeviceSpec, Fleet, Kind, Transport};
    let app = std::sync::Arc::new(spawn_app().await);
    let fleet = Fleet::start(vec![DeviceSpec::sample(
        Kind::HuaweiSmartax,
        Transport::Ssh,
        0,
    )])
    .await
    .unwrap();
    let mut form = ispmon::demo::device_form(&fleet.devices[0], "olt-east");
    form.profile.roles = vec!["olt".into()];
    let olt = ispmon::devices::register(&app.state.core, &form, &app.meta())
        .await
        .unwrap()
        .unwrap();
    ispmon::gpon::save_profile(
        &app.state,
        None,
        ispmon_events::gpon::ProfileValues {
            name: "ftth".into(),
            vlan: 100,
            gemport: 1,
            line_profile_id: 10,
            service_profile_id: 10,
            bridge: true,
            onu_type: String::new(),
        },
        &app.meta(),
    )
    .await
    .unwrap();
    ispmon::gpon::poll_now(&app.state, &olt, &app.meta())
        .await
        .unwrap();
    let state = std::sync::Arc::clone(&fleet.devices[0].state);
    let ((f, s, p), sn) = {
        let mut st = state.lock().unwrap();
        let g = st.gpon_mut();
        // A save the eye can follow: the page shows it running first.
        g.save_delay = Duration::from_millis(2500);
        let a = g.autofind_on(None)[0];
        (a.fsp, a.sn.clone())
    };
    let port = format!("{f}/{s}/{p}");
    let base = app.base.clone();
    in_browser("browser-gpon", move |c| async move {
        log_in_and_open(&c, &base, "/gpon").await;
        click(&c, &format!(r#"#autofind tr[data-sn="{sn}"] a.register"#)).await;
        wait_for(&c, "#register-form").await;
        assert_eq!(
            c.find(Locator::Css(r#"#register-form input[name="sn"]"#))
                .await
                .unwrap()
                .prop("value")
                .await
                .unwrap()
                .as_deref(),
            Some(sn.as_str()),
            "the form comes filled from the autofind row"
        );
        fill(&c, r#"#register-form input[name="name"]"#, "kuznetsov_12/3").await;
        click(&c, "#register-submit").await;
        wait_for(&c, "#job-steps").await;
        assert!(path_of(&c).await.starts_with("/gpon/jobs/"));
        c.execute("window.__marker = 11;", vec![])
            .await
            .expect("script runs");
        wait_for(&c, r#"#job-steps li.step.running[data-step="save"]"#).await;
        save_screenshot(&c, "browser-gpon-job.png").await;
        wait_for(&c, "#job-state .badge.good").await;
        let done = c
            .find_all(Locator::Css("#job-steps li.step.done"))
            .await
            .unwrap()
            .len();
        assert_eq!(done, 5, "every step is done");
        assert_eq!(
            marker(&c).await,
            json!(11),
            "the steps were swapped in place, no reload"
        );
        c.goto(&format!("{base}/gpon/olts/{olt}/port?p={port}"))
            .await
            .expect("open the port");
        let row = format!(r#"#onts tr[data-sn="{sn}"]"#);
        wait_for(&c, &row).await;
        assert_eq!(text_of(&c, &format!("{row} td.run")).await, "online");
        assert!(text_of(&c, &row).await.contains("kuznetsov_12/3"));
        save_screenshot(&c, "browser-gpon-port.png").await;
    })
    .await;
    drop(fleet);
}

/// An operator types part of an address (street and house) on the
/// subscribers page, the list answers as they type, they pick the
/// subscriber and have the card with the switch port the population put
/// them on.
#[tokio::test(flavor = "multi_thread")]
async fn part_of_an_address_finds_the_subscriber_as_you_type_and_the_card_shows_the_port() {
    let w = crate::subscribers::world().await;
    w.configure().await;
    w.sync().await;
    crate::subscribers::collect_all(&w.app).await;
    let pop = w.live.population();
    // Street and house without the flat: `г. Новоград, ул. Мира, д. 7а,
    // кв. 12` → `Мира 7а`.
    let street_house = |address: &str| -> String {
        let head = address.split(", кв.").next().unwrap_or(address);
        head.replace("г. Новоград, ", "")
            .replace("ул. ", "")
            .replace(", д. ", " ")
    };
    let (who, card) = pop
        .subscribers
        .iter()
        .filter(|s| s.online && s.in_fdb && s.devices.is_empty())
        .filter_map(|s| Some((s.clone(), w.cabinet.subscriber(&s.login)?)))
        .find(|(_, b)| b.address.contains(", кв."))
        .expect("an online subscriber in a flat, on a switch port");
    let typed = street_house(&card.address);
    let id = card.id.to_string();
    let port = pop.port_name(&who).to_string();
    let switch = pop.access_switches()[who.access].name.clone();
    let base = w.app.base.clone();
    in_browser("browser-subscribers", move |c| async move {
        log_in_and_open(&c, &base, "/subscribers").await;
        c.execute("window.__marker = 9;", vec![])
            .await
            .expect("script runs");
        fill(&c, "#subs-q", &typed).await;
        let link = format!(r#"#subs-table a[href="/subscribers/{id}"]"#);
        wait_for(&c, &link).await;
        assert_eq!(marker(&c).await, json!(9), "answered in place, as typed");
        save_screenshot(&c, "browser-subscribers.png").await;
        click(&c, &link).await;
        wait_for(&c, "#port").await;
        assert_eq!(path_of(&c).await, format!("/subscribers/{id}"));
        let shown = text_of(&c, "#port").await;
        assert!(
            shown.contains(&port) && shown.contains(&switch),
            "{typed:?}: the card shows {switch} {port}: {shown}"
        );
        save_screenshot(&c, "browser-subscriber-card.png").await;
        c.set_window_size(390, 844).await.expect("resize");
        save_screenshot(&c, "browser-subscriber-card-phone.png").await;
    })
    .await;
    drop(w);
}

/// Support opens a ticket from the subscriber card in one click: the form
/// comes filled in, the ticket page shows its SLA due times and the
/// subscriber beside it.
#[tokio::test(flavor = "multi_thread")]
async fn a_ticket_opened_from_the_subscriber_card_shows_its_sla_and_the_subscriber() {
    let app = std::sync::Arc::new(spawn_app().await);
    crate::tickets::seed_subscriber(&app).await;
    let base = app.base.clone();
    in_browser("browser-ticket", move |c| async move {
        log_in_and_open(&c, &base, &format!("/subscribers/{}", crate::tickets::SUB)).await;
        click(&c, "#new-ticket").await;
        wait_for(&c, "#ticket-form").await;
        let login = c
            .find(Locator::Css(r#"#ticket-form input[name="login"]"#))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(
            login.as_deref(),
            Some("petrov_a"),
            "filled in from the card"
        );
        fill(
            &c,
            r#"#ticket-form textarea[name="problem"]"#,
            "Нет интернета с утра",
        )
        .await;
        click(&c, "#ticket-submit").await;
        wait_for(&c, "#ticket-sla").await;
        assert!(path_of(&c).await.starts_with("/tickets/"));
        let sla = text_of(&c, "#ticket-sla").await;
        assert!(
            sla.contains("first response by") && sla.contains("resolution by"),
            "{sla}"
        );
        assert!(text_of(&c, "#ticket-subscriber").await.contains("petrov_a"));
        save_screenshot(&c, "browser-ticket.png").await;
        // A phone's width: the subscriber goes under the ticket.
        c.set_window_size(390, 844).await.expect("resize");
        save_screenshot(&c, "browser-ticket-phone.png").await;
        c.goto(&format!("{base}/tickets"))
            .await
            .expect("open the list");
        wait_for(&c, "#ticket-list").await;
        save_screenshot(&c, "browser-tickets-phone.png").await;
    })
    .await;
}

/// Drags `src` onto `target` with the browser's own drag events (WebDriver
/// has no HTML5 drag and drop): over its upper or lower half, then drops.
async fn drag(c: &Client, src: &str, target: &str, lower_half: bool) {
    c.execute(
        r#"const [srcSel, tgtSel, lower] = arguments;
           const src = document.querySelector(srcSel);
           const tgt = document.querySelector(tgtSel);
           if (!src || !tgt) { throw new Error("no " + (src ? tgtSel : srcSel)); }
           const dt = new DataTransfer();
           const at = (el, type, y) => {
             const r = el.getBoundingClientRect();
             el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true,
               dataTransfer: dt, clientX: r.left + 4, clientY: y(r) }));
           };
           const y = (r) => lower ? r.bottom - 2 : r.top + 2;
           at(src, "dragstart", (r) => r.top + 2);
           at(tgt, "dragover", y);
           at(tgt, "drop", y);
           at(src, "dragend", (r) => r.top + 2);"#,
        vec![json!(src), json!(target), json!(lower_half)],
    )
    .await
    .unwrap_or_else(|e| panic!("dragging {src} onto {target}: {e}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_is_dragged_to_the_top_of_its_folder_then_onto_another_folder() {
    let app = std::sync::Arc::new(spawn_app().await);
    let meta = app.meta();
    let st = &app.state;
    let a = ispmon::requests::create_folder(st, "Новые", &meta)
        .await
        .unwrap();
    let b = ispmon::requests::create_folder(st, "Частный сектор", &meta)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for name in ["Первая", "Вторая", "Третья"] {
        let form = ispmon::requests::RequestForm {
            name: name.into(),
            address: "Садовая 3".into(),
            folder: a.clone(),
            ..Default::default()
        };
        ids.push(ispmon::requests::open(st, &form, &meta).await.unwrap());
    }
    let board_of = app.clone();
    let order = move |folder: String| {
        let app = board_of.clone();
        async move {
            let q = ispmon_projections::requests::BoardQuery {
                folder: ispmon_projections::requests::FolderSel::One(folder),
                status: "any".into(),
                limit: 50,
                ..Default::default()
            };
            ispmon::requests::board(&app.state, q)
                .await
                .unwrap()
                .0
                .iter()
                .map(|v| v.id.clone())
                .collect::<Vec<_>>()
        }
    };
    let base = app.base.clone();
    let (a2, b2, ids2) = (a.clone(), b.clone(), ids.clone());
    in_browser("browser-board", move |c| async move {
        let card = |id: &str| format!(r#"#request-list .request-card[data-id="{id}"]"#);
        log_in_and_open(&c, &base, &format!("/requests?folder={a2}")).await;
        wait_for(&c, "#request-list[data-sortable]").await;
        // The third onto the upper half of the first: to the top.
        drag(&c, &card(&ids2[2]), &card(&ids2[0]), false).await;
        let want = vec![ids2[2].clone(), ids2[0].clone(), ids2[1].clone()];
        let moved = eventually(WAIT, || {
            let (order, want) = (order(a2.clone()), want.clone());
            async move { order.await == want }
        })
        .await;
        assert!(moved, "the drop reordered the folder: {:?}", order(a2.clone()).await);
        c.refresh().await.expect("reload");
        wait_for(&c, "#request-list").await;
        let shown = c
            .execute(
                "return [...document.querySelectorAll('#request-list .request-card')].map(e => e.dataset.id);",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(shown, json!(want), "the page shows the new order");
        save_screenshot(&c, "browser-requests.png").await;
        // The first onto the other folder in the side list.
        drag(&c, &card(&ids2[0]), &format!(r#"li[data-drop-folder="{b2}"]"#), false).await;
        let landed = eventually(WAIT, || {
            let order = order(b2.clone());
            let id = ids2[0].clone();
            async move { order.await == vec![id] }
        })
        .await;
        assert!(landed, "dropped on the folder, it moved there");
        assert_eq!(order(a2.clone()).await, vec![ids2[2].clone(), ids2[1].clone()]);
        c.set_window_size(390, 844).await.expect("resize");
        c.goto(&format!("{base}/requests?folder={b2}")).await.expect("open the other folder");
        wait_for(&c, "#request-list").await;
        save_screenshot(&c, "browser-requests-phone.png").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_lists_a_host_that_goes_down_without_a_reload() {
    let app = std::sync::Arc::new(spawn_app().await);
    let id = crate::notify::add_host(&app, "127.0.0.78", "edge-live-78", None).await;
    let base = app.base.clone();
    let app2 = app.clone();
    in_browser("browser-dashboard", move |c| async move {
        log_in_and_open(&c, &base, "/").await;
        wait_for(&c, "#home-panels .stats").await;
        // The stream is open once the first panels came in.
        wait_for(&c, "#home-panels[data-updated]").await;
        let row = format!("#home-panels #down-hosts tr#host-{id}");
        assert!(
            c.find(Locator::Css(&row)).await.is_err(),
            "an up host is not on the panel"
        );
        c.execute("window.__marker = 11;", vec![])
            .await
            .expect("script runs");
        crate::notify::go_down(&app2, &id).await;
        wait_for(&c, &row).await;
        assert!(
            text_of(&c, &row).await.contains("edge-live-78"),
            "the row names the host"
        );
        assert_eq!(
            marker(&c).await,
            json!(11),
            "no reload: the stream swapped the panel"
        );
        let heading = text_of(&c, "#home-panels h2").await;
        assert!(heading.contains("(1)"), "the count follows: {heading}");
        c.set_window_size(1366, 900).await.expect("laptop width");
        save_screenshot(&c, "browser-dashboard.png").await;
        c.set_window_size(390, 844).await.expect("phone width");
        save_screenshot(&c, "browser-dashboard-phone.png").await;
        // On a phone the views are one row that scrolls sideways (an
        // admin's twenty links wrapped into a screenful before the page).
        let nav = c
            .execute(
                "const n = document.querySelector('header.top nav'); \
                 const a = n.querySelectorAll('a'); \
                 return [n.scrollWidth > n.clientWidth, \
                   a[0].getBoundingClientRect().top === a[a.length - 1].getBoundingClientRect().top, \
                   a.length];",
                vec![],
            )
            .await
            .expect("script runs");
        assert_eq!(nav[0], json!(true), "the nav scrolls sideways: {nav}");
        assert_eq!(nav[1], json!(true), "the nav is one row: {nav}");
        assert!(nav[2].as_u64() > Some(10), "an admin's whole nav: {nav}");
    })
    .await;
}
