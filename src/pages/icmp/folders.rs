//! Host folders: the board's folder forms, create, rename, and delete (with
//! the folder's hosts moved to "no folder" or removed, as the user chose).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use ispmon_events::folder::{self, FolderCommand, HostDisposal};
use ispmon_projections::folders::FolderRow;
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::t;
use crate::pages::components::hidden_csrf;
use crate::state::AppState;

pub(super) fn folder_forms(ctx: &Ctx, folders: &[FolderRow]) -> Markup {
    let l = ctx.locale;
    html! {
        details.card #folders {
            summary { (t(l, "icmp.folders")) }
            form.inline-form method="post" action="/icmp/folders" {
                (hidden_csrf(&ctx.csrf))
                input type="text" name="name" required maxlength="64" placeholder=(t(l, "icmp.folder_name"));
                button type="submit" { (t(l, "users.create")) }
            }
            @for f in folders {
                div.folder-row {
                    form.inline-form method="post" action={ "/icmp/folders/" (f.folder_id) "/rename" } {
                        (hidden_csrf(&ctx.csrf))
                        input type="text" name="name" value=(f.name) required maxlength="64";
                        button.small type="submit" { (t(l, "icmp.rename")) }
                    }
                    form.inline-form method="post" action={ "/icmp/folders/" (f.folder_id) "/delete" } {
                        (hidden_csrf(&ctx.csrf))
                        select name="hosts" {
                            option value="move" { (t(l, "icmp.delete_move")) }
                            option value="delete" { (t(l, "icmp.delete_hosts")) }
                        }
                        button.small.danger type="submit" { (t(l, "icmp.delete")) }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct FolderForm {
    #[serde(default)]
    name: String,
}

pub async fn create_folder(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<FolderForm>,
) -> AppResult<Response> {
    let name = folder::parse_name(&f.name).map_err(|e| AppError::Rejected(e.to_string()))?;
    let id = uuid::Uuid::new_v4().to_string();
    st.core
        .commands
        .folder(&id, FolderCommand::Create { name }, &ctx.meta())
        .await?;
    Ok(Redirect::to(&format!("/icmp?folder={id}")).into_response())
}

pub async fn rename_folder(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<FolderForm>,
) -> AppResult<Response> {
    let name = folder::parse_name(&f.name).map_err(|e| AppError::Rejected(e.to_string()))?;
    st.core
        .commands
        .folder(&id, FolderCommand::Rename { name }, &ctx.meta())
        .await?;
    Ok(Redirect::to(&format!("/icmp?folder={id}")).into_response())
}

#[derive(Deserialize)]
pub struct DeleteFolderForm {
    #[serde(default)]
    hosts: String,
}

/// Deletes a folder; its hosts are moved to "no folder" or removed, as the
/// user chose. The choice is recorded first (`StartDeletion`); the
/// scheduler's folder-deletion job then deals with the hosts and deletes
/// the folder, here waited for, and after a crash finished by its next run.
pub async fn delete_folder(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<DeleteFolderForm>,
) -> AppResult<Response> {
    let hosts = match f.hosts.as_str() {
        "move" => HostDisposal::Move,
        "delete" => HostDisposal::Remove,
        _ => {
            return Err(AppError::Rejected(
                "choose what happens to the folder's hosts: move or delete".into(),
            ))
        }
    };
    let meta = ctx.meta();
    st.core
        .commands
        .folder(&id, FolderCommand::StartDeletion { hosts }, &meta)
        .await?;
    let run = st
        .scheduler
        .run(
            ispmon_scheduler::folder_deletion::JOB_NAME,
            ispmon_scheduler::Scope::One(id),
            Some(meta),
        )
        .await;
    match run {
        Ok(Ok(_)) => {}
        Ok(Err(reason)) => tracing::warn!(%reason, "folder deletion stopped; its next run goes on"),
        Err(e) => tracing::warn!(error = %e, "folder deletion not run now; its next run does it"),
    }
    Ok(Redirect::to("/icmp").into_response())
}
