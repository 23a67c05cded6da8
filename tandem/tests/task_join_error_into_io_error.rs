//! `io::Error::from(JoinError)` says what Tokio's says: `ErrorKind::Other`, "task was
//! cancelled" or "task panicked", without the id or the payload (it used the `JoinError`'s
//! `Display`, "task 5 was cancelled").

use std::io;

#[test]
fn cancelled_and_panicked_tasks_convert_with_tokios_words() {
    let rt = tandem::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let pending = tandem::spawn(std::future::pending::<()>());
        pending.abort();
        let cancelled = io::Error::from(pending.await.unwrap_err());
        assert_eq!(cancelled.kind(), io::ErrorKind::Other);
        assert_eq!(cancelled.to_string(), "task was cancelled");

        let panicked = io::Error::from(tandem::spawn(async { panic!("boom") }).await.unwrap_err());
        assert_eq!(panicked.kind(), io::ErrorKind::Other);
        assert_eq!(panicked.to_string(), "task panicked");
    });
}
