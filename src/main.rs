//! The `mdm` binary: a thin shell over [`mdm::cli`].

fn main() {
    std::process::exit(mdm::cli::main());
}
