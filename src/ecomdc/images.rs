//! Model images sent as base64 JPEG (`POST /imagem`).

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::types::{self, ImageMode};
use crate::common::error::{Error, Provider, Result};

const OP: &str = "upload_images";

/// Square or rectangular image set of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageSet {
    /// Square images (1000x1000 px recommended).
    Square,
    /// Rectangular images (1200x1600 px recommended).
    Rectangular,
}

/// What to do with the model's current images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageAction {
    /// Add to the current images.
    Add,
    /// Delete the current images, then add these.
    Replace,
}

/// An image request for one model of a product: add, replace or delete its images.
#[derive(Debug, Clone)]
pub struct ImageUpload {
    codigo: String,
    model: Option<String>,
    mode: ImageMode,
    images: Vec<Vec<u8>>,
    sources: Vec<String>,
}

impl ImageUpload {
    /// Adds (`Add`) or replaces (`Replace`) the `set` images of model `model` of product
    /// `codigo`. `model` is `None` when the product has a single unnamed model.
    pub fn new(
        codigo: impl Into<String>,
        model: Option<&str>,
        set: ImageSet,
        action: ImageAction,
    ) -> Self {
        let mode = match (set, action) {
            (ImageSet::Square, ImageAction::Add) => ImageMode::Inclusao,
            (ImageSet::Square, ImageAction::Replace) => ImageMode::Substituicao,
            (ImageSet::Rectangular, ImageAction::Add) => ImageMode::InclusaoRetangular,
            (ImageSet::Rectangular, ImageAction::Replace) => ImageMode::SubstituicaoRetangular,
        };
        Self {
            codigo: codigo.into(),
            model: model.map(str::to_owned),
            mode,
            images: Vec::new(),
            sources: Vec::new(),
        }
    }

    /// Deletes every `set` image of the model.
    pub fn delete_all(codigo: impl Into<String>, model: Option<&str>, set: ImageSet) -> Self {
        let mode = match set {
            ImageSet::Square => ImageMode::Exclusao,
            ImageSet::Rectangular => ImageMode::ExclusaoRetangular,
        };
        Self {
            codigo: codigo.into(),
            model: model.map(str::to_owned),
            mode,
            images: Vec::new(),
            sources: Vec::new(),
        }
    }

    /// Adds a JPEG image from its bytes.
    pub fn jpeg(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.sources.push(format!("imagens[{}]", self.images.len()));
        self.images.push(bytes.into());
        self
    }

    /// Adds a JPEG image from a file.
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] naming the file when it cannot be read.
    pub fn jpeg_file(mut self, path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| {
            Error::invalid_input(
                Provider::Ecomdc,
                OP,
                path.display().to_string(),
                format!("cannot read the image: {e}"),
            )
        })?;
        self.sources.push(path.display().to_string());
        self.images.push(bytes);
        Ok(self)
    }

    /// The mode sent to the provider.
    pub fn mode(&self) -> ImageMode {
        self.mode
    }

    /// Checks the images and builds the request body (base64 without line breaks).
    pub(crate) fn into_body(self) -> Result<types::ImageUpload> {
        let deleting = matches!(
            self.mode,
            ImageMode::Exclusao | ImageMode::ExclusaoRetangular
        );
        if deleting && !self.images.is_empty() {
            return Err(Error::invalid_input(
                Provider::Ecomdc,
                OP,
                "imagens",
                "a delete request carries no images",
            ));
        }
        if !deleting && self.images.is_empty() {
            return Err(Error::invalid_input(
                Provider::Ecomdc,
                OP,
                "imagens",
                "no images to send",
            ));
        }
        let mut encoded = Vec::with_capacity(self.images.len());
        for (bytes, source) in self.images.iter().zip(&self.sources) {
            check_jpeg(bytes)
                .map_err(|why| Error::invalid_input(Provider::Ecomdc, OP, source.clone(), why))?;
            encoded.push(STANDARD.encode(bytes));
        }
        Ok(types::ImageUpload {
            codigo: self.codigo,
            nome_modelo: Some(self.model.unwrap_or_default()),
            modo: self.mode,
            imagens: encoded,
        })
    }
}

/// JPEG files start with the SOI marker `FF D8` followed by another marker (`FF ..`).
fn check_jpeg(bytes: &[u8]) -> std::result::Result<(), String> {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => Ok(()),
        [0x89, b'P', b'N', b'G', ..] => Err("is a PNG; ecomDC accepts only JPEG".into()),
        [b'G', b'I', b'F', ..] => Err("is a GIF; ecomDC accepts only JPEG".into()),
        [b'R', b'I', b'F', b'F', ..] => Err("is a WebP; ecomDC accepts only JPEG".into()),
        [] => Err("is empty".into()),
        _ => Err("is not a JPEG image".into()),
    }
}
