//! The HTTP server (being written): hyper on tokio, the router, federation endpoints, web
//! pages, the admin endpoint, graceful shutdown.
