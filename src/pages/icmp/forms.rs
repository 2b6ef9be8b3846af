//! The add/edit host form: rendering, validation against the read model,
//! and the handlers that turn it into commands.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use ispmon_events::host::{parse_ip, HostCommand, HostDetails};
use ispmon_projections::folders::{self as folder_views, FolderRow};
use ispmon_projections::hosts;
use maud::{html, Markup};
use serde::Deserialize;

use super::load;
use crate::auth::Ctx;
use crate::error::AppResult;
use crate::i18n::t;
use crate::pages::components::{error_box, hidden_csrf, FormErrors};
use crate::pages::layout::respond;
use crate::state::AppState;

#[derive(Deserialize, Default, Clone)]
pub struct HostForm {
    #[serde(default)]
    pub(super) ip: String,
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) folder: String,
    #[serde(default)]
    pub(super) parent: String,
    #[serde(default)]
    pub(super) notes: String,
    #[serde(default)]
    pub(super) tags: String,
}

pub(super) fn host_form(
    ctx: &Ctx,
    id: Option<&str>,
    folders: &[FolderRow],
    f: &HostForm,
    errors: &FormErrors,
) -> Markup {
    let l = ctx.locale;
    let action = match id {
        Some(id) => format!("/icmp/hosts/{id}"),
        None => "/icmp/hosts".to_string(),
    };
    html! {
        details.card open[id.is_some() || !errors.is_empty()] #host-form {
            summary { @if id.is_some() { (t(l, "icmp.edit_host")) } @else { (t(l, "icmp.add_host")) } }
            @if let Some(m) = errors.get("form") { (error_box(m)) }
            form method="post" action=(action) {
                (hidden_csrf(&ctx.csrf))
                div.grid {
                    label { "IP" input type="text" name="ip" value=(f.ip) required; (errors.show("ip")) }
                    label { (t(l, "icmp.name")) input type="text" name="name" value=(f.name) required maxlength="100"; (errors.show("name")) }
                    label { (t(l, "icmp.folder"))
                        select name="folder" {
                            option value="" { (t(l, "icmp.no_folder")) }
                            @for fo in folders { option value=(fo.folder_id) selected[fo.folder_id == f.folder] { (fo.name) } }
                        }
                    }
                    label { (t(l, "icmp.parent")) input type="text" name="parent" value=(f.parent) placeholder=(t(l, "icmp.parent_hint")); (errors.show("parent")) }
                    label { (t(l, "icmp.tags")) input type="text" name="tags" value=(f.tags); (errors.show("tags")) }
                }
                label { (t(l, "icmp.notes")) textarea name="notes" rows="2" { (f.notes) } (errors.show("notes")) }
                button type="submit" { (t(l, "account.save")) }
            }
        }
    }
}

/// Validates a host form against the read model: address, details, parent.
async fn parse_host_form(
    st: &AppState,
    id: Option<&str>,
    f: &HostForm,
) -> AppResult<Result<(String, HostDetails), FormErrors>> {
    let mut errors = FormErrors::default();
    let ip = parse_ip(&f.ip).map_err(|e| errors.add("ip", e)).ok();
    let parent_ip = f.parent.trim().to_string();
    let (taken, parent) = {
        let ip2 = ip.clone().unwrap_or_default();
        let pip = parse_ip(&parent_ip).ok();
        st.core
            .views
            .read(move |c| {
                let taken = hosts::by_ip(c, &ip2)?;
                let parent = match pip {
                    Some(p) => hosts::by_ip(c, &p)?,
                    None => None,
                };
                Ok((taken, parent))
            })
            .await?
    };
    if let Some(t) = taken {
        if Some(t.host_id.as_str()) != id {
            errors.add("ip", "a host with this address exists");
        }
    }
    let parent_id = if parent_ip.is_empty() {
        None
    } else {
        match parent {
            None => {
                errors.add("parent", "no host with this address");
                None
            }
            Some(p) if Some(p.host_id.as_str()) == id => {
                errors.add("parent", "a host cannot be its own parent");
                None
            }
            Some(p) => Some(p.host_id),
        }
    };
    let details = HostDetails::parse(
        &f.name,
        Some(f.folder.clone()),
        parent_id,
        &f.notes,
        &f.tags,
    )
    .map_err(|(field, m)| errors.add(field, m))
    .ok();
    Ok(match (ip, details, errors.is_empty()) {
        (Some(ip), Some(d), true) => Ok((ip, d)),
        _ => Err(errors),
    })
}

async fn form_failed(
    st: &AppState,
    ctx: &Ctx,
    id: Option<&str>,
    f: &HostForm,
    errors: FormErrors,
) -> AppResult<Response> {
    let folders = st.core.views.read(folder_views::list).await?;
    let status = errors.status();
    let body = host_form(ctx, id, &folders, f, &errors);
    Ok((status, respond(ctx, t(ctx.locale, "icmp.title"), body)).into_response())
}

pub async fn add_host(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<HostForm>,
) -> AppResult<Response> {
    let (ip, details) = match parse_host_form(&st, None, &f).await? {
        Ok(v) => v,
        Err(errors) => return form_failed(&st, &ctx, None, &f, errors).await,
    };
    let id = uuid::Uuid::new_v4().to_string();
    match st
        .core
        .commands
        .host(&id, HostCommand::Add { ip, details }, &ctx.meta())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/icmp/hosts/{id}")).into_response()),
        Err(e) => {
            let errors = FormErrors::from_command(e, ctx.locale)?;
            form_failed(&st, &ctx, None, &f, errors).await
        }
    }
}

pub async fn edit_host(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<HostForm>,
) -> AppResult<Response> {
    load(&st, &id).await?;
    let (ip, details) = match parse_host_form(&st, Some(&id), &f).await? {
        Ok(v) => v,
        Err(errors) => return form_failed(&st, &ctx, Some(&id), &f, errors).await,
    };
    match st
        .core
        .commands
        .host(&id, HostCommand::Edit { ip, details }, &ctx.meta())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/icmp/hosts/{id}")).into_response()),
        Err(e) => {
            let errors = FormErrors::from_command(e, ctx.locale)?;
            form_failed(&st, &ctx, Some(&id), &f, errors).await
        }
    }
}
