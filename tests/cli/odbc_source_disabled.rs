//! `register --odbc` in a build without the `odbc` feature: a clear
//! configuration error, nothing stored.

use crate::common::Env;

#[test]
fn register_from_an_odbc_source_needs_the_odbc_feature() {
    let env = Env::new();
    let message = env.fails(
        &[
            "dataset",
            "register",
            "src",
            "--odbc",
            "DSN=x;PWD=hidden-one",
            "--query",
            "SELECT 1",
        ],
        7,
    );
    assert!(message.contains("built without ODBC"), "{message}");
    assert!(!message.contains("hidden-one"), "{message}");
    assert!(!env.data_exists("src"));
}
