//! The `slipway-serve` binary: the server of `src/lib.rs` with the process's command line.

fn main() -> std::process::ExitCode {
    slipway_serve::run()
}
