//! One check for every provider's list facade: a page of 100 records with one record that does
//! not decode yields the 99 others and one item error (kind decode, its JSON path, the record's
//! position, id and raw JSON), through the page and through the stream, with nothing lost; and
//! a page whose records each carry one variance class decodes in full.
//!
//! The facades share `common::paginate::Page<T>`, so one generic helper serves the four; a
//! provider describes its list with a [`List`].

use std::future::Future;

use brcommerce::common::paginate::Page;
use brcommerce::{ErrorKind, Result};
use futures::future::LocalBoxFuture;
use futures::{Stream, StreamExt};
use httpmock::MockServer;
use serde_json::Value;

/// A named change that gives a record one variance class.
pub type Variance<'a> = (&'a str, &'a dyn Fn(&mut Value));

/// Records per page in these checks.
pub const RECORDS: usize = 100;

/// A provider's list, as these checks need it.
pub struct List<'a, T, P, S> {
    /// The server the client talks to.
    pub server: &'a MockServer,
    /// Mocks what the client needs besides the list (a token endpoint); run after each reset.
    pub setup: &'a dyn Fn(&MockServer) -> LocalBoxFuture<'_, ()>,
    /// The list's path.
    pub path: &'a str,
    /// The answer holding these records (the first page; the last one, unless the provider
    /// pages by the last id, then [`List::after`] answers the next page).
    pub body: &'a dyn Fn(Vec<Value>) -> Value,
    /// For providers paging by the last id: the query parameter that carries it and the empty
    /// answer that ends the list.
    pub after: Option<(&'a str, Value)>,
    /// Record `i` of the page, valid, with an id of its own.
    pub record: &'a dyn Fn(usize) -> Value,
    /// Makes a record undecodable (a value no repair can turn into the documented type).
    pub breaks: &'a dyn Fn(&mut Value),
    /// JSON pointer of the records in the answer (`/produtos`), as the error path names it.
    pub items: &'a str,
    /// The id the error reports for a record (`None` when the record has none it can read).
    pub id_of: &'a dyn Fn(&Value) -> Option<String>,
    /// The key of a record as sent, to compare with [`List::item_id`].
    pub key: &'a dyn Fn(&Value) -> String,
    /// The id of a decoded item.
    pub item_id: fn(&T) -> String,
    /// The facade's page call (first page).
    pub page: P,
    /// The facade's stream.
    pub stream: S,
    /// Which item type the page holds.
    pub _item: std::marker::PhantomData<T>,
}

impl<T, P, PF, S, SF> List<'_, T, P, S>
where
    P: Fn() -> PF,
    PF: Future<Output = Result<Page<T>>>,
    S: Fn() -> SF,
    SF: Stream<Item = Result<T>>,
    T: std::fmt::Debug,
{
    async fn serve(&self, records: Vec<Value>) {
        self.server.reset_async().await;
        (self.setup)(self.server).await;
        let last_id = records.last().map(|r| (self.key)(r));
        let body = (self.body)(records);
        let path = self.path.to_owned();
        match &self.after {
            Some((param, empty)) => {
                let (param, empty) = ((*param).to_owned(), empty.clone());
                let next = last_id.expect("a record id to page after");
                self.server
                    .mock_async(|when, then| {
                        when.path(path.clone()).query_param(param.clone(), next);
                        then.status(200).json_body(empty);
                    })
                    .await;
                self.server
                    .mock_async(|when, then| {
                        when.path(path).query_param_missing(param);
                        then.status(200).json_body(body);
                    })
                    .await;
            }
            None => {
                self.server
                    .mock_async(|when, then| {
                        when.path(path);
                        then.status(200).json_body(body);
                    })
                    .await;
            }
        }
    }

    /// A broken record at the first, a middle and the last position.
    pub async fn one_bad_record_costs_one_record(&self) {
        for bad in [0, RECORDS / 2, RECORDS - 1] {
            let mut records: Vec<Value> = (0..RECORDS).map(|i| (self.record)(i)).collect();
            (self.breaks)(&mut records[bad]);
            let want: Vec<String> = records
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != bad)
                .map(|(_, r)| (self.key)(r))
                .collect();
            let broken = records[bad].clone();
            self.serve(records).await;

            // The page: 99 items, one rejected record.
            let page = (self.page)().await.expect("the page is read");
            let ids: Vec<String> = page.items.iter().map(self.item_id).collect();
            assert_eq!(
                ids, want,
                "bad record at {bad}: every other record, in order"
            );
            assert_eq!(page.rejected.len(), 1, "bad record at {bad}");
            self.check_rejected(&page.rejected[0], bad, &broken);

            // The stream: the same 99 items and the error as an item of its own.
            let got: Vec<Result<T>> = (self.stream)().collect().await;
            let (oks, errs): (Vec<_>, Vec<_>) = got.into_iter().partition(|r| r.is_ok());
            let ids: Vec<String> = oks
                .into_iter()
                .map(|r| (self.item_id)(&r.unwrap()))
                .collect();
            assert_eq!(ids, want, "stream, bad record at {bad}");
            assert_eq!(errs.len(), 1, "stream, bad record at {bad}: {errs:?}");
            self.check_rejected(errs[0].as_ref().unwrap_err(), bad, &broken);
        }
    }

    fn check_rejected(&self, err: &brcommerce::Error, bad: usize, broken: &Value) {
        let field = self.items.trim_start_matches('/').replace('/', ".");
        match err.kind() {
            ErrorKind::Decode { path, .. } => assert!(
                path.starts_with(&format!("{field}[{bad}].")),
                "the path names the record: {path}"
            ),
            other => panic!("a decode error, not {other:?}"),
        }
        let record = err.record().expect("the rejected record");
        assert_eq!(record.index, bad);
        assert_eq!(record.id, (self.id_of)(broken));
        let raw: Value = serde_json::from_str(&record.raw).expect("raw JSON");
        assert_eq!(&raw, broken, "the record as sent");
    }

    /// One record per variance: each decodes, none is rejected.
    pub async fn every_variance_decodes(&self, variances: &[Variance<'_>]) {
        let records: Vec<Value> = variances
            .iter()
            .enumerate()
            .map(|(i, (_, vary))| {
                let mut r = (self.record)(i);
                vary(&mut r);
                r
            })
            .collect();
        let want: Vec<String> = records.iter().map(|r| (self.key)(r)).collect();
        self.serve(records).await;
        let page = (self.page)().await.expect("the page is read");
        let rejected: Vec<String> = page
            .rejected
            .iter()
            .map(|e| {
                let i = e.record().map_or(usize::MAX, |r| r.index);
                format!("{}: {e}", variances.get(i).map_or("?", |v| v.0))
            })
            .collect();
        assert!(rejected.is_empty(), "rejected: {rejected:#?}");
        let ids: Vec<String> = page.items.iter().map(self.item_id).collect();
        assert_eq!(ids, want);
        let streamed: Vec<Result<T>> = (self.stream)().collect().await;
        assert_eq!(streamed.len(), variances.len());
        assert!(streamed.iter().all(|r| r.is_ok()));
    }
}
