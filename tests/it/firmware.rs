//! Firmware images through the pages: upload with its checksum, download,
//! delete, the size limit; `ispmon verify` over every stored file.

use ispmon_events::values::Role;

use crate::common::*;

#[tokio::test]
async fn verify_checks_every_stored_file_and_names_a_missing_or_corrupt_one() {
    let app = spawn_app().await;
    let admin = app.login_as(Role::Admin).await;
    let form = reqwest::multipart::Form::new()
        .text("vendor", "Huawei")
        .text("model", "MA5608T")
        .text("version", "V800R018C10")
        .part(
            "file",
            reqwest::multipart::Part::bytes(vec![7u8; 4096]).file_name("olt.bin"),
        );
    let r = admin
        .client
        .post(format!("{}/firmware?_csrf={}", admin.base, admin.csrf))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "the upload redirects to the list");
    let verify = || {
        let out = ispmon(&["verify"], app.data.path());
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    let (code, text) = verify();
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("1 stored configs and firmware files are whole"),
        "{text}"
    );

    let sha = ispmon_events::blobs::sha256_hex(&[7u8; 4096]);
    let path = app
        .data
        .path()
        .join("blobs")
        .join(&sha[..2])
        .join(format!("{sha}.gz"));
    // Another file's bytes under this name: corrupt.
    let other = ispmon_events::blobs::BlobStore::open(&app.data.path().join("scratch"))
        .unwrap()
        .put(b"something else")
        .unwrap();
    let other_path = app
        .data
        .path()
        .join("scratch")
        .join(&other[..2])
        .join(format!("{other}.gz"));
    let original = std::fs::read(&path).unwrap();
    std::fs::copy(&other_path, &path).unwrap();
    let (code, text) = verify();
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("firmware olt.bin") && text.contains("is corrupt"),
        "{text}"
    );

    std::fs::remove_file(&path).unwrap();
    let (code, text) = verify();
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains(&format!("file {sha} is missing")), "{text}");

    std::fs::write(&path, original).unwrap();
    assert_eq!(verify().0, Some(0));
}

#[tokio::test]
async fn firmware_is_uploaded_with_its_checksum_downloaded_and_deleted_and_oversize_is_refused() {
    let app = spawn_app_with(|s| s.firmware_max_bytes = 512 * 1024).await;
    let admin = app.login_as(Role::Admin).await;
    let upload = |bytes: Vec<u8>, vendor: &'static str| {
        let form = reqwest::multipart::Form::new()
            .text("vendor", vendor)
            .text("model", "MA5608T")
            .text("version", "V800R018C10")
            .text("notes", "lab image")
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name("MA5600V800R018C10.bin"),
            );
        admin
            .client
            .post(format!("{}/firmware?_csrf={}", admin.base, admin.csrf))
            .multipart(form)
            .send()
    };
    let no_token = reqwest::multipart::Form::new()
        .text("vendor", "Huawei")
        .part(
            "file",
            reqwest::multipart::Part::bytes(vec![1u8; 10]).file_name("x.bin"),
        );
    let r = admin
        .client
        .post(format!("{}/firmware", admin.base))
        .multipart(no_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        403,
        "an upload without the CSRF token is refused"
    );
    let image: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let r = upload(image.clone(), "Huawei").await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let sha = ispmon_events::blobs::sha256_hex(&image);
    let (_, page) = admin.get_text("/firmware").await;
    assert!(page.contains("MA5600V800R018C10.bin") && page.contains(&sha));

    let before = app.event_count();
    let r = upload(vec![0u8; 600 * 1024], "Huawei").await.unwrap();
    assert_eq!(r.status().as_u16(), 413);
    assert!(r.text().await.unwrap().contains("larger than the limit"));
    let r = upload(image.clone(), "").await.unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let shown = field_error(&r.text().await.unwrap(), "vendor");
    assert_eq!(shown.as_deref(), Some("the vendor is required"));
    let r = upload(Vec::new(), "Huawei").await.unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let shown = field_error(&r.text().await.unwrap(), "file");
    assert_eq!(shown.as_deref(), Some("the file is empty"));
    assert_eq!(app.event_count(), before, "refused uploads change nothing");

    let id = app
        .state
        .core
        .views
        .read(ispmon_projections::devices::firmware_list)
        .await
        .unwrap()[0]
        .firmware_id
        .clone();
    let tech = app.login_as(Role::Technician).await;
    let r = tech.get(&format!("/firmware/{id}/download")).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["x-checksum-sha256"].to_str().unwrap(), sha);
    // Streamed in several chunks, with its length announced.
    assert_eq!(r.headers()["content-length"].to_str().unwrap(), "300000");
    assert_eq!(r.bytes().await.unwrap().to_vec(), image);
    let r = tech.post_form(&format!("/firmware/{id}/delete"), &[]).await;
    assert_eq!(r.status().as_u16(), 403, "technicians cannot delete");
    let r = admin
        .post_form(&format!("/firmware/{id}/delete"), &[])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = admin.get_text("/firmware").await;
    assert!(page.contains("No firmware stored yet"));
    assert_eq!(
        app.state.core.blobs.get(&sha).unwrap(),
        None,
        "the file is gone"
    );
}
