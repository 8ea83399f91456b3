//! The home timeline measured in process: [`App::statuses_page`] on the server's own store,
//! opened as `woolly serve` opens it (same page cache), with no HTTP in between.
//!
//! `statuses_page` reads the page's status records only. With `api`, the whole client-API
//! answer is timed as well: `GET /api/v1/timelines/home` through [`reference_server::api::handle`]
//! (the page, the batch load of everything its entities show — accounts, counts, polls,
//! cards, custom emoji … — and the JSON body), still without sockets.

use std::path::PathBuf;
use std::time::Instant;

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use fedi_storage::counting::{CountingStore, StoreCounts};
use fedi_storage::PageRequest;
use reference_server::app::List;
use reference_server::{App, Config};

use crate::error::{Error, Result};
use crate::stats::Latencies;

/// What the in-process run measured.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HomeReport {
    /// Latency of each timed page.
    pub latencies: Latencies,
    /// Statuses on the (first) page.
    pub page_len: usize,
    /// Items in the home collection.
    pub collection_len: u64,
    /// With `api`: latency of each timed `GET /api/v1/timelines/home`.
    pub api_latencies: Option<Latencies>,
    /// With `api`: the size of the (first) JSON body.
    pub api_body_len: usize,
    /// With `api`: what one answer cost in store calls (the request's token and account
    /// reads included), for pages of 20 and of `limit`: page size, counts, calls per method.
    pub api_store_calls: Vec<(usize, StoreCounts, BTreeMap<&'static str, u64>)>,
}

/// Opens the instance in `data_dir` (not in use by a running server) with `base_url` and
/// times `requests` newest-first pages of `limit` of `username`'s home timeline, after
/// `warmup` untimed ones; with `api`, then as many API answers of the same page (after as
/// many untimed ones), and one answer each of 20 and `limit` statuses counted in store calls
/// (on a second `App` over the same store, wrapped in a [`CountingStore`]). A token (scope
/// `read`) is created for the API run, and `api`'s number of filters of 10 keywords each
/// (home context) are made before it and deleted after it.
pub async fn home_in_process(
    data_dir: PathBuf,
    base_url: &str,
    username: &str,
    limit: usize,
    warmup: u64,
    requests: u64,
    api: Option<usize>,
) -> Result<HomeReport> {
    // `api`: the API run, with that many filters given to the account first.
    let (api, filters) = (api.is_some(), api.unwrap_or(0));
    let mut config = Config {
        data_dir,
        base_url: base_url.to_owned(),
        ..Config::default()
    };
    // Thousands of answers for one token: far past the client API's rate limits.
    config.rate_limits.enabled = false;
    let store = reference_server::cli::serve::open_store(&config)?;
    let app: App = reference_server::cli::serve::open_app(&config, &store).await?;
    let me = app
        .account_by_acct(username)
        .await?
        .ok_or_else(|| Error::Usage(format!("no local account {username}")))?;
    let home = List::Home(me.id);
    let collection_len = app.count(&home).await?;
    let req = PageRequest::newest(limit);
    let mut page_len = 0;
    for _ in 0..warmup {
        let (list, _) = app.statuses_page(&home, &req, Some(me.id)).await?;
        page_len = list.len();
    }
    let mut samples = Vec::with_capacity(requests as usize);
    for _ in 0..requests {
        let t0 = Instant::now();
        let (list, _) = app.statuses_page(&home, &req, Some(me.id)).await?;
        samples.push(u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX));
        page_len = list.len();
    }
    let mut api_latencies = None;
    let mut api_body_len = 0;
    let mut api_store_calls = Vec::new();
    // Filters for the API run: `filters` of 10 keywords each (half of them whole words), in
    // the home context; deleted once the run is over.
    let mut made = Vec::new();
    for f in 0..if api { filters } else { 0 } {
        let changes = reference_server::app::filters::FilterChanges {
            title: Some(format!("bench filter {f}")),
            context: Some(vec!["home".into()]),
            action: Some("warn".into()),
            expires_in: None,
            keywords: (0..10)
                .map(|k| reference_server::app::filters::KeywordChange {
                    keyword: Some(format!("benchword{f}x{k}")),
                    whole_word: Some(k % 2 == 0),
                    ..Default::default()
                })
                .collect(),
        };
        made.push(app.create_filter(me.id, changes).await?.id);
    }
    if api {
        let token = reference_server::api::create_token(&app, me.id, "read").await?;
        let uri = format!("{base_url}/api/v1/timelines/home?limit={limit}");
        let request = http::Request::builder()
            .method(http::Method::GET)
            .uri(&uri)
            .header(http::header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Bytes::new())
            .map_err(|e| Error::Usage(format!("{uri}: {e}")))?;
        for _ in 0..warmup {
            api_body_len = api_answer(&app, &request).await?;
        }
        let mut samples = Vec::with_capacity(requests as usize);
        for _ in 0..requests {
            let t0 = Instant::now();
            api_body_len = api_answer(&app, &request).await?;
            samples.push(u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX));
        }
        api_latencies = Some(Latencies::from_micros(samples));
        let counting = CountingStore::new(store.clone());
        let counted = App::new(
            config.clone(),
            Arc::new(counting.clone()),
            Arc::new(reference_server::cli::serve::transport(&config)?),
        )
        .await?;
        for n in [20, limit] {
            let uri = format!("{base_url}/api/v1/timelines/home?limit={n}");
            let request = http::Request::builder()
                .method(http::Method::GET)
                .uri(&uri)
                .header(http::header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Bytes::new())
                .map_err(|e| Error::Usage(format!("{uri}: {e}")))?;
            api_answer(&counted, &request).await?;
            counting.reset();
            api_answer(&counted, &request).await?;
            api_store_calls.push((n, counting.counts(), counting.calls_by_method()));
        }
    }
    for id in made {
        app.delete_filter(me.id, id).await?;
    }
    Ok(HomeReport {
        latencies: Latencies::from_micros(samples),
        page_len,
        collection_len,
        api_latencies,
        api_body_len,
        api_store_calls,
    })
}

/// The body length of the API's answer to `request` (an error unless it succeeded).
async fn api_answer(app: &App, request: &http::Request<Bytes>) -> Result<usize> {
    let response = reference_server::api::handle(app, request)
        .await
        .ok_or_else(|| Error::Usage(format!("{}: not an API route", request.uri())))?;
    if !response.status().is_success() {
        return Err(Error::Usage(format!(
            "{}: {}",
            request.uri(),
            response.status()
        )));
    }
    Ok(response.body().len())
}
