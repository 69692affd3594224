//! The multipart uploads progenitor cannot generate (`x-handwritten: true` in the spec):
//! purchase-invoice XML and inventory spreadsheets. They go through the same runtime as the
//! generated calls: token, company header, idempotency key, retries, error mapping.
//!
//! The body is encoded here as bytes rather than with `reqwest::multipart::Form`, whose body is
//! a stream that cannot be cloned, so a failed attempt could not be retried.

use futures::future::BoxFuture;
use progenitor_client::{Error as GenError, ResponseValue};
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde::de::DeserializeOwned;

use super::client::Client;
use super::operations as ops;
use super::types;
use crate::common::error::{Error, Provider, Result};
use crate::common::ops::Operation;
use crate::common::{call, runtime};

const P: Provider = Provider::Connectplug;

/// The largest invoice XML ConnectPlug accepts.
pub const MAX_INVOICE_BYTES: usize = 5 * 1024 * 1024;

/// A file to upload.
#[derive(Clone, PartialEq, Eq)]
pub struct Upload {
    /// File name shown to the provider (`nfe.xml`).
    pub file_name: String,
    /// Media type (`application/xml`, `text/csv`, ...).
    pub content_type: String,
    /// The content.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl Upload {
    /// A file with its name and media type.
    pub fn new(
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        bytes: impl Into<Vec<u8>>,
    ) -> Self {
        Self {
            file_name: file_name.into(),
            content_type: content_type.into(),
            bytes: bytes.into(),
        }
    }
}

/// `multipart/form-data` with one file part named `field`.
fn encode(field: &str, file: &Upload) -> (String, Vec<u8>) {
    let boundary = format!("brcommerce-{}", uuid::Uuid::new_v4().simple());
    // Quotes and line breaks cannot appear in a quoted header parameter.
    let name: String = file
        .file_name
        .chars()
        .filter(|c| !matches!(c, '"' | '\r' | '\n' | '\\'))
        .collect();
    let mut body = Vec::with_capacity(file.bytes.len() + 256);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; \
             filename=\"{name}\"\r\nContent-Type: {}\r\n\r\n",
            file.content_type
        )
        .as_bytes(),
    );
    body.extend_from_slice(&file.bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// What a successful upload answers, and how it is read.
trait Answer: DeserializeOwned + Send + Sized + 'static {
    fn read(
        response: reqwest::Response,
    ) -> BoxFuture<'static, Result<ResponseValue<Self>, GenError<types::Error>>>;
}

/// A JSON body.
impl Answer for types::PurchaseInvoiceResponse {
    fn read(
        response: reqwest::Response,
    ) -> BoxFuture<'static, Result<ResponseValue<Self>, GenError<types::Error>>> {
        Box::pin(ResponseValue::from_response(response))
    }
}

/// No documented body: whatever comes is not read.
impl Answer for () {
    fn read(
        response: reqwest::Response,
    ) -> BoxFuture<'static, Result<ResponseValue<Self>, GenError<types::Error>>> {
        Box::pin(async move { Ok(ResponseValue::empty(response)) })
    }
}

impl Client {
    async fn upload<T: Answer>(
        &self,
        op: &'static Operation,
        path: String,
        field: &str,
        file: &Upload,
    ) -> Result<T> {
        let operation = op.id;
        if file.bytes.is_empty() {
            return Err(Error::invalid_input(
                P,
                operation,
                field,
                "the file is empty",
            ));
        }
        if file.content_type.parse::<HeaderValue>().is_err() {
            return Err(Error::invalid_input(
                P,
                operation,
                "content_type",
                "not a valid media type",
            ));
        }
        let (content_type, body) = encode(field, file);
        let url = format!("{}{path}", self.raw.baseurl);
        let http = self.raw.client.clone();
        let rt = self.runtime();
        let send = async move {
            let mut request = http
                .post(url)
                .header(CONTENT_TYPE, content_type)
                .body(body)
                .build()?;
            runtime::pre(rt, &mut request, operation)
                .await
                .map_err(GenError::<types::Error>::Custom)?;
            let response = runtime::exec(rt, &http, request, operation).await?;
            match response.status().as_u16() {
                200..=299 => T::read(response).await,
                400..=599 => Err(GenError::ErrorResponse(
                    ResponseValue::from_response(response).await?,
                )),
                _ => Err(GenError::UnexpectedResponse(response)),
            }
        };
        // Made once: the body is not kept to make it again (a body cut short is retried by the
        // exec hook when the operation allows it).
        call::run(rt, Some(op), Default::default(), send).await
    }

    /// Uploads a purchase invoice (NF-e XML, at most 5 MB) to be imported as a purchase.
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] for an empty or oversized file; a provider error
    /// (422 with field errors); any other [`crate::ErrorKind`].
    pub async fn upload_purchase_invoice(&self, file: &Upload) -> Result<types::PurchaseInvoice> {
        let op = &ops::UPLOAD_PURCHASE_INVOICE;
        if file.bytes.len() > MAX_INVOICE_BYTES {
            return Err(Error::invalid_input(
                P,
                op.id,
                "file",
                format!(
                    "{} bytes is over the 5 MB ConnectPlug accepts",
                    file.bytes.len()
                ),
            ));
        }
        let r: types::PurchaseInvoiceResponse = self
            .upload(op, "/api/v3/purchase-invoices".to_owned(), "file", file)
            .await?;
        Ok(r.data)
    }

    /// Uploads a spreadsheet of counted quantities into a stock inventory.
    ///
    /// # Errors
    /// As [`Client::upload_purchase_invoice`]; a 400 carries the per-row report in the error
    /// body ([`crate::ProviderError::body`]).
    pub async fn upload_inventory_spreadsheet(
        &self,
        stock_id: i64,
        inventory_id: i64,
        file: &Upload,
    ) -> Result<()> {
        let path = format!("/api/v3/stocks/{stock_id}/inventories/{inventory_id}/upload");
        self.upload(&ops::UPLOAD_STOCK_INVENTORY_SPREADSHEET, path, "file", file)
            .await
    }
}
