//! One way to walk paged lists, whatever the provider's paging style.
//!
//! A provider describes its style with a fetch function: given a cursor (a page number, the
//! last id seen, ...), fetch one page and return its items and the next cursor, or `None` when
//! there are no more pages. [`stream()`] turns that into a `Stream` of items that holds one page in
//! memory at a time. An error is yielded once and ends the stream; an empty page does not end
//! it unless the cursor says so; a cursor that does not move ends it with an error instead of
//! looping forever.

use std::future::Future;

use futures::stream::{self, Stream, TryStreamExt};

use crate::common::error::{Error, ErrorKind, Provider};

/// One fetched page: its items and the cursor of the next page, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct PageOf<T, C> {
    /// Items of this page.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<C>,
}

/// Streams every item of a paged list, starting at `first`.
pub fn stream<T, C, F, Fut>(
    provider: Provider,
    operation: &'static str,
    first: C,
    mut fetch: F,
) -> impl Stream<Item = Result<T, Error>> + Send
where
    T: Send,
    C: Clone + PartialEq + Send,
    F: FnMut(C) -> Fut + Send,
    Fut: Future<Output = Result<PageOf<T, C>, Error>> + Send,
{
    stream::try_unfold(Some(first), move |cursor| {
        let fut = cursor.clone().map(&mut fetch);
        async move {
            let (Some(cursor), Some(fut)) = (cursor, fut) else {
                return Ok(None);
            };
            let page = fut.await?;
            if page.next.as_ref() == Some(&cursor) {
                let message = "the provider returned the same page cursor again".to_owned();
                return Err(Error::new(
                    provider,
                    operation,
                    ErrorKind::Decode {
                        path: "next".into(),
                        message,
                    },
                ));
            }
            let items = stream::iter(page.items.into_iter().map(Ok::<T, Error>));
            Ok(Some((items, page.next)))
        }
    })
    .try_flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    #[tokio::test]
    async fn walks_pages_including_empty_ones_and_stops_at_none() {
        let pages = [vec![1, 2], vec![], vec![3]];
        let s = stream(Provider::Ecomdc, "list", 0usize, move |i| {
            let items = pages[i].clone();
            async move {
                Ok(PageOf {
                    items,
                    next: (i < 2).then_some(i + 1),
                })
            }
        });
        let got: Vec<i32> = s.map(|r| r.unwrap()).collect().await;
        assert_eq!(got, vec![1, 2, 3]);
    }

    #[tokio::test]
    async fn an_error_is_yielded_once_and_ends_the_stream() {
        let s = stream(Provider::Pluggto, "list_orders", 0u32, |i| async move {
            if i == 1 {
                Err(Error::new(
                    Provider::Pluggto,
                    "list_orders",
                    ErrorKind::Timeout {
                        may_have_been_applied: false,
                    },
                ))
            } else {
                Ok(PageOf {
                    items: vec![i],
                    next: Some(i + 1),
                })
            }
        });
        let got: Vec<Result<u32, Error>> = s.collect().await;
        assert_eq!(got.len(), 2);
        assert!(got[0].is_ok());
        assert!(got[1].is_err());
    }

    #[tokio::test]
    async fn a_cursor_that_does_not_move_is_an_error() {
        let s = stream(
            Provider::Pluggto,
            "list_orders",
            "a".to_owned(),
            |c| async move {
                Ok(PageOf {
                    items: vec![1],
                    next: Some(c),
                })
            },
        );
        let got: Vec<Result<i32, Error>> = s.collect().await;
        assert!(got.last().unwrap().is_err());
    }
}
