//! Nothing here: the programs are the integration tests under `tests/`.
