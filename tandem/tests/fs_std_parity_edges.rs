//! Inputs where `tandem::fs` gave another result or error than std (kind, OS error, message),
//! on every flavour and backend:
//! - `set_len` past `i64::MAX`: std's conversion error, not `EINVAL`;
//! - a NUL in the path of an open whose options are also wrong: std reports the NUL.

#[path = "support/fs.rs"]
mod fs_support;
mod support;

use std::fmt::Debug;
use std::io;
use tandem::fs::OpenOptions;

/// Both `Ok`, or errors equal in kind, OS error and message.
#[track_caller]
fn assert_identical<T: Debug, U: Debug>(ours: &io::Result<T>, std: &io::Result<U>, what: &str) {
    match (ours, std) {
        (Ok(_), Ok(_)) => {}
        (Err(a), Err(b)) => {
            assert_eq!(
                a.kind(),
                b.kind(),
                "{what}: kind ({a:?} against std's {b:?})"
            );
            assert_eq!(a.raw_os_error(), b.raw_os_error(), "{what}: OS error");
            assert_eq!(a.to_string(), b.to_string(), "{what}: message");
        }
        _ => panic!("{what}: {ours:?} against std's {std:?}"),
    }
}

fs_test!(async fn set_len_past_i64_max_fails_as_std(dir) {
    let path = dir.join("f");
    std::fs::write(&path, b"hello").unwrap();
    let ours = OpenOptions::new().write(true).open(&path).await.unwrap();
    let theirs = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    for len in [u64::MAX, 1 << 63] {
        let std_res = theirs.set_len(len);
        assert_identical(&ours.set_len(len).await, &std_res, &format!("set_len({len})"));
    }
});

fs_test!(
    // The contradictory options are the point: std reports the NUL first.
    #[allow(clippy::nonsensical_open_options)]
    async fn a_nul_in_the_path_is_reported_before_wrong_options(_dir) {
    let path = "a\0b";
    assert_identical(
        &OpenOptions::new().open(path).await.map(drop),
        &std::fs::OpenOptions::new().open(path).map(drop),
        "no access mode",
    );
    assert_identical(
        &OpenOptions::new().read(true).truncate(true).open(path).await.map(drop),
        &std::fs::OpenOptions::new().read(true).truncate(true).open(path).map(drop),
        "truncate without write",
    );
    }
);
