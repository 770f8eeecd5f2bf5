//! Go-compatible JSON output (filled in by the gojson work).
