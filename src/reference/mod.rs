//! Image names: `transport:details` parsing and the docker reference grammar.
