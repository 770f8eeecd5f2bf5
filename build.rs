//! Links the `skiff` binary as a position-dependent executable, as skopeo's own binary is.
//! A position-independent one has its ~15,000 internal pointers relocated by the loader at
//! every start, which writes (and so copies) every page holding them: a third of the run of
//! a short command such as `inspect` of a local archive.
//! Not for a static build (`-C target-feature=+crt-static`): rustc links that as a static
//! PIE, and `-no-pie` on top of it makes a binary that crashes at start.
fn main() {
    let linux = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux");
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let static_crt = features.split(',').any(|f| f == "crt-static");
    if linux && !static_crt {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
