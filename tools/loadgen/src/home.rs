//! The home timeline measured in process: [`App::statuses_page`] on the server's own store,
//! opened as `woolly serve` opens it (same page cache), with no HTTP in between.

use std::path::PathBuf;
use std::time::Instant;

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
}

/// Opens the instance in `data_dir` (not in use by a running server) with `base_url` and
/// times `requests` newest-first pages of `limit` of `username`'s home timeline, after
/// `warmup` untimed ones.
pub async fn home_in_process(
    data_dir: PathBuf,
    base_url: &str,
    username: &str,
    limit: usize,
    warmup: u64,
    requests: u64,
) -> Result<HomeReport> {
    let config = Config {
        data_dir,
        base_url: base_url.to_owned(),
        ..Config::default()
    };
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
    Ok(HomeReport {
        latencies: Latencies::from_micros(samples),
        page_len,
        collection_len,
    })
}
