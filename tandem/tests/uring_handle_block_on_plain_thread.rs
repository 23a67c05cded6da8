//! `Handle::block_on` from a plain thread on a current-thread runtime that no thread drives
//! (nobody is inside `Runtime::block_on`): its file operations go to the runtime's shared ring,
//! and those the kernel punts to its workers (any `O_CREAT` open, as in `fs::write`) complete
//! later, with no driver to reap them. The waiting thread reaps them itself; it used to hang.

mod support;

use std::time::Duration;

use tandem::runtime::{Builder, UringMode};

#[test]
fn handle_block_on_completes_file_operations_with_no_driver_running() {
    let dir = std::env::temp_dir().join(format!("tandem-handle-block-on-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for mode in [UringMode::Auto, UringMode::Off] {
        let rt = Builder::new_current_thread()
            .enable_all()
            .io_uring(mode)
            .build()
            .unwrap();
        let handle = rt.handle().clone();
        let dir = dir.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for i in 0..200 {
                let path = dir.join(format!("file-{i}"));
                let contents = format!("file {i}");
                handle
                    .block_on(tandem::fs::write(&path, &contents))
                    .unwrap();
                let back = handle.block_on(tandem::fs::read_to_string(&path)).unwrap();
                assert_eq!(back, contents);
                handle.block_on(tandem::fs::remove_file(&path)).unwrap();
            }
            tx.send(()).unwrap();
        });
        // A hang detector, not a timing: 200 small files take milliseconds.
        rx.recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("{mode:?}: Handle::block_on hangs on file operations"));
        drop(rt);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
