//! Helpers shared by Woolly's cross-crate tests; the tests are the `[[test]]` targets beside
//! this file.
