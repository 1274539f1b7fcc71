//! The `mdm` binary: a thin shell over [`mdm::cli`].

fn main() {
    limit_malloc_arenas();
    std::process::exit(mdm::cli::main());
}

/// glibc gives each thread that allocates its own malloc arena, and memory
/// freed into one arena is not reused by another: the parser thread's
/// batches, freed by the loading thread, made registering a 5,000-column
/// file (2,000 rows) peak at 202 MB, against 152-163 MB with two arenas
/// (70 MB for a 100-column file of the same size; `/usr/bin/time -v`).
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator settings; called before any
    // thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
