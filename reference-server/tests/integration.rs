//! The integration tests of `reference-server` as one test binary: each module below is one file of
//! `tests/`. One binary links the crate once instead of once per file (build time and
//! disk). Run one file's tests with `cargo test -p reference-server --test integration <module>::`.

// Shared helpers.
mod api_support;
mod common;
mod remote_peer;

// The tests, one module per file.
mod api_accounts;
mod api_admin_domains;
mod api_conversations;
mod api_emoji;
mod api_errors;
mod api_lists;
mod api_lists_page_cost;
mod api_media;
mod api_media_profile;
mod api_notification_groups;
mod api_notification_requests;
mod api_oauth;
mod api_page_cost;
mod api_polls;
mod api_saving;
mod api_scheduled;
mod api_statuses;
mod api_streaming;
mod api_timelines;
mod app_cards;
mod app_domain_rules;
mod app_quotes;
mod app_remote_actors;
mod app_remote_emoji;
mod app_remote_media;
mod app_remote_media_guard;
mod app_remote_polls;
mod bench_poll_votes;
mod cli_sig;
mod config_extra_ca;
mod corpus_check;
mod data_dir_binding;
mod federation_collections;
mod federation_pins;
mod federation_polls;
mod federation_thread_mute;
mod fedify_interop;
mod http_config;
mod http_federation;
mod http_media;
mod http_serve;
mod http_shutdown;
mod http_too_large;
mod mastodon_py;
mod media_av;
mod media_processing;
mod multi_instance;
mod multi_instance_conversations;
mod multi_instance_emoji;
mod multi_instance_media;
mod multi_instance_polls;
mod multi_instance_quotes;
mod sanitize_html;
mod serve_malloc_tuning;
mod serve_scheduled;
mod serve_shutdown;
