//! The cabinet's HTML, in the shapes of `billing-cabinet.md`, as varied as
//! a PHP cabinet edited for fifteen years: entities, stray whitespace,
//! attribute order, nested tags, upper-case tags and CRLF on some pages.
//! Every variation is drawn from the subscriber's (or folder's) seed, so
//! the same seed always gives the same bytes.

use std::fmt::Write as _;

use super::faults::StructureChange;
use super::ledger::{display_name, Ledger, Record, Staff};
use super::names;
use super::values::{rubles, BillingSubscriber, Status};
use crate::population::Rng;

/// `&`, `<`, `>`, `"` as entities.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    esc_into(&mut out, text);
    out
}

fn esc_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

/// How one page is dressed.
#[derive(Clone, Copy, Default)]
pub(crate) struct Dress {
    pub crlf: bool,
    pub upper: bool,
}

impl Dress {
    fn of(seed: u64) -> Dress {
        let mut rng = Rng(seed ^ 0xd2e5_5000);
        Dress {
            crlf: rng.chance(20),
            upper: rng.chance(12),
        }
    }
}

/// The page around `body`, then the dress applied.
pub(crate) fn document(title: &str, body: &str, dress: Dress) -> String {
    let mut page = String::with_capacity(body.len() + 600);
    page.push_str(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n<html>\n<head>\n\
         <meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1251\">\n<title>",
    );
    page.push_str(title);
    page.push_str(
        " - Личный кабинет</title>\n<link rel=\"stylesheet\" type=\"text/css\" href=\"/cabinet/css/style.css\">\n\
         </head>\n<body>\n<div id=\"header\"><a href=\"/cabinet/userinfo\">Абоненты</a> | \
         <a href=\"/cabinet/stat\">Статистика</a> | <a href=\"/cabinet/logout\">Выход</a></div>\n\
         <div id=\"content\">\n",
    );
    page.push_str(body);
    page.push_str("</div>\n<div id=\"footer\">&copy; Carbon Billing</div>\n</body>\n</html>\n");
    let page = if dress.upper { upper_tags(&page) } else { page };
    if dress.crlf {
        crate::shells::text::crlf(&page)
    } else {
        page
    }
}

/// Tag names in upper case (`<TD class="value">`, `</TR>`); attributes and
/// text stay as they are.
fn upper_tags(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    let mut in_name = false;
    let mut after_lt = false;
    for c in page.chars() {
        if after_lt {
            after_lt = false;
            if c == '/' {
                out.push(c);
                after_lt = true;
                continue;
            }
            in_name = c.is_ascii_alphabetic();
        } else if in_name && !c.is_ascii_alphanumeric() {
            in_name = false;
        }
        if c == '<' {
            after_lt = true;
        }
        out.push(if in_name { c.to_ascii_uppercase() } else { c });
    }
    out
}

/// The login form, with fresh hidden fields and perhaps an error above it.
pub(crate) fn login_page(hash: &str, word: &str, error: Option<&str>) -> String {
    let mut b = String::with_capacity(1200);
    b.push_str("<h2>Вход в личный кабинет</h2>\n");
    if let Some(e) = error {
        let _ = writeln!(b, "<div class=\"ideco_error\">{}</div>", esc(e));
    }
    let _ = write!(
        b,
        "<form method=\"post\" action=\"/cabinet/login\" name=\"login_form\">\n\
         <input type=\"hidden\" name=\"cab_hash\" value=\"{hash}\">\n\
         <input type=\"hidden\" name=\"cab_random_word\" value=\"{word}\">\n\
         <table class=\"login\">\n\
         <tr><td>Логин:</td><td><input type=\"text\" name=\"cab_login\" value=\"\" size=\"20\"></td></tr>\n\
         <tr><td>Пароль:</td><td><input type=\"password\" name=\"cab_password\" size=\"20\"></td></tr>\n\
         </table>\n\
         <input type=\"submit\" name=\"cab_user_login\" value=\"Войти в кабинет\">\n\
         </form>\n"
    );
    document("Вход", &b, Dress::default())
}

fn tree_classes(change: Option<StructureChange>) -> [&'static str; 2] {
    if change == Some(StructureChange::TreeClassesChanged) {
        ["tree-folder tree-node-folder", "tree-user tree-node-user"]
    } else {
        [
            "tree_folder_closed tree_node_folder",
            "tree_user tree_node_user",
        ]
    }
}

/// The root: folders, then staff accounts and servers.
pub(crate) fn root_page(ledger: &Ledger, change: Option<StructureChange>) -> String {
    let [folder_class, _] = tree_classes(change);
    let mut b = String::with_capacity(200 + 120 * ledger.folders.len());
    b.push_str("<h2>Абоненты</h2>\n<div class=\"tree\">\n");
    for (i, f) in ledger.folders.iter().enumerate() {
        let href = format!("/cabinet/userinfo/{}", f.id);
        let link = match i % 3 {
            0 => format!("<a class=\"\" href=\"{href}\">"),
            1 => format!("<a href=\"{href}\" class=\"\">"),
            _ => format!("<a class=\"\" href=\"{href}\" title=\"Открыть папку\">"),
        };
        let _ = writeln!(
            b,
            "<div class=\"{folder_class}\">{link}{}</a></div>",
            esc(&f.name)
        );
    }
    for s in &ledger.staff {
        staff_line(&mut b, s);
    }
    b.push_str("</div>\n");
    document("Абоненты", &b, Dress::default())
}

fn staff_line(b: &mut String, s: &Staff) {
    let _ = writeln!(
        b,
        "<div class=\"{}\"><a class=\"\" href=\"/cabinet/userinfo/{}\">{}</a></div>",
        s.class, s.id, s.text
    );
}

/// One folder's subscribers, `display name <login>` each.
pub(crate) fn folder_page(ledger: &Ledger, f: usize, change: Option<StructureChange>) -> String {
    let [_, user_class] = tree_classes(change);
    let folder = &ledger.folders[f];
    let mut b = String::with_capacity(300 + 150 * folder.members.len());
    let _ = write!(
        b,
        "<div class=\"path\"><a href=\"/cabinet/userinfo\">Все абоненты</a> / {}</div>\n\
         <h2>{}</h2>\n<div class=\"tree\">\n",
        esc(&folder.name),
        esc(&folder.name)
    );
    for r in folder.members.iter().filter_map(|&i| ledger.record(i)) {
        user_line(&mut b, r, user_class);
    }
    if folder.members.is_empty() {
        b.push_str("<p class=\"empty\">Папка пуста</p>\n");
    }
    b.push_str("</div>\n");
    document(&esc(&folder.name), &b, Dress::of(u64::from(folder.id)))
}

fn user_line(b: &mut String, r: &Record, class: &str) {
    let id = r.id;
    let blocked = matches!(r.status, Status::Blocked(_));
    let h = (u64::from(id).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40) as u32;
    match h % 4 {
        0 | 1 => {
            let _ = write!(b, "<div class=\"{class}\">");
        }
        2 => {
            let _ = write!(b, "<div id=\"node_{id}\" class=\"{class}\">");
        }
        _ => {
            let _ = write!(b, "<div class=\"{class}\" style=\"padding-left:16px\">");
        }
    }
    let style = if blocked { " style=\"color:red\"" } else { "" };
    // Some themes put an icon link to the same card before the name.
    if (h >> 5).is_multiple_of(5) {
        let _ = write!(
            b,
            "<a href=\"/cabinet/userinfo/{id}\"><img src=\"/cabinet/img/user.gif\" alt=\"\"></a> "
        );
    }
    match (h >> 2) % 3 {
        0 => {
            let _ = write!(b, "<a class=\"\" href=\"/cabinet/userinfo/{id}\"{style}>");
        }
        1 => {
            let _ = write!(b, "<a href=\"/cabinet/userinfo/{id}\"{style} class=\"\">");
        }
        _ => {
            let _ = write!(
                b,
                "<a id=\"u{id}\"{style} class=\"\" href=\"/cabinet/userinfo/{id}\">"
            );
        }
    }
    esc_into(b, &display_name(r));
    b.push_str(" &lt;");
    esc_into(b, &r.login);
    b.push_str("&gt;</a></div>\n");
}

/// A staff account's or server's page: no subscriber card.
pub(crate) fn staff_page(s: &Staff) -> String {
    let b = format!(
        "<h2>Учётная запись</h2>\n<table id=\"ideco_admin_info\">\n\
         <tr><td class=\"label\">Имя:</td><td class=\"value\">{}</td></tr>\n</table>\n",
        s.text
    );
    document("Учётная запись", &b, Dress::default())
}

pub(crate) fn not_found_page() -> String {
    document(
        "Ошибка",
        "<div class=\"ideco_error\">Запрошенная страница не найдена</div>\n",
        Dress::default(),
    )
}

/// How one card is dressed, from its subscriber's seed.
struct CardStyle {
    mac: usize,
    label: usize,
    value: usize,
    sep: usize,
    wrap_rows: u32,
    entity_name: bool,
    bold_balance: bool,
    status_wrap: usize,
    split_phones: bool,
    ip_link: bool,
    empty_nbsp: bool,
    addons: [usize; 4],
    n_addons: usize,
    dedicated_at: usize,
    /// Labels in header cells (`<th>`), as older cabinet themes print them.
    th_labels: bool,
}

impl CardStyle {
    fn of(seed: u64) -> CardStyle {
        let mut rng = Rng(seed ^ 0xca2d_57e1);
        let mut addons = [0, 1, 2, 3];
        for a in &mut addons {
            *a = rng.below(names::ADDONS.len());
        }
        let n_addons = 1 + rng.below(4);
        CardStyle {
            mac: rng.below(4),
            label: rng.below(4),
            value: rng.below(4),
            sep: rng.below(3),
            wrap_rows: rng.next() as u32 & 0x2491,
            entity_name: rng.chance(15),
            bold_balance: rng.chance(50),
            status_wrap: rng.below(3),
            split_phones: rng.chance(50),
            ip_link: rng.chance(20),
            empty_nbsp: rng.chance(50),
            addons,
            n_addons,
            dedicated_at: rng.below(n_addons + 1),
            th_labels: rng.chance(20),
        }
    }
}

fn mac_text(mac: &str, notation: usize) -> String {
    let hex: String = mac.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    if hex.len() != 12 {
        return mac.to_string();
    }
    let pairs: Vec<&str> = (0..6).map(|i| &hex[i * 2..i * 2 + 2]).collect();
    match notation {
        0 => pairs.join("-").to_ascii_uppercase(),
        1 => pairs.join(":"),
        2 => format!("{}.{}.{}", &hex[0..4], &hex[4..8], &hex[8..12]),
        _ => pairs.join(":").to_ascii_uppercase(),
    }
}

/// The subscriber's card: `ideco_user_info`, then `ideco_user_addons`.
pub(crate) fn card_page(
    s: &BillingSubscriber,
    folder_name: &str,
    seed: u64,
    change: Option<StructureChange>,
) -> String {
    let st = CardStyle::of(seed);
    let sep = ["&nbsp;", "\u{a0}", " "][st.sep];
    let mut rows: Vec<(&str, String)> = Vec::with_capacity(17);
    rows.push(("ID:", s.id.to_string()));
    rows.push(("Логин:", esc(&s.login)));
    let mut name = esc(&s.full_name);
    if st.entity_name {
        if let Some(c) = name.chars().next().filter(|c| !c.is_ascii()) {
            name = format!("&#{};{}", c as u32, &name[c.len_utf8()..]);
        }
    }
    rows.push(("ФИО:", name));
    if change == Some(StructureChange::CardLoginNotSecond) {
        rows.swap(1, 2);
    }
    rows.push(("Номер договора:", esc(&s.contract_number)));
    rows.push(("Дата договора:", s.contract_date.to_string()));
    rows.push(("Адрес:", esc(&s.address)));
    match s.phones.as_slice() {
        [a, b] if st.split_phones => {
            rows.push(("Телефон:", esc(a)));
            rows.push(("Мобильный телефон:", esc(b)));
        }
        phones => rows.push((
            "Телефон:",
            phones.iter().map(|p| esc(p)).collect::<Vec<_>>().join(", "),
        )),
    }
    let empty = if st.empty_nbsp { "&nbsp;" } else { "" };
    rows.push((
        "E-mail:",
        s.email
            .as_deref()
            .map(esc)
            .unwrap_or_else(|| empty.to_string()),
    ));
    let balance = rubles(s.balance_kopecks, sep);
    let balance = match (s.balance_kopecks < 0, st.bold_balance) {
        (true, _) => format!("<span style=\"color:red\">{balance}</span>"),
        (false, true) => format!("<b>{balance}</b>"),
        _ => balance,
    };
    rows.push(("Баланс:", balance));
    rows.push(("Кредит:", rubles(s.credit_kopecks, sep)));
    rows.push(("Тариф:", esc(&s.tariff)));
    let status = esc(&s.status_text);
    let status = match (s.status, st.status_wrap) {
        (Status::Active, 0) => format!("<span style=\"color:green\">{status}</span>"),
        (Status::Active, _) => status,
        (Status::Blocked(_), 0) => format!("<font color=red>{status}</font>"),
        (Status::Blocked(_), 1) => {
            format!("<span class=\"blocked\" style=\"color:#c00\"><b>{status}</b></span>")
        }
        (Status::Blocked(_), _) => format!("<font color=\"#FF0000\"><b>{status}</b></font>"),
    };
    rows.push(("Статус:", status));
    let ip = s.ip.to_string();
    rows.push((
        "IP адрес:",
        if st.ip_link {
            format!("<a href=\"http://{ip}/\" target=\"_blank\">{ip}</a>")
        } else {
            ip
        },
    ));
    rows.push(("MAC адрес:", mac_text(&s.mac, st.mac)));
    rows.push(("Дата подключения:", s.connected_on.to_string()));

    let table_id = if change == Some(StructureChange::CardTableRenamed) {
        "user_info_table"
    } else {
        "ideco_user_info"
    };
    let mut b = String::with_capacity(3000);
    let _ = write!(
        b,
        "<div class=\"path\"><a href=\"/cabinet/userinfo\">Все абоненты</a> / \
         <a href=\"/cabinet/userinfo/{}\">{}</a></div>\n<h2>Карточка абонента</h2>\n\
         <table id=\"{table_id}\" class=\"info\" cellspacing=\"0\" cellpadding=\"3\">\n",
        s.folder_id,
        esc(folder_name)
    );
    for (n, (label, value)) in rows.iter().enumerate() {
        let label_td = match (st.th_labels, st.label) {
            (true, 0 | 1) => "<th align=\"left\">",
            (true, _) => "<TH ALIGN=left class=label>",
            (false, 0) => "<td class=\"label\">",
            (false, 1) => "<td class=\"label\" width=\"35%\">",
            (false, 2) => "<td width=\"35%\" class=\"label\">",
            (false, _) => "<td class=label>",
        };
        b.push_str("<tr>");
        b.push_str(label_td);
        b.push_str(label);
        b.push_str(if st.th_labels { "</th>" } else { "</td>" });
        match st.value {
            0 => b.push_str("<td class=\"value\">"),
            1 => b.push_str("<td class=value>"),
            2 => b.push_str("<td class=\"value\" style=\"font-weight:normal\">"),
            _ => {
                let _ = write!(b, "<td id=\"val_{n}\" class=\"value\">");
            }
        }
        if st.wrap_rows & (1 << n) != 0 {
            let _ = write!(b, "\n\t\t{value}\n\t");
        } else {
            b.push_str(value);
        }
        b.push_str("</td></tr>\n");
    }
    b.push_str("</table>\n<h3>Дополнительные услуги</h3>\n<table id=\"ideco_user_addons\">\n");
    let mut seen = [false; names::ADDONS.len()];
    for (k, &a) in st.addons[..st.n_addons].iter().enumerate() {
        if s.dedicated_ip && k == st.dedicated_at {
            dedicated_row(&mut b, s);
        }
        if !std::mem::replace(&mut seen[a], true) {
            let (label, value) = names::ADDONS[a];
            let _ = writeln!(b, "<tr><td>{}</td><td>{}</td></tr>", esc(label), esc(value));
        }
    }
    if s.dedicated_ip && st.dedicated_at >= st.n_addons {
        dedicated_row(&mut b, s);
    }
    let _ = write!(
        b,
        "</table>\n<p><a href=\"/cabinet/stat\">Статистика сессий</a></p>\n"
    );
    document("Карточка абонента", &b, Dress::of(seed))
}

/// The one add-on row of another shape: dedicated IP is on.
fn dedicated_row(b: &mut String, s: &BillingSubscriber) {
    let _ = writeln!(
        b,
        "<tr><td colspan=\"2\" class=\"addon_ip\">Выделенный IP-адрес: <b>{}</b></td></tr>",
        s.ip
    );
}

/// A page with the default dress (the stat pages).
pub(crate) fn wrap(title: &str, body: &str) -> String {
    document(title, body, Dress::default())
}
