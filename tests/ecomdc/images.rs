use base64::Engine as _;
use brcommerce::ErrorKind;
use brcommerce::ecomdc::{ImageAction, ImageSet, ImageUpload};
use httpmock::Method::POST;
use httpmock::MockServer;
use serde_json::json;

use super::client;
use super::common::Bodies;

const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F'];
const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A];

#[tokio::test]
async fn images_are_sent_as_base64_for_each_mode() {
    let server = MockServer::start_async().await;
    let bodies = Bodies::default();
    server
        .mock_async(|when, then| {
            bodies.record(when.method(POST).path("/imagem"));
            then.status(201);
        })
        .await;
    let c = client(&server);
    let b64 = base64::engine::general_purpose::STANDARD.encode(JPEG);
    let cases = [
        (ImageSet::Square, ImageAction::Add, "inclusao"),
        (ImageSet::Square, ImageAction::Replace, "substituicao"),
        (
            ImageSet::Rectangular,
            ImageAction::Add,
            "inclusao_retangular",
        ),
        (
            ImageSet::Rectangular,
            ImageAction::Replace,
            "substituicao_retangular",
        ),
    ];
    for (set, action, mode) in cases {
        c.upload_images(
            ImageUpload::new("12312323", Some("Amarela2"), set, action)
                .jpeg(JPEG)
                .jpeg(JPEG),
        )
        .await
        .unwrap();
        assert_eq!(
            bodies.last_json(),
            json!({"codigo": "12312323", "nome_modelo": "Amarela2", "modo": mode, "imagens": [b64, b64]})
        );
    }
    for (set, mode) in [
        (ImageSet::Square, "exclusao"),
        (ImageSet::Rectangular, "exclusao_retangular"),
    ] {
        c.upload_images(ImageUpload::delete_all("12312323", None, set))
            .await
            .unwrap();
        assert_eq!(
            bodies.last_json(),
            json!({"codigo": "12312323", "nome_modelo": "", "modo": mode, "imagens": []})
        );
    }
    assert!(
        !bodies.last_json().to_string().contains("\\n"),
        "no line breaks in base64"
    );
}

#[tokio::test]
async fn non_jpeg_input_is_refused_naming_the_image() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(201);
        })
        .await;
    let upload = ImageUpload::new("1", None, ImageSet::Square, ImageAction::Add)
        .jpeg(JPEG)
        .jpeg(PNG);
    let err = client(&server).upload_images(upload).await.unwrap_err();
    match err.kind() {
        ErrorKind::InvalidInput { field, message } => {
            assert_eq!(field, "imagens[1]");
            assert!(message.contains("PNG"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(m.calls_async().await, 0);
}

#[tokio::test]
async fn images_from_files_and_a_clear_error_for_a_file_that_is_not_jpeg() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("a.jpg");
    let bad = dir.path().join("b.jpg");
    std::fs::write(&good, JPEG).unwrap();
    std::fs::write(&bad, b"GIF89a....").unwrap();
    let server = MockServer::start_async().await;
    let bodies = Bodies::default();
    server
        .mock_async(|when, then| {
            bodies.record(when.method(POST).path("/imagem"));
            then.status(201);
        })
        .await;
    let c = client(&server);
    let upload = ImageUpload::new("1", Some("Azul"), ImageSet::Square, ImageAction::Add)
        .jpeg_file(&good)
        .unwrap();
    c.upload_images(upload).await.unwrap();
    assert_eq!(bodies.count(), 1);

    let upload = ImageUpload::new("1", Some("Azul"), ImageSet::Square, ImageAction::Add)
        .jpeg_file(&bad)
        .unwrap();
    let err = c.upload_images(upload).await.unwrap_err();
    assert!(
        err.to_string().contains("b.jpg") && err.to_string().contains("GIF"),
        "{err}"
    );
    assert!(
        ImageUpload::new("1", None, ImageSet::Square, ImageAction::Add)
            .jpeg_file(dir.path().join("missing.jpg"))
            .is_err()
    );
    assert_eq!(bodies.count(), 1);
}

#[tokio::test]
async fn an_upload_without_images_or_a_delete_with_images_is_refused() {
    let server = MockServer::start_async().await;
    let c = client(&server);
    let empty = ImageUpload::new("1", None, ImageSet::Square, ImageAction::Replace);
    assert!(matches!(
        c.upload_images(empty).await.unwrap_err().kind(),
        ErrorKind::InvalidInput { .. }
    ));
    let delete_with = ImageUpload::delete_all("1", None, ImageSet::Square).jpeg(JPEG);
    assert!(matches!(
        c.upload_images(delete_with).await.unwrap_err().kind(),
        ErrorKind::InvalidInput { .. }
    ));
}
