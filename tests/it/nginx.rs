//! The shipped `nginx.conf` under a real nginx in front of a real `ispmon`:
//! the config is valid, HTTP redirects to HTTPS, HTTPS reaches the app, and
//! the app sees the real client address, not one a client forged.
//!
//! The test runs the file itself, rewriting only what cannot work unprivileged
//! and self-contained: listen ports, certificate, upstream address, and the
//! pid, log and temp paths. reqwest is built without TLS here, so HTTPS
//! requests go through the `curl` CLI.

use std::net::{IpAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

const NGINX: &str = "/usr/sbin/nginx";
const WAIT: Duration = Duration::from_secs(20);

/// Where the browser-like client connects from, and the address a client
/// forges in `X-Forwarded-For`. Linux routes all of 127.0.0.0/8 to `lo`.
const CLIENT_VIA_NGINX: &str = "127.0.0.5";
const CLIENT_DIRECT: &str = "127.0.0.6";
const FORGED: &str = "127.0.0.77";

fn conf_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("nginx.conf")
}

fn find_tool(name: &str, fallback: &str) -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .chain([PathBuf::from(fallback)])
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} is missing (not on PATH, not at {fallback}); scripts/test.sh installs it"
            )
        })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// What the test changes in nginx.conf.
struct Rewrite<'a> {
    dir: &'a Path,
    http_port: u16,
    https_port: u16,
    upstream: &'a str,
}

/// Rewrites nginx.conf line by line; every other line stays as written.
/// Panics when a directive the rewrite relies on is missing or repeated, so a
/// reshaped config fails here rather than being half tested.
fn rewrite(conf: &str, r: &Rewrite) -> String {
    let d = r.dir.display();
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    let mut out = String::new();
    for line in conf.lines() {
        let indent = &line[..line.len() - line.trim_start().len()];
        let words: Vec<&str> = line.split_whitespace().collect();
        let first = words.first().copied().unwrap_or("");
        let rest = |from: usize| words[from..].join(" ");
        let new = match first {
            "pid" => Some(format!("pid {d}/nginx.pid;")),
            "error_log" => Some(format!("error_log {d}/error.log {}", rest(2))),
            "access_log" => Some(format!("access_log {d}/access.log {}", rest(2))),
            "ssl_certificate" => Some(format!("ssl_certificate {d}/cert.pem;")),
            "ssl_certificate_key" => Some(format!("ssl_certificate_key {d}/key.pem;")),
            // The upstream's address (not `server {` or `server_name`).
            "server" if !line.trim_end().ends_with('{') => {
                assert_eq!(
                    rest(1),
                    "127.0.0.1:8080;",
                    "the upstream line changed shape"
                );
                Some(format!("server {};", r.upstream))
            }
            // IPv6 listeners are dropped: loopback IPv4 only.
            "listen" if words[1].starts_with('[') => Some(String::new()),
            "listen" => {
                let port = match words[1].trim_end_matches(';') {
                    "80" => r.http_port,
                    "443" => r.https_port,
                    other => panic!("unexpected listen {other}"),
                };
                let tail = rest(2);
                Some(format!(
                    "listen 127.0.0.1:{port}{}",
                    if tail.is_empty() {
                        ";".into()
                    } else {
                        format!(" {tail}")
                    }
                ))
            }
            _ => None,
        };
        let key = match first {
            "listen" if words[1].starts_with('[') => "listen v6",
            "server" if !line.trim_end().ends_with('{') => "upstream server",
            k => k,
        };
        match new {
            Some(n) => {
                *seen.entry(key).or_default() += 1;
                if !n.is_empty() {
                    out.push_str(&format!("{indent}{n}\n"));
                }
            }
            None => {
                out.push_str(line);
                out.push('\n');
                // nginx's compiled-in temp dirs (/var/lib/nginx/...) need root.
                if line.trim() == "http {" {
                    for kind in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"] {
                        out.push_str(&format!("    {kind}_temp_path {d}/{kind}_temp;\n"));
                    }
                }
            }
        }
    }
    let expected = [
        ("pid", 1),
        ("error_log", 1),
        ("access_log", 1),
        ("ssl_certificate", 1),
        ("ssl_certificate_key", 1),
        ("upstream server", 1),
        ("listen", 2),
        ("listen v6", 2),
    ];
    for (key, n) in expected {
        assert_eq!(
            seen.get(key).copied().unwrap_or(0),
            n,
            "nginx.conf: expected {n} `{key}` line(s)"
        );
    }
    out
}

/// nginx on the shipped config, in front of `ispmon`; stopped on drop.
struct Proxy {
    nginx: Option<Child>,
    nginx_bin: PathBuf,
    conf: PathBuf,
    dir: tempfile::TempDir,
    http: String,
    https: String,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let Some(mut child) = self.nginx.take() else {
            return;
        };
        // SIGTERM lets the master stop its workers; SIGKILL would orphan them.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Proxy {
    /// Writes the rewritten config and a self-signed certificate; checks the
    /// config with `nginx -t`.
    fn configure(upstream: &str) -> Self {
        let nginx_bin = find_tool("nginx", NGINX);
        let dir = tempfile::tempdir().unwrap();
        // As root, nginx's workers run as the config's `user` and must reach
        // the temp dirs inside.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        run(Command::new(find_tool("openssl", "/usr/bin/openssl"))
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
            ])
            .arg("-keyout")
            .arg(dir.path().join("key.pem"))
            .arg("-out")
            .arg(dir.path().join("cert.pem")));
        let (http_port, https_port) = (free_port(), free_port());
        let original =
            std::fs::read_to_string(conf_path()).expect("nginx.conf at the workspace root");
        let conf = dir.path().join("nginx.conf");
        let rewritten = rewrite(
            &original,
            &Rewrite {
                dir: dir.path(),
                http_port,
                https_port,
                upstream,
            },
        );
        std::fs::write(&conf, rewritten).unwrap();
        run(Command::new(&nginx_bin)
            .arg("-t")
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(dir.path()));
        Proxy {
            nginx: None,
            nginx_bin,
            conf,
            dir,
            http: format!("http://127.0.0.1:{http_port}"),
            https: format!("https://127.0.0.1:{https_port}"),
        }
    }

    /// Starts nginx in the foreground and waits until it answers over HTTPS.
    async fn start(upstream: &str) -> Self {
        let mut p = Self::configure(upstream);
        let child = Command::new(&p.nginx_bin)
            .arg("-c")
            .arg(&p.conf)
            .arg("-p")
            .arg(p.dir.path())
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("nginx starts");
        p.nginx = Some(child);
        let https = p.https.clone();
        let up = eventually(WAIT, || {
            let https = https.clone();
            async move { curl(&["--max-time", "2", &format!("{https}/healthz")]).is_some() }
        })
        .await;
        if !up {
            let log = std::fs::read_to_string(p.dir.path().join("error.log")).unwrap_or_default();
            panic!(
                "nginx did not answer on {} within {WAIT:?}; error.log:\n{log}",
                p.https
            );
        }
        p
    }
}

/// A response fetched with curl.
struct Fetched {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Fetched {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Runs `curl -k -i ARGS`; `None` when curl could not connect.
fn curl(args: &[&str]) -> Option<Fetched> {
    let out = Command::new(find_tool("curl", "/usr/bin/curl"))
        .args([
            "--silent",
            "--show-error",
            "--insecure",
            "--include",
            "--max-time",
            "20",
        ])
        .args(args)
        .output()
        .expect("curl runs");
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(Fetched {
        status,
        headers,
        body: body.to_string(),
    })
}

fn must(args: &[&str]) -> Fetched {
    curl(args).unwrap_or_else(|| panic!("curl {args:?} could not connect"))
}

fn host_port(base: &str) -> &str {
    base.strip_prefix("http://").expect("an http:// base URL")
}

/// The IP column of the users-online page.
fn session_ips(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("#sessions-table tbody tr td code").unwrap();
    let mut ips: Vec<String> = doc.select(&sel).map(|e| e.text().collect()).collect();
    ips.sort();
    ips
}

#[tokio::test(flavor = "multi_thread")]
async fn nginx_accepts_the_shipped_config() {
    let _ = Proxy::configure("127.0.0.1:9");
}

#[tokio::test(flavor = "multi_thread")]
async fn through_nginx_http_redirects_to_https_and_https_reaches_ispmon() {
    let data = tempfile::tempdir().unwrap();
    let app = spawn_server(
        data.path(),
        &["--trusted-proxy", "127.0.0.1", "--secure-cookies"],
        &[],
    );
    let proxy = Proxy::start(host_port(&app.base)).await;

    let r = must(&[&format!("{}/admin/users?q=x", proxy.http)]);
    assert!(
        matches!(r.status, 301 | 308),
        "plain HTTP is redirected, got {}",
        r.status
    );
    let location = r.header("location").unwrap_or_default();
    assert!(
        location.starts_with("https://") && location.ends_with("/admin/users?q=x"),
        "to the same path over HTTPS: {location}"
    );

    let r = must(&[&format!("{}/healthz", proxy.https)]);
    assert_eq!((r.status, r.body.as_str()), (200, "ok"));
    let hsts = r.header("strict-transport-security").unwrap_or_default();
    assert!(
        hsts.contains("max-age="),
        "HTTPS answers carry HSTS: {hsts:?}"
    );
    assert!(
        r.header("x-request-id").is_some(),
        "ispmon's request id comes through"
    );

    let r = must(&[&format!("{}/static/app.css", proxy.https)]);
    assert_eq!(r.status, 200);
    let cache = r.header("cache-control").unwrap_or_default();
    assert!(
        cache.contains("max-age="),
        "static files may be cached: {cache:?}"
    );
    assert!(r.header("expires").is_some(), "static files carry Expires");
    assert!(
        r.header("strict-transport-security").is_some(),
        "the static location keeps HSTS"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_nginx_ispmon_records_the_real_client_ip_and_ignores_forged_forwarded_for() {
    let data = tempfile::tempdir().unwrap();
    let app = spawn_server(
        data.path(),
        &["--trusted-proxy", "127.0.0.1", "--secure-cookies"],
        &[],
    );
    let proxy = Proxy::start(host_port(&app.base)).await;
    let forged = format!("X-Forwarded-For: {FORGED}");

    // Through nginx, from 127.0.0.5, with a forged X-Forwarded-For: nginx
    // appends the real address, and ispmon (peer = the trusted proxy) takes
    // that last hop. Cookies are `Secure`, so this also proves the session
    // works over TLS.
    let jar = proxy.dir.path().join("cookies.txt");
    let jar = jar.to_str().unwrap();
    let via = |path: &str, extra: &[&str]| {
        let url = format!("{}{path}", proxy.https);
        let mut args = vec![
            "--interface",
            CLIENT_VIA_NGINX,
            "--cookie",
            jar,
            "--cookie-jar",
            jar,
            "-H",
            forged.as_str(),
        ];
        args.extend_from_slice(extra);
        args.push(url.as_str());
        must(&args)
    };
    let page = via("/login", &[]);
    assert_eq!(page.status, 200);
    let csrf = csrf_of(&page.body);
    assert!(!csrf.is_empty(), "the login form has a CSRF token");
    let password = format!("password={ADMIN_PASSWORD}");
    let csrf_field = format!("_csrf={csrf}");
    let r = via(
        "/login",
        &[
            "--data-urlencode",
            "login=admin",
            "--data-urlencode",
            &password,
            "--data-urlencode",
            &csrf_field,
            "--data-urlencode",
            "next=/",
        ],
    );
    assert_eq!(r.status, 303, "admin logs in through nginx: {}", r.body);
    assert!(
        r.header("set-cookie").is_some_and(|c| c.contains("Secure")),
        "secure cookies"
    );

    // Straight to ispmon from 127.0.0.6 with the same forged header: the
    // peer is not the trusted proxy, so the header is ignored.
    let direct = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(CLIENT_DIRECT.parse::<IpAddr>().unwrap())
        .build()
        .unwrap();
    let r = direct
        .post(format!("{}/login", app.base))
        .header("X-Forwarded-For", FORGED)
        .header("Cookie", "ispmon_csrf=direct-login-token")
        .form(&[
            ("login", "admin"),
            ("password", ADMIN_PASSWORD),
            ("_csrf", "direct-login-token"),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("ispmon answers directly");
    assert_eq!(r.status().as_u16(), 303, "admin logs in directly");

    // The users-online page, seen through nginx, shows where each session
    // really came from: never nginx's own address, never the forged one.
    let sessions = via("/admin/sessions", &[]);
    assert_eq!(
        sessions.status, 200,
        "the admin session works through nginx"
    );
    assert_eq!(
        session_ips(&sessions.body),
        vec![CLIENT_VIA_NGINX.to_string(), CLIENT_DIRECT.to_string()],
        "session IPs: the client behind nginx and the direct client"
    );
}
