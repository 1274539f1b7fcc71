//! The driver finds the libduckdb.so installed next to it.
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-rpath,$ORIGIN");
}
