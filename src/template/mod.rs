//! Go text/template rendering (filled in by the template work).
