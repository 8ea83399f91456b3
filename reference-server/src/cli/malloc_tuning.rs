//! glibc's malloc, tuned for `woolly serve`: a fixed mmap threshold, set by re-executing the
//! binary once with `GLIBC_TUNABLES`.
//!
//! Why: glibc serves an allocation of at least its mmap threshold (128 KiB at first) with its
//! own `mmap` and gives it back with `munmap` when freed. But each time such a block is freed
//! glibc raises the threshold to the block's size (up to 32 MiB), so the next image buffers
//! (a decoded 12-megapixel photo is 36 MB, its scaled copy 25 MB, rows and encoder buffers
//! below that) come from its arenas instead, one per thread that allocates, where freed
//! memory mostly stays resident: measured, the server kept 233 MiB after four uploads at once
//! and grew with every round (BENCHMARKS.md, "Media"). A threshold that is set explicitly is
//! fixed, so every large buffer is mapped and unmapped on its own and resident memory goes
//! back down when processing ends. glibc reads the setting only when the process starts, and
//! `mallopt` is C (the crate forbids `unsafe`), hence the re-execution: `exec` keeps the
//! process id, arguments, standard streams and environment.
//!
//! `WOOLLY_MALLOC_TUNING=off` leaves the allocator as the environment has it; a
//! `GLIBC_TUNABLES` that already names `glibc.malloc.mmap_threshold` is left alone. Other
//! C libraries (musl) and systems do not re-execute.

/// The mmap threshold `woolly serve` runs with: glibc's own starting value, kept fixed.
pub const MMAP_THRESHOLD: usize = 128 * 1024;

/// glibc's environment variable of tunables.
pub const TUNABLES_VAR: &str = "GLIBC_TUNABLES";

/// `off` turns the re-execution off.
pub const SWITCH_VAR: &str = "WOOLLY_MALLOC_TUNING";

/// Set on the re-executed process, so it never re-executes again (a C library that ignores
/// `GLIBC_TUNABLES` would otherwise loop).
const DONE_VAR: &str = "WOOLLY_MALLOC_TUNED";

const TUNABLE: &str = "glibc.malloc.mmap_threshold";

/// The `GLIBC_TUNABLES` value to run with, given the current one: `None` when it already
/// sets the mmap threshold (the operator's choice wins), else the current tunables (if any)
/// with the threshold appended.
pub fn tunables_with_threshold(current: Option<&str>) -> Option<String> {
    let current = current.unwrap_or_default();
    let names_it = current
        .split(':')
        .any(|t| t.split('=').next() == Some(TUNABLE));
    if names_it {
        return None;
    }
    let ours = format!("{TUNABLE}={MMAP_THRESHOLD}");
    Some(if current.is_empty() {
        ours
    } else {
        format!("{current}:{ours}")
    })
}

/// Re-executes this binary with [`MMAP_THRESHOLD`] in `GLIBC_TUNABLES`, on Linux with glibc,
/// unless turned off or done already. Returns only when it does not re-execute; a failed
/// `exec` is reported on standard error and the process goes on untuned. Call it before any
/// thread is started.
pub fn reexec_with_malloc_tuning() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;

        if std::env::var_os(SWITCH_VAR).is_some_and(|v| v == "off")
            || std::env::var_os(DONE_VAR).is_some()
        {
            return;
        }
        let current = std::env::var_os(TUNABLES_VAR);
        let Some(current) = current.as_ref().map_or(Some(""), |v| v.to_str()) else {
            return; // not UTF-8: not ours to rewrite
        };
        let Some(tunables) = tunables_with_threshold(Some(current)) else {
            return;
        };
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let mut args = std::env::args_os();
        let mut cmd = std::process::Command::new(exe);
        if let Some(argv0) = args.next() {
            cmd.arg0(argv0);
        }
        let err = cmd
            .args(args)
            .env(TUNABLES_VAR, tunables)
            .env(DONE_VAR, "1")
            .exec();
        eprintln!("woolly: running without malloc tuning: re-execution failed: {err}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_is_added_or_appended() {
        assert_eq!(
            tunables_with_threshold(None).as_deref(),
            Some("glibc.malloc.mmap_threshold=131072")
        );
        assert_eq!(
            tunables_with_threshold(Some("")).as_deref(),
            Some("glibc.malloc.mmap_threshold=131072")
        );
        assert_eq!(
            tunables_with_threshold(Some("glibc.malloc.arena_max=2")).as_deref(),
            Some("glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=131072")
        );
    }

    #[test]
    fn an_operators_threshold_is_kept() {
        assert_eq!(
            tunables_with_threshold(Some("glibc.malloc.mmap_threshold=65536")),
            None
        );
        assert_eq!(
            tunables_with_threshold(Some(
                "glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=1"
            )),
            None
        );
        // A longer name that merely starts the same is another tunable.
        assert!(tunables_with_threshold(Some("glibc.malloc.mmap_threshold_x=1")).is_some());
    }
}
