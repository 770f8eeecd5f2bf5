fn main() {
    eprintln!("skiff: not implemented yet");
    std::process::exit(1);
}
