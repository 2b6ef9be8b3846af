//! The UI text catalog (en, ru). Every visible string goes through [`t`].

use std::collections::HashMap;
use std::sync::OnceLock;

pub use ispmon_events::values::Locale;

/// (key, English, Russian)
const CATALOG: &[(&str, &str, &str)] = &[
    ("app.name", "ispmon", "ispmon"),
    ("nav.home", "Home", "Главная"),
    ("nav.users", "Users", "Пользователи"),
    ("nav.sessions", "Users online", "Пользователи онлайн"),
    ("nav.audit", "Change log", "Журнал изменений"),
    ("nav.state", "State as of", "Состояние на момент"),
    ("nav.account", "My account", "Мой профиль"),
    ("nav.logout", "Log out", "Выйти"),
    ("login.title", "Log in", "Вход"),
    ("login.login", "Login", "Логин"),
    ("login.password", "Password", "Пароль"),
    ("login.submit", "Log in", "Войти"),
    (
        "login.failed",
        "Wrong login or password.",
        "Неверный логин или пароль.",
    ),
    (
        "login.throttled",
        "Too many failed attempts. Try again later.",
        "Слишком много неудачных попыток. Попробуйте позже.",
    ),
    ("home.title", "Home", "Главная"),
    ("home.welcome", "Welcome", "Добро пожаловать"),
    ("home.online", "Users online", "Пользователи онлайн"),
    ("home.users", "Users", "Пользователи"),
    ("home.events", "Events in the log", "Событий в журнале"),
    ("home.recent", "Recent changes", "Последние изменения"),
    ("users.title", "Users", "Пользователи"),
    ("users.new", "New user", "Новый пользователь"),
    ("users.create", "Create", "Создать"),
    ("users.login", "Login", "Логин"),
    ("users.role", "Role", "Роль"),
    ("users.locale", "Language", "Язык"),
    ("users.state", "State", "Состояние"),
    ("users.active", "active", "активен"),
    ("users.disabled", "disabled", "отключён"),
    ("users.created", "Created", "Создан"),
    ("users.last_login", "Last login", "Последний вход"),
    ("users.never", "never", "никогда"),
    ("users.search", "Search by login", "Поиск по логину"),
    ("users.empty", "No users match.", "Пользователи не найдены."),
    ("users.created_ok", "User created.", "Пользователь создан."),
    ("users.edit", "Edit user", "Редактирование пользователя"),
    ("users.change_role", "Change role", "Сменить роль"),
    ("users.disable", "Disable", "Отключить"),
    ("users.enable", "Enable", "Включить"),
    ("users.reset_password", "Reset password", "Сбросить пароль"),
    ("users.new_password", "New password", "Новый пароль"),
    (
        "users.history",
        "History of this user",
        "История пользователя",
    ),
    ("users.saved", "Saved.", "Сохранено."),
    ("sessions.title", "Users online", "Пользователи онлайн"),
    ("sessions.ip", "IP", "IP"),
    ("sessions.since", "Logged in", "Вошёл"),
    ("sessions.last_seen", "Last seen", "Последняя активность"),
    ("sessions.expires", "Expires", "Истекает"),
    ("sessions.revoke", "Log out", "Завершить"),
    ("sessions.empty", "Nobody is online.", "Никого нет онлайн."),
    ("sessions.you", "this session", "эта сессия"),
    ("account.title", "My account", "Мой профиль"),
    ("account.language", "Language", "Язык"),
    ("account.save", "Save", "Сохранить"),
    ("account.password", "Change password", "Смена пароля"),
    (
        "account.current_password",
        "Current password",
        "Текущий пароль",
    ),
    ("account.new_password", "New password", "Новый пароль"),
    (
        "account.wrong_password",
        "The current password is wrong.",
        "Текущий пароль неверен.",
    ),
    ("account.tokens", "API tokens", "API-токены"),
    ("account.token_name", "Token name", "Название токена"),
    ("account.token_create", "Create token", "Создать токен"),
    (
        "account.token_shown_once",
        "Copy this token now; it is not shown again:",
        "Скопируйте токен сейчас, он больше не будет показан:",
    ),
    ("account.token_revoke", "Revoke", "Отозвать"),
    ("account.token_revoked", "revoked", "отозван"),
    ("account.no_tokens", "No tokens yet.", "Токенов пока нет."),
    ("audit.title", "Change log", "Журнал изменений"),
    ("audit.when", "When", "Когда"),
    ("audit.who", "Who", "Кто"),
    ("audit.what", "What", "Что"),
    ("audit.entity", "Entity", "Объект"),
    ("audit.payload", "Details", "Подробности"),
    ("audit.actor", "Actor", "Автор"),
    ("audit.aggregate_type", "Entity type", "Тип объекта"),
    ("audit.aggregate_id", "Entity id", "Id объекта"),
    ("audit.event_type", "Event", "Событие"),
    ("audit.from", "From", "С"),
    ("audit.to", "To", "По"),
    ("audit.filter", "Filter", "Фильтр"),
    ("audit.any", "any", "любой"),
    ("audit.older", "Older", "Раньше"),
    ("audit.newest", "Newest", "Новые"),
    ("audit.empty", "No events match.", "Событий не найдено."),
    ("audit.timeline", "Timeline", "История"),
    ("audit.changes", "Changes", "Изменения"),
    ("audit.field", "Field", "Поле"),
    ("audit.before", "Before", "Было"),
    ("audit.after", "After", "Стало"),
    (
        "audit.state_as_of",
        "State as of a moment",
        "Состояние на момент",
    ),
    ("audit.at", "At (UTC)", "Момент (UTC)"),
    ("audit.show", "Show", "Показать"),
    (
        "audit.no_state",
        "The entity did not exist at that moment.",
        "На тот момент объекта не было.",
    ),
    (
        "audit.events_until",
        "events up to that moment",
        "событий до этого момента",
    ),
    ("audit.source", "Source", "Источник"),
    ("role.admin", "admin", "администратор"),
    ("role.noc", "operator (NOC)", "оператор (NOC)"),
    ("role.technician", "technician", "техник"),
    ("role.installer", "installer", "монтажник"),
    ("role.auditor", "auditor", "аудитор"),
    (
        "common.utc",
        "All times are UTC.",
        "Всё время указано в UTC.",
    ),
    ("nav.icmp", "ICMP", "ICMP"),
    ("nav.search", "Search Port", "Поиск порта"),
    ("search.title", "Search Port", "Поиск порта"),
    ("nav.subscribers", "Subscribers", "Абоненты"),
    ("subs.title", "Subscribers", "Абоненты"),
    ("subs.hint", "Address, login, name, contract, phone, IP or MAC", "Адрес, логин, ФИО, договор, телефон, IP или MAC"),
    ("subs.status", "Status", "Статус"),
    ("subs.any", "Any status", "Любой статус"),
    ("subs.active", "Active", "Активен"),
    ("subs.blocked", "Blocked", "Заблокирован"),
    ("subs.left", "Left billing", "Удалён из биллинга"),
    ("subs.none", "No subscribers yet: set up the billing (Admin → Billing) or import a file.", "Абонентов пока нет: настройте биллинг (Админ → Биллинг) или импортируйте файл."),
    ("subs.nothing", "No subscriber matches this search.", "Никто не найден по этому запросу."),
    ("subs.display", "Name / address", "Имя / адрес"),
    ("subs.login", "Login", "Логин"),
    ("subs.full_name", "Full name", "ФИО"),
    ("subs.folder", "Folder", "Папка"),
    ("subs.balance", "Balance", "Баланс"),
    ("subs.folders", "Folders", "Папки"),
    ("subs.no_folders", "No folders yet.", "Папок пока нет."),
    ("subs.all", "All subscribers", "Все абоненты"),
    ("subs.contract", "Contract", "Договор"),
    ("subs.contract_date", "Contract date", "Дата договора"),
    ("subs.address", "Address", "Адрес"),
    ("subs.phones", "Phones", "Телефоны"),
    ("subs.tariff", "Tariff", "Тариф"),
    ("subs.connected", "Connected", "Дата подключения"),
    ("subs.dedicated_ip", "Dedicated IP", "Выделенный IP"),
    ("subs.left_notice", "This subscriber is no longer in billing (kept here with their history).", "Этого абонента больше нет в биллинге (он сохранён здесь вместе с историей)."),
    ("subs.open_search", "Open in Search Port", "Открыть в поиске порта"),
    ("subs.audit", "Change history", "История изменений"),
    ("subs.billing", "Billing", "Биллинг"),
    ("subs.credit", "credit", "кредит"),
    ("subs.as_of", "as of", "на"),
    ("subs.online", "Online now", "Сейчас в сети"),
    ("subs.no_session", "No PPPoE session seen for this login.", "Сессий PPPoE для этого логина не видно."),
    ("subs.port", "Switch port", "Порт коммутатора"),
    ("subs.no_mac", "Neither billing nor the NAS gives a MAC for this subscriber.", "Ни биллинг, ни NAS не дают MAC этого абонента."),
    ("subs.stats", "Session statistics (from billing)", "Статистика сессий (из биллинга)"),
    ("subs.from", "From", "С"),
    ("subs.to", "To", "По"),
    ("subs.show_stats", "Show", "Показать"),
    ("subs.loading", "Loading from billing…", "Загрузка из биллинга…"),
    ("subs.notes", "Notes and tags", "Заметки и метки"),
    ("subs.no_notes", "No notes yet.", "Заметок пока нет."),
    ("subs.note", "A note for colleagues", "Заметка для коллег"),
    ("subs.add_note", "Add note", "Добавить заметку"),
    ("subs.tags", "Tags", "Метки"),
    ("subs.timeline", "Timeline", "История"),
    ("nav.billing", "Billing", "Биллинг"),
    ("billing.title", "Billing", "Биллинг"),
    ("billing.hint", "ispmon reads subscribers from the billing's staff cabinet with this service account. The password is kept sealed and never shown.", "ispmon читает абонентов из кабинета биллинга под этой служебной учётной записью. Пароль хранится зашифрованным и никогда не показывается."),
    ("billing.url", "Cabinet URL", "Адрес кабинета"),
    ("billing.login", "Service login", "Служебный логин"),
    ("billing.password", "Password", "Пароль"),
    ("billing.password_set", "set (leave empty to keep)", "задан (оставьте пустым, чтобы не менять)"),
    ("billing.schedule", "Sync every (min)", "Синхронизация каждые (мин)"),
    ("billing.concurrency", "Requests at once", "Запросов одновременно"),
    ("billing.changed", "Changed", "Изменено"),
    ("billing.saved", "Billing settings saved.", "Настройки биллинга сохранены."),
    ("billing.test", "Test connection", "Проверить подключение"),
    ("billing.sync_now", "Sync now", "Синхронизировать сейчас"),
    ("billing.working", "Working…", "Выполняется…"),
    ("billing.syncs", "Last syncs", "Последние синхронизации"),
    ("billing.no_syncs", "No sync has run yet.", "Синхронизаций ещё не было."),
    ("billing.started", "Started", "Начало"),
    ("billing.outcome", "Outcome", "Итог"),
    ("billing.fetched", "Cards", "Карточек"),
    ("billing.new", "New", "Новых"),
    ("billing.changed_n", "Changed", "Изменено"),
    ("billing.left", "Left", "Ушли"),
    ("billing.failed", "Failed pages", "Ошибок"),
    ("subs.no_stats", "No sessions in this period.", "Сессий за этот период нет."),
    ("subs.stat_date", "Date", "Дата"),
    ("subs.stat_interval", "Interval", "Интервал"),
    ("subs.stat_what", "Description", "Описание"),
    ("subs.stat_sum", "Sum", "Сумма"),
    ("search.hint", "Login, MAC, IP, address, name or device", "Логин, MAC, IP, адрес, ФИО или устройство"),
    ("search.go", "Search", "Найти"),
    ("search.empty", "Type what you have: a MAC in any notation (or paste a log line with it), an IP address or a device name.", "Введите что известно: MAC в любой записи (или строку лога с ним), IP-адрес или имя устройства."),
    ("search.nothing", "Nothing found.", "Ничего не найдено."),
    ("search.devices", "Devices", "Устройства"),
    ("search.switch", "Switch", "Коммутатор"),
    ("search.port", "Port", "Порт"),
    ("search.since", "Since", "С"),
    ("search.on_port", "On the port", "На порту"),
    ("search.only_mac", "the only MAC", "единственный MAC"),
    ("search.shared_with", "shared with", "вместе с"),
    ("search.recheck", "Re-check live", "Проверить сейчас"),
    ("search.open_switch", "Open the switch", "Открыть коммутатор"),
    ("search.icmp_host", "Its ICMP host", "Его ICMP-узел"),
    ("search.no_edge", "This MAC is on no access port now (never seen, left, or seen through uplinks only).", "Этот MAC сейчас не на абонентском порту (не виден, ушёл или виден только через аплинки)."),
    ("search.also_seen", "Also seen through", "Виден также через"),
    ("search.uplink", "uplink", "аплинк"),
    ("search.last_seen", "last seen", "последний раз"),
    ("search.history", "Where it was", "Где был"),
    ("search.left", "left its port", "ушёл с порта"),
    ("search.recheck_gone", "The switch does not list this MAC now.", "Коммутатор сейчас не видит этот MAC."),
    ("fdb.title", "MAC table", "Таблица MAC"),
    ("fdb.nas_title", "PPPoE sessions", "PPPoE-сессии"),
    ("fdb.collect_now", "Collect now", "Собрать сейчас"),
    ("fdb.poll_now", "Poll now", "Опросить сейчас"),
    ("fdb.never", "Not collected yet.", "Ещё не собиралась."),
    ("fdb.when", "When", "Когда"),
    ("fdb.outcome", "Outcome", "Результат"),
    ("fdb.rows", "Rows", "Строк"),
    ("fdb.moved", "Moved", "Переехало"),
    ("fdb.rebound", "Rebound", "Сменили MAC/IP"),
    ("fdb.ok", "ok", "успешно"),
    ("fdb.failed", "failed", "ошибка"),
    ("fdb.busy", "already running", "уже идёт"),
    ("fdb.ports", "Ports", "Порты"),
    ("fdb.at_edge", "At the edge", "Абонентских"),
    ("fdb.uplink", "Uplink because", "Аплинк, потому что"),
    ("fdb.mark", "Admin's mark", "Отметка админа"),
    ("uplink.marked", "marked uplink by an admin", "отмечен аплинком администратором"),
    ("uplink.in_config", "in config", "в конфигурации"),
    ("uplink.seen_here", "seen here", "виден здесь"),
    ("uplink.macs_over", "MACs, more than", "MAC, больше"),
    ("search.at_label", "Where was it at (UTC)", "Где был в момент (UTC)"),
    ("search.at_go", "Show", "Показать"),
    ("search.at_title", "At", "В момент"),
    ("search.at_nowhere", "At no access port then (not seen yet, or it had left).", "Тогда не был ни на одном абонентском порту (ещё не виден или ушёл)."),
    ("search.at_ip", "Who had", "У кого был"),
    ("search.still_online", "still online", "ещё в сети"),
    ("search.at_nobody", "No session had this IP then.", "Тогда этот IP не был ни у одной сессии."),
    ("search.session", "Session", "Сессия"),
    ("search.online_since", "online since", "в сети с"),
    ("search.offline", "offline", "не в сети"),
    ("search.no_mac", "The NAS shows no MAC for this login.", "NAS не показывает MAC этого логина."),
    ("search.recheck_there", "The switch lists it now on", "Коммутатор видит его сейчас на"),
    ("nav.icmp_settings", "ICMP settings", "Настройки ICMP"),
    ("nav.search_settings", "Search Port settings", "Настройки поиска порта"),
    ("fdb_settings.title", "Search Port settings", "Настройки поиска порта"),
    ("fdb_settings.fdb_interval", "Read each switch's MAC table every", "Снимать таблицу MAC каждого коммутатора раз в"),
    ("fdb_settings.miss_limit", "A MAC leaves its port after this many collections without it", "MAC уходит с порта после стольких сборов без него"),
    ("fdb_settings.uplink_threshold", "A port with more MACs than this is an uplink", "Порт, на котором MAC больше этого, — аплинк"),
    ("fdb_settings.nas_interval", "Poll each NAS's PPPoE sessions every", "Опрашивать PPPoE-сессии каждого NAS раз в"),
    ("fdb_settings.sightings_keep", "Keep a MAC table entry not seen again for", "Хранить запись таблицы MAC, которая больше не видна,"),
    ("fdb_settings.hint", "Changes apply from the next collection or poll. PPPoE sessions are kept 400 days.", "Изменения действуют со следующего сбора или опроса. PPPoE-сессии хранятся 400 дней."),
    ("fdb_settings.changed", "Last changed", "Последнее изменение"),
    ("fdb_settings.defaults", "The defaults are in force (never changed).", "Действуют значения по умолчанию (ещё не менялись)."),
    ("fdb_settings.unchanged", "Nothing changed.", "Ничего не изменилось."),
    ("unit.min", "min", "мин"),
    ("unit.s", "s", "с"),
    ("unit.days", "days", "дней"),
    ("unit.macs", "MACs", "MAC"),
    ("icmp.title", "ICMP monitoring", "ICMP-мониторинг"),
    ("icmp.all", "All", "Все"),
    ("icmp.no_folder", "No folder", "Без папки"),
    ("icmp.empty", "No hosts here.", "Здесь нет узлов."),
    ("icmp.state", "State", "Состояние"),
    ("icmp.state.up", "up", "доступен"),
    ("icmp.state.degraded", "degraded", "деградация"),
    ("icmp.state.down", "down", "недоступен"),
    ("icmp.state.unreachable", "unreachable", "за недоступным"),
    ("icmp.state.paused", "paused", "пауза"),
    ("icmp.state.pending", "pending", "ожидает"),
    ("icmp.name", "Name", "Имя"),
    ("icmp.since", "Since", "С"),
    ("icmp.rtt", "RTT", "RTT"),
    ("icmp.loss", "Loss", "Потери"),
    ("icmp.ack", "Acknowledged", "Подтверждено"),
    ("icmp.add_host", "Add host", "Добавить узел"),
    ("icmp.edit_host", "Edit host", "Изменить узел"),
    ("icmp.folder", "Folder", "Папка"),
    ("icmp.folders", "Folders", "Папки"),
    ("icmp.folder_name", "Folder name", "Имя папки"),
    ("icmp.parent", "Parent host", "Родительский узел"),
    (
        "icmp.parent_hint",
        "IP of the parent host",
        "IP родительского узла",
    ),
    ("icmp.tags", "Tags", "Метки"),
    ("icmp.notes", "Notes", "Заметки"),
    ("icmp.rename", "Rename", "Переименовать"),
    ("icmp.delete", "Delete", "Удалить"),
    (
        "icmp.delete_move",
        "move its hosts to no folder",
        "перенести узлы в «Без папки»",
    ),
    (
        "icmp.delete_hosts",
        "delete its hosts too",
        "удалить и узлы",
    ),
    ("icmp.delete_host", "Delete this host", "Удалить узел"),
    ("icmp.acknowledge", "Acknowledge", "Подтвердить"),
    ("icmp.ack_comment", "Comment", "Комментарий"),
    ("icmp.pause", "Pause", "Пауза"),
    ("icmp.resume", "Resume", "Возобновить"),
    ("icmp.maintenance", "Maintenance", "Обслуживание"),
    ("icmp.reason", "Reason", "Причина"),
    ("icmp.schedule", "Schedule", "Запланировать"),
    ("icmp.history", "State history", "История состояний"),
    (
        "icmp.no_history",
        "No state changes yet.",
        "Изменений состояния пока нет.",
    ),
    ("icmp.down_hosts", "Down hosts", "Недоступные узлы"),
    ("icmp.all_up", "All hosts answer.", "Все узлы отвечают."),
    ("icmp.settings", "ICMP settings", "Настройки ICMP"),
    ("icmp.check_all", "Check all", "Проверить все"),
    ("icmp.import", "Import hosts (CSV)", "Импорт узлов (CSV)"),
    ("icmp.import_hint", "Paste CSV with the header", "Вставьте CSV с заголовком"),
    ("icmp.preview", "Preview", "Проверить"),
    ("icmp.apply", "Apply", "Применить"),
    ("icmp.apply_good", "Apply only the good rows", "Применить только верные строки"),
    ("icmp.imported", "hosts imported.", "узлов импортировано."),
    ("icmp.export", "Export CSV", "Экспорт CSV"),
    ("icmp.graph", "Latency and loss", "Задержка и потери"),
    ("icmp.no_samples", "No samples in this range yet.", "В этом интервале измерений пока нет."),
    ("icmp.check_down", "Check down hosts", "Проверить недоступные"),
    ("icmp.check_now", "Check now", "Проверить сейчас"),
    ("icmp.problems", "problems", "проблемы"),
    ("icmp.folder_any", "All folders", "Все папки"),
    ("icmp.state_any", "Any state", "Любое состояние"),
    ("icmp.search_hint", "Name or address", "Имя или адрес"),
    ("icmp.per_page", "Rows per page", "Строк на странице"),
    ("icmp.per_page_unit", "per page", "на странице"),
    ("icmp.show", "Show", "Показать"),
    ("icmp.showing", "Showing", "Показаны"),
    ("icmp.of", "of", "из"),
    ("icmp.no_match", "No hosts match these filters.", "Нет узлов, подходящих под фильтры."),
    ("icmp.clear_filters", "Show all hosts", "Показать все узлы"),
    (
        "icmp.changes_off_screen",
        "hosts changed state outside this page.",
        "узлов сменили состояние вне этой страницы.",
    ),
    ("icmp.refresh", "Refresh", "Обновить"),
    ("icmp.down_more", "All of them on the board", "Все на панели"),
    ("nav.notifications", "Notifications", "Уведомления"),
    ("notify.title", "Notifications", "Уведомления"),
    ("notify.webhook", "Webhook", "Вебхук"),
    (
        "notify.webhook_hint",
        "A JSON POST for every host state change. The URL is stored sealed, like a password (hooks often carry their key in it); only its host is shown.",
        "JSON POST при каждой смене состояния хоста. URL хранится зашифрованным, как пароль (в нём часто ключ вебхука); показывается только хост.",
    ),
    (
        "notify.webhook_set",
        "is set; leave empty to keep it",
        "задан; оставьте пустым, чтобы не менять",
    ),
    ("notify.webhook_clear", "Remove the webhook", "Удалить вебхук"),
    ("notify.webhook_url", "Webhook URL", "URL вебхука"),
    (
        "notify.telegram_hint",
        "Messages through the Telegram Bot API; both a bot token and a chat id are needed.",
        "Сообщения через Telegram Bot API; нужны и токен бота, и ID чата.",
    ),
    ("notify.token", "Bot token", "Токен бота"),
    (
        "notify.token_set",
        "is set; leave empty to keep it",
        "задан; оставьте пустым, чтобы не менять",
    ),
    ("notify.token_clear", "Remove the bot token", "Удалить токен бота"),
    ("notify.chat_id", "Chat id", "ID чата"),
    ("notify.api_base", "Bot API base URL", "Базовый URL Bot API"),
    ("notify.save", "Save", "Сохранить"),
    ("notify.saved", "Saved.", "Сохранено."),
    ("notify.changed", "Last changed", "Последнее изменение"),
    (
        "notify.policy",
        "Not sent: changes inside a host's maintenance window, and children of a down parent. Failed deliveries are retried after 1 s, 2 s, 4 s … up to 10 min, 10 attempts in all.",
        "Не отправляются: изменения во время окна обслуживания хоста и дочерние хосты недоступного родителя. Неудачные отправки повторяются через 1 с, 2 с, 4 с … до 10 мин, всего 10 попыток.",
    ),
    ("notify.deliveries", "Recent notifications", "Последние уведомления"),
    ("notify.failures", "Recent failed attempts", "Последние неудачные попытки"),
    ("notify.none", "Nothing yet.", "Пока ничего."),
    ("notify.at", "Time", "Время"),
    ("notify.event", "Event", "Событие"),
    ("notify.host", "Host", "Хост"),
    ("notify.channel", "Channel", "Канал"),
    ("notify.status", "Status", "Статус"),
    ("notify.attempts", "Attempts", "Попыток"),
    ("notify.attempt", "Attempt", "Попытка"),
    ("notify.note", "Note", "Примечание"),
    ("notify.error", "Error", "Ошибка"),
    ("notify.next_attempt", "next attempt", "следующая попытка"),
    ("notify.status.sent", "sent", "отправлено"),
    ("notify.status.pending", "waiting", "ожидает"),
    ("notify.status.sending", "sending", "отправляется"),
    ("notify.status.failed", "failed", "не доставлено"),
    ("notify.status.skipped", "skipped", "пропущено"),
    ("notify.status.dropped", "dropped", "отменено"),
    ("common.total", "Total", "Всего"),
    ("common.page", "Page", "Страница"),
    ("common.prev", "Previous", "Назад"),
    ("common.next", "Next", "Вперёд"),
    ("common.yes", "yes", "да"),
    ("common.no", "no", "нет"),
    ("common.error", "Error", "Ошибка"),
    (
        "common.conflict",
        "Someone changed this at the same time — reload and try again.",
        "Кто-то изменил это одновременно с вами — обновите страницу и повторите.",
    ),
    ("common.delete", "Delete", "Удалить"),
    ("common.search", "Search", "Найти"),
    ("common.save", "Save", "Сохранить"),
    ("nav.devices", "Devices", "Устройства"),
    ("nav.firmware", "Firmware", "Прошивки"),
    ("configs.change", "Change", "Изменения"),
    ("configs.compare", "Compare A → B", "Сравнить A → B"),
    ("configs.devices_match", "devices match", "устройств найдено"),
    ("configs.diff_previous", "Diff with the previous version", "Сравнить с предыдущей версией"),
    ("configs.download", "Download", "Скачать"),
    ("configs.download_diff", "Download as unified diff", "Скачать как unified diff"),
    ("configs.lines", "lines", "строк"),
    ("configs.no_hits", "No stored config contains this text.", "Ни одна сохранённая конфигурация не содержит этот текст."),
    ("configs.none", "No config stored yet. Pull it now or wait for the schedule.", "Конфигурация ещё не сохранена. Снимите её сейчас или дождитесь расписания."),
    ("configs.same", "The two versions are the same.", "Версии совпадают."),
    ("configs.search", "Search configs", "Поиск по конфигурациям"),
    ("configs.size", "Size", "Размер"),
    ("configs.version", "Version", "Версия"),
    ("configs.versions", "Config versions", "Версии конфигурации"),
    ("configs.when", "When", "Когда"),
    ("configs.who", "Who", "Кто"),
    ("devices.accept_key", "Accept the new key", "Принять новый ключ"),
    ("devices.add", "Add device", "Добавить устройство"),
    ("devices.address", "Address", "Адрес"),
    ("devices.busy", "A pull of this device is already running", "Снятие конфигурации этого устройства уже идёт"),
    ("devices.clear_enable", "Remove the enable password", "Удалить пароль enable"),
    ("devices.dialect", "Dialect", "Диалект"),
    ("devices.edit", "Edit", "Изменить"),
    ("devices.empty", "No devices yet.", "Устройств пока нет."),
    ("devices.enable_password", "Enable password", "Пароль enable"),
    ("devices.failed", "Failed", "Ошибка"),
    ("devices.history", "History of changes", "История изменений"),
    ("devices.host", "ICMP host id", "ID узла ICMP"),
    ("devices.host_hint", "optional", "необязательно"),
    ("devices.mgmt_mac", "Management MAC", "MAC управления"),
    ("devices.fdb_interval", "MAC table every (min, switches)", "Таблица MAC раз в (мин, коммутаторы)"),
    ("devices.fdb_interval_hint", "empty: the Search Port setting", "пусто — по настройкам поиска порта"),
    ("devices.fdb_interval_inherited", "the Search Port setting", "по настройкам поиска порта"),
    ("devices.mgmt_mac_hint", "aa:bb:cc:dd:ee:ff, any notation; optional", "aa:bb:cc:dd:ee:ff, в любой записи; необязательно"),
    ("devices.host_key", "SSH host key", "SSH-ключ узла"),
    ("devices.host_key_changed", "The device presented a different SSH host key; pulls are refused until an admin accepts it:", "Устройство предъявило другой SSH-ключ; снятие конфигурации запрещено, пока администратор его не примет:"),
    ("devices.icmp_host", "on the ICMP board", "на доске ICMP"),
    ("devices.import", "Import CSV", "Импорт CSV"),
    ("devices.import_hint", "One device per line, with a header. Columns:", "Одно устройство в строке, с заголовком. Столбцы:"),
    ("devices.imported", "devices added", "устройств добавлено"),
    ("devices.inherited", "(default)", "(по умолчанию)"),
    ("devices.keep_password", "leave blank to keep", "оставьте пустым, чтобы не менять"),
    ("devices.last_pull", "Last pull", "Последнее снятие"),
    ("devices.last_transcript", "Last session transcript", "Протокол последнего сеанса"),
    ("devices.legacy_ssh", "legacy SSH algorithms", "устаревшие алгоритмы SSH"),
    ("devices.login", "Login", "Логин"),
    ("devices.mask_secrets", "mask secrets in stored configs", "скрывать пароли в сохранённых конфигурациях"),
    ("devices.name", "Name", "Имя"),
    ("devices.never", "never pulled", "ещё не снималась"),
    ("devices.new_version", "New version stored:", "Сохранена новая версия:"),
    ("devices.next_pull", "next", "следующее"),
    ("devices.password", "Password", "Пароль"),
    ("devices.password_changed", "changed", "изменён"),
    ("devices.port", "Port", "Порт"),
    ("devices.pull_all", "Pull configs", "Снять конфигурации"),
    ("devices.pull_now", "Pull config now", "Снять конфигурацию сейчас"),
    ("devices.pulling", "pulling…", "снимается…"),
    ("devices.retire", "Retire", "Вывести из эксплуатации"),
    ("devices.retire_confirm", "Retire this device? Its history stays.", "Вывести устройство из эксплуатации? История сохранится."),
    ("devices.retired", "retired", "выведено"),
    ("devices.roles", "Roles", "Роли"),
    ("devices.schedule", "Pull schedule (cron, UTC)", "Расписание снятия (cron, UTC)"),
    ("devices.schedule_hint", "blank = the default", "пусто = по умолчанию"),
    ("devices.search_hint", "name, address, dialect or tag", "имя, адрес, диалект или метка"),
    ("devices.show_retired", "show retired", "показать выведенные"),
    ("devices.sort", "Sort", "Сортировка"),
    ("devices.tag_optional", "tag (all if blank)", "метка (все, если пусто)"),
    ("devices.tags", "Tags", "Метки"),
    ("devices.test", "Test connection", "Проверить подключение"),
    ("devices.test_failed", "Connection failed", "Подключение не удалось"),
    ("devices.test_ok", "Logged in and read the version.", "Вход выполнен, версия прочитана."),
    ("devices.title", "Devices", "Устройства"),
    ("devices.transcript", "Transcript", "Протокол"),
    ("devices.transport", "Transport", "Транспорт"),
    ("devices.unchanged", "Config unchanged: no new version.", "Конфигурация не изменилась: новой версии нет."),
    ("devices.unchanged_at", "unchanged at", "без изменений в"),
    ("firmware.delete_confirm", "Delete this firmware file?", "Удалить файл прошивки?"),
    ("firmware.empty", "No firmware stored yet.", "Прошивок пока нет."),
    ("firmware.file", "File", "Файл"),
    ("firmware.model", "Model", "Модель"),
    ("firmware.notes", "Notes", "Заметки"),
    ("firmware.size", "Size", "Размер"),
    ("firmware.title", "Firmware", "Прошивки"),
    ("firmware.upload", "Upload firmware", "Загрузить прошивку"),
    ("firmware.uploaded", "Uploaded", "Загружено"),
    ("firmware.vendor", "Vendor", "Производитель"),
    ("firmware.version", "Version", "Версия"),
    ("home.devices", "Devices", "Устройства"),
    ("home.pulls_failing", "Config pulls failing", "Ошибки снятия конфигураций"),
    ("home.config_changes", "Config changes today", "Изменений конфигураций сегодня"),
    ("nav.jobs", "Jobs", "Задания"),
    ("jobs.title", "Scheduler jobs", "Задания планировщика"),
    ("jobs.none", "No jobs are scheduled.", "Заданий нет."),
    ("jobs.name", "Job", "Задание"),
    ("jobs.last_run", "Last run", "Последний запуск"),
    ("jobs.outcome", "Outcome", "Результат"),
    ("jobs.next_run", "Next run", "Следующий запуск"),
    ("jobs.runs", "Runs", "Запусков"),
    ("jobs.failures", "Failures", "Ошибок"),
    ("jobs.running", "running", "выполняется"),
    ("jobs.run_now", "Run now", "Запустить сейчас"),
    ("devices.ssh_key", "SSH private key", "Закрытый SSH-ключ"),
    ("devices.keep_key", "leave blank to keep the stored key", "оставьте пустым, чтобы не менять ключ"),
    ("devices.clear_ssh_key", "Remove the SSH key", "Удалить SSH-ключ"),
];

fn index() -> &'static HashMap<&'static str, (&'static str, &'static str)> {
    static INDEX: OnceLock<HashMap<&'static str, (&'static str, &'static str)>> = OnceLock::new();
    INDEX.get_or_init(|| CATALOG.iter().map(|(k, en, ru)| (*k, (*en, *ru))).collect())
}

/// The text for `key` in `locale`; the key itself when missing (a test
/// checks that every key used by the pages exists).
pub fn t(locale: Locale, key: &'static str) -> &'static str {
    match index().get(key) {
        Some((en, ru)) => match locale {
            Locale::En => en,
            Locale::Ru => ru,
        },
        None => {
            debug_assert!(false, "missing i18n key {key}");
            key
        }
    }
}

/// The display name of a role given by its code (`admin`, `noc`, ...).
pub fn role_name(locale: Locale, code: &str) -> &'static str {
    match code {
        "admin" => t(locale, "role.admin"),
        "noc" => t(locale, "role.noc"),
        "technician" => t(locale, "role.technician"),
        "installer" => t(locale, "role.installer"),
        "auditor" => t(locale, "role.auditor"),
        _ => "?",
    }
}

/// Whether the catalog has `key` (for tests).
pub fn has(key: &str) -> bool {
    index().contains_key(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_translated() {
        let mut seen = std::collections::HashSet::new();
        for (k, en, ru) in CATALOG {
            assert!(seen.insert(k), "duplicate key {k}");
            assert!(!en.is_empty() && !ru.is_empty(), "empty text for {k}");
        }
    }

    /// The keys of every `t(<locale>, "key")` call in `text` (`<locale>` being
    /// `l`, `locale`, `ctx.locale`, ...); other functions ending in `t(` skipped.
    fn keys_used(text: &str) -> Vec<&str> {
        let mut keys = Vec::new();
        for (i, _) in text.match_indices("t(") {
            let before = text[..i].chars().last().unwrap_or(' ');
            if before.is_alphanumeric() || before == '_' || before == '.' {
                continue;
            }
            let rest = &text[i + 2..];
            let locale_end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(rest.len());
            if locale_end == 0 {
                continue;
            }
            if let Some(call) = rest[locale_end..].strip_prefix(", \"") {
                keys.push(call.split('"').next().unwrap_or(""));
            }
        }
        keys
    }

    #[test]
    fn the_key_finder_sees_every_way_the_locale_is_passed() {
        // Written with ' for " so that this source itself holds no such call.
        let text = "(t(l, 'a.one')) x t(ctx.locale, 'a.two') y.t(l, 'no') mut(l, 'no') t(locale, 'a.three')"
            .replace('\'', "\"");
        assert_eq!(keys_used(&text), ["a.one", "a.two", "a.three"]);
    }

    #[test]
    fn every_key_used_in_the_source_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut used = 0;
        let mut missing = Vec::new();
        visit(std::path::Path::new(dir), &mut |text| {
            for key in keys_used(text) {
                used += 1;
                if !has(key) {
                    missing.push(key.to_string());
                }
            }
        });
        assert!(
            used > 300,
            "the pages translate hundreds of texts; only {used} keys found"
        );
        assert!(
            missing.is_empty(),
            "keys missing from the catalog: {missing:?}"
        );
    }

    fn visit(dir: &std::path::Path, f: &mut dyn FnMut(&str)) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                visit(&p, f);
            } else if p.extension().is_some_and(|x| x == "rs") {
                f(&std::fs::read_to_string(&p).unwrap());
            }
        }
    }
}
