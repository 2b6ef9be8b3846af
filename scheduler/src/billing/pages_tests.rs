//! The page parsers on real-shaped pages: windows-1251 with CRLF,
//! upper-case tags, entities, attributes in any order, nested tags and
//! stray whitespace inside cells (`scheduler/tests/fixtures/billing/`).

use super::*;
use crate::billing::Blocked;

macro_rules! fixture {
    ($name:literal) => {
        decode(
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/billing/",
                $name
            )),
            None,
        )
    };
}

#[test]
fn pages_decode_from_windows_1251_unless_the_content_type_names_another_charset() {
    let cp = encoding_rs::WINDOWS_1251.encode("Логин").0;
    assert_eq!(decode(&cp, None), "Логин");
    assert_eq!(decode(&cp, Some("text/html")), "Логин");
    assert_eq!(
        decode(&cp, Some("text/html; charset=windows-1251")),
        "Логин"
    );
    assert_eq!(
        decode("Логин".as_bytes(), Some("text/html; charset=\"UTF-8\"")),
        "Логин"
    );
}

#[test]
fn the_login_form_gives_its_hidden_fields_whatever_the_attribute_order_and_case() {
    let page = fixture!("login.html");
    assert!(is_login_form(&page));
    let hidden = login_hidden_fields(&page, "/cabinet/login").unwrap();
    assert_eq!(
        hidden,
        vec![
            (
                "cab_hash".to_string(),
                "5f4dcc3b5aa765d61d8327deb882cf99".to_string()
            ),
            ("cab_random_word".to_string(), "Слово&7".to_string()),
        ]
    );
    assert_eq!(login_error(&page), None);
}

#[test]
fn a_refused_login_gives_the_cabinets_message_with_its_whitespace_collapsed() {
    let page = fixture!("login_refused.html");
    assert_eq!(
        login_error(&page).as_deref(),
        Some("Неверный логин или пароль")
    );
}

#[test]
fn a_login_form_without_its_hidden_fields_is_a_structure_error() {
    let err = login_hidden_fields(
        "<form><input name=cab_login><input type=hidden name=cab_hash value=1></form>",
        "/cabinet/login",
    )
    .unwrap_err();
    assert_eq!(
        err,
        BillingError::structure(
            "/cabinet/login",
            "hidden field cab_random_word in the login form"
        )
    );
}

#[test]
fn the_root_lists_folders_with_entities_decoded_and_leaves_out_staff_and_servers() {
    let page = fixture!("root.html");
    assert!(!is_login_form(&page));
    let folders = parse_root(&page, "/cabinet/userinfo").unwrap();
    let got: Vec<(&str, &str)> = folders
        .iter()
        .map(|f| (f.id.as_str(), f.name.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("123", "Центральный район"),
            ("124", "ЖК \"Солнечный\" & Co"),
            ("125", "Молодёжный мкр."),
        ]
    );
}

#[test]
fn a_root_with_only_staff_accounts_has_no_folders_but_one_without_a_tree_is_a_structure_error() {
    assert_eq!(
        parse_root(&fixture!("root_empty.html"), "/cabinet/userinfo").unwrap(),
        vec![]
    );
    let err = parse_root(&fixture!("card.html"), "/cabinet/userinfo").unwrap_err();
    assert!(matches!(
        &err,
        BillingError::Structure { page, .. } if page == "/cabinet/userinfo"
    ));
}

#[test]
fn a_folder_lists_display_names_and_logins_with_odd_whitespace_and_entities() {
    let entries = parse_folder(&fixture!("folder.html"), "/cabinet/userinfo/123").unwrap();
    let got: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| (e.id.as_str(), e.display.as_str(), e.login.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("12345", "Московская 5 а", "r637_12"),
            ("12346", "Ул. Ленина, 10 \"Б\", кв. 3", "r637_13"),
            ("12347", "Мира 1 & 2 <lenin<1>", "r637_14"),
            ("12348", "Без логина", ""),
        ]
    );
}

#[test]
fn an_empty_folder_that_still_has_the_tree_is_empty_and_a_page_without_it_is_a_structure_error() {
    assert_eq!(
        parse_folder(&fixture!("folder_empty.html"), "/cabinet/userinfo/126").unwrap(),
        vec![]
    );
    let err = parse_folder(
        "<html><body><h1>Internal error</h1></body></html>",
        "/cabinet/userinfo/126",
    )
    .unwrap_err();
    assert_eq!(
        err,
        BillingError::structure("/cabinet/userinfo/126", "subscriber tree (div.tree_user)")
    );
}

#[test]
fn a_card_reads_every_field_through_nested_tags_entities_and_line_breaks() {
    let card = parse_card(&fixture!("card.html"), "/cabinet/userinfo/12345", "12345").unwrap();
    assert_eq!(card.billing_id, "12345");
    assert_eq!(card.login, "r637_12");
    assert_eq!(card.full_name.as_deref(), Some("Иванов Иван Иванович"));
    assert_eq!(card.contract.as_deref(), Some("Д-17/М"));
    assert_eq!(card.contract_date.as_deref(), Some("12.03.2019"));
    assert_eq!(
        card.address.as_deref(),
        Some("Московская 5 а, кв. 7 & офис")
    );
    assert_eq!(
        card.phones,
        vec![
            "+7 900 000-00-01",
            "8 (4852) 11-22-33",
            "+7 911 111-11-11",
            "+7 922 222-22-22"
        ]
    );
    assert_eq!(card.email.as_deref(), Some("ivanov@example.ru"));
    assert_eq!(card.balance, Some(-1234.56));
    assert_eq!(card.credit, Some(500.0));
    assert_eq!(card.tariff.as_deref(), Some("\"Домашний 100\""));
    assert_eq!(card.status, "Пользователь отключён");
    assert_eq!(card.blocked, Some(Blocked::Disabled));
    assert_eq!(card.ip.as_deref(), Some("10.20.30.40"));
    assert_eq!(card.mac.as_deref(), Some("00:1a:2b:3c:4d:5e"));
    assert_eq!(card.connected.as_deref(), Some("01.04.2019"));
    assert!(card.dedicated_ip, "a three-cell addon row");
    assert_eq!(card.fields["Примечание"], "ключ у соседа");
    assert_eq!(card.fields["Баланс"], "-1 234,56 руб.");
    assert_eq!(card.fields.len(), 16);
}

#[test]
fn a_card_with_only_two_cell_addons_has_no_dedicated_ip() {
    let card = parse_card(
        &fixture!("card_plain.html"),
        "/cabinet/userinfo/12346",
        "12346",
    )
    .unwrap();
    assert_eq!(card.login, "r637_13");
    assert_eq!(card.full_name.as_deref(), Some("ООО «Ромашка»"));
    assert_eq!(card.balance, Some(10000.0));
    assert_eq!(card.blocked, None);
    assert!(!card.dedicated_ip);
    assert!(card.phones.is_empty());
}

#[test]
fn a_card_without_the_user_info_table_is_a_structure_error_naming_the_page() {
    let err = parse_card(
        &fixture!("card_redesigned.html"),
        "/cabinet/userinfo/12345",
        "12345",
    )
    .unwrap_err();
    assert_eq!(
        err,
        BillingError::structure("/cabinet/userinfo/12345", "table#ideco_user_info")
    );
}

#[test]
fn statistics_rows_have_seven_cells_and_the_pages_are_linked() {
    let page = parse_stat(&fixture!("stat_page1.html"), "/cabinet/stat").unwrap();
    assert_eq!(
        page.rows,
        vec![
            StatRow {
                date: "01.05.2024".into(),
                interval: "10:00:00 - 11:30:00".into(),
                description: "Сессия PPPoE".into(),
                mb_in: 1024.5,
                mb_out: 12.25,
                sum: 0.0,
                user: "r637_12".into(),
            },
            StatRow {
                date: "02.05.2024".into(),
                interval: "08:00:00 - 09:00:00".into(),
                description: "Абонентская плата".into(),
                mb_in: 0.0,
                mb_out: 0.0,
                sum: -15.5,
                user: "r637_12".into(),
            },
        ]
    );
    assert_eq!(
        page.pages,
        vec![
            (
                "2".to_string(),
                "/cabinet/stat?page=2&module=stat".to_string()
            ),
            (
                "3".to_string(),
                "/cabinet/stat?page=3&module=stat".to_string()
            )
        ]
    );
    assert_eq!(page.current.as_deref(), Some("1"));
}

#[test]
fn a_card_in_old_markup_reads_header_labels_and_leaves_a_nested_tables_rows_to_their_cell() {
    // Upper-case tags, unquoted attributes, CRLF, labels in `th`, a header
    // row of one cell, the phones in a table of their own inside the value
    // cell, and a header row in the addons table.
    let card = parse_card(
        &fixture!("card_old_markup.html"),
        "/cabinet/userinfo/500",
        "500",
    )
    .unwrap();
    assert_eq!(card.login, "kuz_anna");
    assert_eq!(card.full_name.as_deref(), Some("Кузнецова Анна"));
    assert_eq!(card.balance, Some(-15.0));
    assert_eq!(card.status, "Активен");
    assert_eq!(card.blocked, None);
    // The nested rows are the phone cell's text, not rows of the card.
    assert!(!card.fields.contains_key("Домашний"), "{:?}", card.fields);
    assert!(!card.fields.contains_key("Мобильный"), "{:?}", card.fields);
    let phones = &card.fields["Телефон(ы)"];
    assert!(phones.contains("8 (4852) 00-00-01"), "{phones}");
    assert!(phones.contains("+7 900 000-00-02"), "{phones}");
    assert!(
        !card.dedicated_ip,
        "a header row is not an addon of another shape"
    );
    assert_eq!(card.fields.len(), 5, "{:?}", card.fields);
}

#[test]
fn tree_nodes_take_their_named_link_once_and_ignore_toggles_and_script_links() {
    // Each node has an icon link (no text) or a toggle before its name, a
    // node is printed twice (the open folder above its children, then in
    // the tree), one folder's link is absolute, one is a script call.
    let root = r##"<div id="tree">
      <div class="tree_node_folder tree_folder_closed"><a href="javascript:toggle(7)">+</a><a href="/cabinet/userinfo/7"><img src="f.gif"></a> <a href="/cabinet/userinfo/7">Заречный</a></div>
      <div class="tree_node_folder"><a href="#">▸</a><a href="http://billing.local/cabinet/UserInfo/8/?sort=1">Северный</a></div>
      <div class="tree_node_folder"><a href="/cabinet/userinfo/7">Заречный</a></div>
      <div class="tree_node_folder"><a href="/cabinet/folders?open=9">Без id в пути</a></div>
    </div>"##;
    let folders = parse_root(root, "/cabinet/userinfo").unwrap();
    let got: Vec<(&str, &str)> = folders
        .iter()
        .map(|f| (f.id.as_str(), f.name.as_str()))
        .collect();
    assert_eq!(got, vec![("7", "Заречный"), ("8", "Северный")]);

    let folder = r##"<div id="tree">
      <div class="tree_node_folder tree_folder_open"><a href="/cabinet/userinfo/7">Заречный</a>
        <div class="tree_user tree_node_user"><a href="/cabinet/userinfo/70"><img src="u.gif"></a><a href="/cabinet/userinfo/70">Мира 1 &lt;z70&gt;</a></div>
        <div class="tree_user tree_node_user"><a href="/cabinet/userinfo/71">Мира 2 &lt;z71&gt;</a></div>
      </div>
      <div class="tree_user tree_node_user"><a href="/cabinet/userinfo/71">Мира 2 &lt;z71&gt;</a></div>
    </div>"##;
    let entries = parse_folder(folder, "/cabinet/userinfo/7").unwrap();
    let got: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| (e.id.as_str(), e.display.as_str(), e.login.as_str()))
        .collect();
    assert_eq!(got, vec![("70", "Мира 1", "z70"), ("71", "Мира 2", "z71")]);
}
