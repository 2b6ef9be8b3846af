//! Firmware files: upload (multipart, size-limited, sha256 computed),
//! list, download, delete. The bytes live in the blob store; the events say
//! who stored what.

use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use ispmon_events::firmware::{FirmwareCommand, FirmwareInfo};
use ispmon_projections::devices::{self as device_views, FirmwareRow};
use maud::{html, Markup};

use super::components::{error_box, hidden_csrf, when, FormErrors};
use super::layout::respond;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::t;
use crate::state::AppState;

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1024.0 / 1024.0)
}

fn upload_form(ctx: &Ctx, max: u64, values: &[(&str, String)], errors: &FormErrors) -> Markup {
    let l = ctx.locale;
    let v = |k: &str| {
        values
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    html! {
        form.grid id="firmware-form" method="post" action={ "/firmware?_csrf=" (ctx.csrf) } enctype="multipart/form-data" {
            @if let Some(m) = errors.get("form") { (error_box(m)) }
            label { (t(l, "firmware.file")) " " span.muted.small { "≤ " (mib(max)) } input type="file" name="file" required; (errors.show("file")) }
            label { (t(l, "firmware.vendor")) input type="text" name="vendor" value=(v("vendor")) required maxlength="64"; (errors.show("vendor")) }
            label { (t(l, "firmware.model")) input type="text" name="model" value=(v("model")) required maxlength="64"; (errors.show("model")) }
            label { (t(l, "firmware.version")) input type="text" name="version" value=(v("version")) required maxlength="64"; (errors.show("version")) }
            label { (t(l, "firmware.notes")) textarea name="notes" rows="2" { (v("notes")) } (errors.show("notes")) }
            div { button type="submit" { (t(l, "firmware.upload")) } }
        }
    }
}

fn table(ctx: &Ctx, rows: &[FirmwareRow]) -> Markup {
    let l = ctx.locale;
    html! {
        @if rows.is_empty() {
            p.empty { (t(l, "firmware.empty")) }
        } @else {
            table.data {
                thead { tr {
                    th { (t(l, "firmware.vendor")) } th { (t(l, "firmware.model")) } th { (t(l, "firmware.version")) }
                    th { (t(l, "firmware.file")) } th.num { (t(l, "firmware.size")) } th { "sha256" }
                    th { (t(l, "firmware.uploaded")) } th {}
                } }
                tbody {
                    @for f in rows {
                        tr {
                            td { (f.vendor) } td { (f.model) } td { (f.version) }
                            td { a href={ "/firmware/" (f.firmware_id) "/download" } { (f.filename) }
                                 @if !f.notes.is_empty() { div.small.muted { (f.notes) } } }
                            td.num.nowrap { (mib(f.size)) }
                            td { code.small title=(f.sha256) { (&f.sha256[..16.min(f.sha256.len())]) "…" } }
                            td.small { (when(&f.uploaded_at)) " · " (f.uploaded_by) }
                            td {
                                @if ctx.can_post("/firmware/{id}/delete") {
                                    form.inline method="post" action={ "/firmware/" (f.firmware_id) "/delete" } hx-confirm=(t(l, "firmware.delete_confirm")) {
                                        (hidden_csrf(&ctx.csrf))
                                        button.small.danger type="submit" { (t(l, "common.delete")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn page(
    st: &AppState,
    ctx: &Ctx,
    values: &[(&str, String)],
    errors: &FormErrors,
) -> AppResult<Markup> {
    let l = ctx.locale;
    let rows = st.core.views.read(device_views::firmware_list).await?;
    Ok(html! {
        h1 { (t(l, "firmware.title")) }
        (table(ctx, &rows))
        @if ctx.can_post("/firmware") {
            details.card open[!errors.is_empty()] {
                summary { (t(l, "firmware.upload")) }
                (upload_form(ctx, st.settings.firmware_max_bytes, values, errors))
            }
        }
    })
}

pub async fn list(State(st): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let body = page(&st, &ctx, &[], &FormErrors::default()).await?;
    Ok(respond(&ctx, t(ctx.locale, "firmware.title"), body).into_response())
}

/// The multipart fields of an upload.
#[derive(Default)]
struct Upload {
    filename: String,
    bytes: Vec<u8>,
    vendor: String,
    model: String,
    version: String,
    notes: String,
}

async fn read_upload(mut mp: Multipart, max: u64) -> Result<Upload, (&'static str, String)> {
    let mut u = Upload::default();
    let too_big = || {
        (
            "file",
            format!("the file is larger than the limit of {}", mib(max)),
        )
    };
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
            Err(e) => {
                return Err((
                    "form",
                    format!("the upload could not be read: {}", e.body_text()),
                ))
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            u.filename = field.file_name().unwrap_or_default().to_string();
            let mut field = field;
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        if (u.bytes.len() + chunk.len()) as u64 > max {
                            return Err(too_big());
                        }
                        u.bytes.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
                    Err(e) => {
                        return Err((
                            "file",
                            format!("the file could not be read: {}", e.body_text()),
                        ))
                    }
                }
            }
        } else {
            let text = field.text().await.map_err(|e| ("form", e.body_text()))?;
            match name.as_str() {
                "vendor" => u.vendor = text,
                "model" => u.model = text,
                "version" => u.version = text,
                "notes" => u.notes = text,
                _ => {}
            }
        }
    }
    Ok(u)
}

/// Stores an uploaded file; returns the firmware id or the field error.
pub(crate) async fn store_upload(
    st: &AppState,
    ctx: &Ctx,
    mp: Multipart,
) -> AppResult<Result<String, ((&'static str, String), Vec<(&'static str, String)>)>> {
    let max = st.settings.firmware_max_bytes;
    let u = match read_upload(mp, max).await {
        Ok(u) => u,
        Err(e) => return Ok(Err((e, Vec::new()))),
    };
    let values = vec![
        ("vendor", u.vendor.clone()),
        ("model", u.model.clone()),
        ("version", u.version.clone()),
        ("notes", u.notes.clone()),
    ];
    let mut info = match FirmwareInfo::parse(&u.filename, &u.vendor, &u.model, &u.version, &u.notes)
    {
        Ok(i) => i,
        Err(e) => return Ok(Err((e, values))),
    };
    if u.bytes.is_empty() {
        return Ok(Err((("file", "the file is empty".into()), values)));
    }
    info.size = u.bytes.len() as u64;
    let blobs = st.core.blobs.clone();
    let bytes = u.bytes;
    info.sha256 = tokio::task::spawn_blocking(move || blobs.put(&bytes))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(e.into()))?;
    let id = uuid::Uuid::new_v4().to_string();
    st.core
        .commands
        .firmware(&id, FirmwareCommand::Upload { info }, &ctx.meta())
        .await?;
    Ok(Ok(id))
}

pub async fn upload(State(st): State<AppState>, ctx: Ctx, mp: Multipart) -> AppResult<Response> {
    match store_upload(&st, &ctx, mp).await? {
        Ok(_) => Ok(Redirect::to("/firmware").into_response()),
        Err(((field, msg), values)) => {
            let mut errors = FormErrors::default();
            errors.add(field, msg);
            let status = if errors.get("file").is_some_and(|m| m.contains("larger")) {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let body = page(&st, &ctx, &values, &errors).await?;
            Ok((status, respond(&ctx, t(ctx.locale, "firmware.title"), body)).into_response())
        }
    }
}

pub(crate) async fn load(st: &AppState, id: &str) -> AppResult<FirmwareRow> {
    st.find(id, device_views::firmware).await
}

pub async fn download(State(st): State<AppState>, Path(id): Path<String>) -> AppResult<Response> {
    let f = load(&st, &id).await?;
    let reader = open_blob(&st, &f.sha256, "firmware").await?;
    let name = header_file_name(&f.filename);
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_LENGTH, f.size.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (
                header::HeaderName::from_static("x-checksum-sha256"),
                f.sha256.clone(),
            ),
        ],
        stream_blob(reader, f.sha256.clone()),
    )
        .into_response())
}

/// A stored blob to stream; a missing one is an internal error naming
/// `what` it belongs to.
pub(crate) async fn open_blob(
    st: &AppState,
    hash: &str,
    what: &str,
) -> AppResult<ispmon_events::blobs::BlobReader> {
    let blobs = st.core.blobs.clone();
    let h = hash.to_string();
    tokio::task::spawn_blocking(move || blobs.reader(&h))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(e.into()))?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("{what} blob {hash} is missing")))
}

/// A file name fit for a quoted `Content-Disposition` filename.
pub(crate) fn header_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Streams a blob in chunks read on the blocking pool, so a large file is
/// never held in memory whole. A blob that turns out corrupt ends the body
/// with an error (the client sees a short, failed transfer) and is logged.
pub(crate) fn stream_blob(
    mut reader: ispmon_events::blobs::BlobReader,
    hash: String,
) -> axum::body::Body {
    const CHUNK: usize = 64 * 1024;
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<axum::body::Bytes>>(4);
    tokio::task::spawn_blocking(move || loop {
        let mut buf = vec![0u8; CHUNK];
        let item = match std::io::Read::read(&mut reader, &mut buf) {
            Ok(0) => return,
            Ok(n) => {
                buf.truncate(n);
                Ok(axum::body::Bytes::from(buf))
            }
            Err(e) => {
                tracing::error!(blob = hash, error = %e, "firmware download stopped");
                Err(e)
            }
        };
        let failed = item.is_err();
        if tx.blocking_send(item).is_err() || failed {
            return;
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    axum::body::Body::from_stream(stream)
}

/// Deletes a firmware record, and its blob when no other record shares it.
pub(crate) async fn remove(st: &AppState, ctx: &Ctx, id: &str) -> AppResult<()> {
    let f = load(st, id).await?;
    st.core
        .commands
        .firmware(id, FirmwareCommand::Delete, &ctx.meta())
        .await?;
    let hash = f.sha256.clone();
    let in_use = st
        .core
        .views
        .read(move |c| device_views::firmware_blob_in_use(c, &hash))
        .await?;
    if !in_use {
        let blobs = st.core.blobs.clone();
        let hash = f.sha256;
        tokio::task::spawn_blocking(move || blobs.remove(&hash))
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    Ok(())
}

pub async fn delete(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    remove(&st, &ctx, &id).await?;
    Ok(Redirect::to("/firmware").into_response())
}
