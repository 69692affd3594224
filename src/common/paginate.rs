//! One page type and one way to walk a list, whatever the provider's paging style.
//!
//! Every list of every provider comes as a [`Page`]: its items, the [`Cursor`] of the next
//! page (a page number, or the last id seen), the totals when the provider gives them, and the
//! records of this page that did not decode ([`Page::rejected`]: each an [`Error`] with the
//! record's JSON path, id and raw JSON; the page holds every other record).
//!
//! [`stream()`] turns a page-fetching function into a `Stream` of items that holds one page in
//! memory at a time and owns what it needs (`'static`, so it can be moved into
//! `tokio::spawn`). A rejected record comes out as an `Err` item and the stream goes on; an
//! error fetching a page is yielded once and ends the stream; an empty page does not end it
//! unless the cursor says so; a cursor that does not move ends it with an error instead of
//! looping forever.

use std::future::Future;

use futures::stream::{self, Stream, StreamExt};

use crate::common::error::{Error, ErrorKind, Provider};

/// Where a page starts: a page number (from 1), or the id of the last item already read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cursor {
    /// A page number, from 1 (ecomDC, ConnectPlug).
    Number(u64),
    /// The id of the last item read (PluggTo's `next`).
    After(String),
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cursor::Number(n) => write!(f, "{n}"),
            Cursor::After(id) => f.write_str(id),
        }
    }
}

/// One page of a list, the same for every provider.
#[derive(Debug)]
#[non_exhaustive]
pub struct Page<T> {
    /// The records of this page that decoded.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
    /// Items in all pages, when the provider says.
    pub total: Option<u64>,
    /// Pages in all, when the provider says.
    pub pages: Option<u64>,
    /// Records of this page that did not decode, left out of `items`: each error says where
    /// and why ([`Error::record`] has the record's position, id and raw JSON).
    pub rejected: Vec<Error>,
}

impl<T> Page<T> {
    /// A page of `items` followed by the page at `next`.
    pub fn new(items: Vec<T>, next: Option<Cursor>) -> Self {
        Self {
            items,
            next,
            total: None,
            pages: None,
            rejected: Vec::new(),
        }
    }
    /// The same page with its totals.
    pub fn with_totals(mut self, total: Option<u64>, pages: Option<u64>) -> Self {
        self.total = total;
        self.pages = pages;
        self
    }
    /// The same page with the records it rejected.
    pub fn with_rejected(mut self, rejected: Vec<Error>) -> Self {
        self.rejected = rejected;
        self
    }
    /// True on the last page.
    pub fn is_last(&self) -> bool {
        self.next.is_none()
    }
    /// The items, mapped; everything else kept.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
            total: self.total,
            pages: self.pages,
            rejected: self.rejected,
        }
    }
}

impl<T> IntoIterator for Page<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a Page<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// Streams every item of a paged list, starting at `first` (`None`: the first page). Rejected
/// records come out as `Err` items between the others; see the [module docs](self).
pub fn stream<T, F, Fut>(
    provider: Provider,
    operation: &'static str,
    first: Option<Cursor>,
    mut fetch: F,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static
where
    T: Send + 'static,
    F: FnMut(Option<Cursor>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>, Error>> + Send + 'static,
{
    // The state: the cursor of the page to fetch next, or `Done`.
    enum Next {
        Page(Option<Cursor>),
        Done,
    }
    stream::unfold(Next::Page(first), move |state| {
        let fut = match &state {
            Next::Page(cursor) => Some((cursor.clone(), fetch(cursor.clone()))),
            Next::Done => None,
        };
        async move {
            let (cursor, fut) = fut?;
            let page = match fut.await {
                Ok(page) => page,
                Err(e) => return Some((stream::iter(vec![Err(e)]), Next::Done)),
            };
            let moved = page.next.is_none() || page.next != cursor;
            let next = match (&page.next, moved) {
                (Some(c), true) => Next::Page(Some(c.clone())),
                _ => Next::Done,
            };
            let mut out: Vec<Result<T, Error>> = page.rejected.into_iter().map(Err).collect();
            out.extend(page.items.into_iter().map(Ok));
            if !moved {
                let message = "the provider returned the same page cursor again".to_owned();
                out.push(Err(Error::new(
                    provider,
                    operation,
                    ErrorKind::Decode {
                        path: "next".into(),
                        message,
                    },
                )));
            }
            Some((stream::iter(out), next))
        }
    })
    .flatten()
}

/// `new()` and one setter per field for filter structs, which are `#[non_exhaustive]` (so they
/// can grow) and therefore built with these outside the crate:
/// `OrderFilter::new().status("approved").limit(50)`.
#[allow(
    unused_macros,
    reason = "filter machinery: unused in a build without a provider whose facade has filters"
)]
macro_rules! filter_setters {
    ($($ty:ident { $($field:ident: $fty:ty),* ; text: $($tfield:ident),* ; })*) => {
        $(impl $ty {
            /// No filter.
            pub fn new() -> Self {
                Self::default()
            }
            $(
                #[doc = concat!("Sets `", stringify!($field), "` (see the field).")]
                #[must_use]
                pub fn $field(mut self, value: $fty) -> Self {
                    self.$field = Some(value);
                    self
                }
            )*
            $(
                #[doc = concat!("Sets `", stringify!($tfield), "` (see the field).")]
                #[must_use]
                pub fn $tfield(mut self, value: impl Into<String>) -> Self {
                    self.$tfield = Some(value.into());
                    self
                }
            )*
        })*
    };
}
#[allow(
    unused_imports,
    reason = "filter machinery: unused in a build without a provider whose facade has filters"
)]
pub(crate) use filter_setters;

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    fn page(items: Vec<i32>, next: Option<u64>) -> Page<i32> {
        Page::new(items, next.map(Cursor::Number))
    }

    #[tokio::test]
    async fn walks_pages_including_empty_ones_and_stops_at_none() {
        let pages = [vec![1, 2], vec![], vec![3]];
        let s = stream(Provider::Ecomdc, "list", None, move |c| {
            let i = match c {
                None => 0,
                Some(Cursor::Number(n)) => n as usize,
                Some(_) => unreachable!(),
            };
            let items = pages[i].clone();
            async move { Ok(page(items, (i < 2).then_some(i as u64 + 1))) }
        });
        let got: Vec<i32> = s.map(|r| r.unwrap()).collect().await;
        assert_eq!(got, vec![1, 2, 3]);
    }

    #[tokio::test]
    async fn a_page_error_is_yielded_once_and_ends_the_stream() {
        let s = stream(Provider::Pluggto, "list_orders", None, |c| async move {
            match c {
                Some(Cursor::Number(1)) => Err(Error::new(
                    Provider::Pluggto,
                    "list_orders",
                    ErrorKind::Timeout {
                        may_have_been_applied: false,
                    },
                )),
                _ => Ok(page(vec![0], Some(1))),
            }
        });
        let got: Vec<Result<i32, Error>> = s.collect().await;
        assert_eq!(got.len(), 2);
        assert!(got[0].is_ok());
        assert!(got[1].is_err());
    }

    #[tokio::test]
    async fn a_rejected_record_is_an_error_item_and_the_stream_goes_on() {
        let s = stream(Provider::Ecomdc, "list_products", None, |c| async move {
            let bad = Error::new(
                Provider::Ecomdc,
                "list_products",
                ErrorKind::Decode {
                    path: "produtos[1].preco".into(),
                    message: "expected a decimal".into(),
                },
            );
            Ok(match c {
                None => page(vec![1, 3], Some(2)).with_rejected(vec![bad]),
                _ => page(vec![4], None),
            })
        });
        let got: Vec<Result<i32, Error>> = s.collect().await;
        let oks: Vec<i32> = got
            .iter()
            .filter_map(|r| r.as_ref().ok().copied())
            .collect();
        assert_eq!(oks, [1, 3, 4], "every good record of both pages");
        assert_eq!(got.iter().filter(|r| r.is_err()).count(), 1);
    }

    #[tokio::test]
    async fn a_cursor_that_does_not_move_is_an_error() {
        let s = stream(Provider::Pluggto, "list_orders", None, |_| async move {
            Ok(Page::new(vec![1], Some(Cursor::After("a".into()))))
        });
        let got: Vec<Result<i32, Error>> = s.collect().await;
        // The first page moves from "no cursor" to "a"; the second says "a" again.
        assert_eq!(got.len(), 3);
        assert!(got.last().unwrap().is_err());
    }
}
