//! Static assets embedded in the binary: htmx (pinned, with its licence) and
//! the stylesheet.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// The pinned htmx version; the file name carries it so caches never serve
/// a stale copy after an upgrade.
pub const HTMX: &str = "/static/htmx-2.0.4.min.js";
pub const CSS: &str = "/static/app.css";

const FILES: &[(&str, &str, &str)] = &[
    (
        "htmx-2.0.4.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/htmx-2.0.4.min.js"),
    ),
    (
        "htmx-LICENSE.txt",
        "text/plain; charset=utf-8",
        include_str!("../static/htmx-LICENSE.txt"),
    ),
    (
        "live.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/live.js"),
    ),
    (
        "board.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/board.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../static/app.css"),
    ),
];

pub async fn serve(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, mime, body)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
