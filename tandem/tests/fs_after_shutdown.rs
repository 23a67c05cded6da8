//! A file-system call on the handle of a runtime that has shut down fails with Tokio's error:
//! kind `Other`, "background task failed" (Tokio's `rt_handle_block_on` matches on both).

use std::time::Duration;

#[test]
fn fs_after_shutdown_reports_background_task_failed() {
    for multi in [false, true] {
        let rt = if multi {
            tandem::runtime::Builder::new_multi_thread()
        } else {
            tandem::runtime::Builder::new_current_thread()
        }
        .enable_all()
        .build()
        .unwrap();
        let _enter = rt.enter();
        rt.shutdown_timeout(Duration::from_secs(1000));
        let err = tandem::runtime::Handle::current()
            .block_on(tandem::fs::read_to_string("Cargo.toml"))
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::Other, "{err:?}");
        assert_eq!(err.get_ref().unwrap().to_string(), "background task failed");
    }
}
