//! File-system calls through the handle of a runtime that has shut down fail with an error
//! instead of hanging (no ring would reap their completions, no pool thread would run them).

use tandem::runtime::{Builder, UringMode};

#[test]
fn fs_calls_after_shutdown_fail_promptly() {
    let path = std::env::temp_dir().join(format!("tandem-after-shutdown-{}", std::process::id()));
    std::fs::write(&path, b"contents").unwrap();
    for mode in [UringMode::Auto, UringMode::Off] {
        let rt = Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .io_uring(mode)
            .build()
            .unwrap();
        let handle = rt.handle().clone();
        let file = rt.block_on(tandem::fs::File::open(&path)).unwrap();
        drop(rt);
        let _enter = handle.enter();
        let (res, _buf) = futures::executor::block_on(file.read_at(Vec::with_capacity(8), 0));
        assert!(
            res.is_err(),
            "{mode:?}: read_at after shutdown gave {res:?}"
        );
        let res = futures::executor::block_on(tandem::fs::read(&path));
        assert!(
            res.is_err(),
            "{mode:?}: fs::read after shutdown gave {res:?}"
        );
    }
    std::fs::remove_file(&path).unwrap();
}
