//! Links the `skiff` binary as a position-dependent executable, as skopeo's own binary is.
//! A position-independent one has its ~15,000 internal pointers relocated by the loader at
//! every start, which writes (and so copies) every page holding them: a third of the run of
//! a short command such as `inspect` of a local archive.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
