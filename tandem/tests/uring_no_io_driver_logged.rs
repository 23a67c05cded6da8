//! A runtime built without the I/O driver (`enable_time` only, say) serves `tandem::fs` from the
//! blocking pool: Tokio's `fs` needs no driver, so such programs exist. That choice used to be
//! silent; it is now said once per process (on stderr), however many such runtimes are built.

mod support;

use support::{assert_child_ok, child_role, run_child};
use tandem::runtime::Builder;

const ROLE: &str = "TANDEM_NO_IO_DRIVER_CHILD";
const LINE: &str = "tandem: io_uring not used: a runtime was built without the I/O driver";

#[test]
fn file_calls_without_the_io_driver_are_logged_once() {
    if child_role(ROLE).is_some() {
        let path = std::env::temp_dir().join(format!("tandem-no-io-{}", std::process::id()));
        std::fs::write(&path, b"abc").unwrap();
        for _ in 0..3 {
            let rt = Builder::new_current_thread().enable_time().build().unwrap();
            assert_eq!(rt.block_on(tandem::fs::read(&path)).unwrap(), b"abc");
            let stats = rt.handle().metrics().io_uring();
            assert!(!stats.enabled, "no rings without the I/O driver");
        }
        std::fs::remove_file(&path).unwrap();
        return;
    }
    let out = run_child(
        "file_calls_without_the_io_driver_are_logged_once",
        ROLE,
        "1",
    );
    assert_child_ok("the child with three runtimes without I/O", &out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let unavailable = stderr.contains("tandem: io_uring unavailable (");
    let lines = stderr.lines().filter(|l| l.starts_with(LINE)).count();
    if unavailable {
        // io_uring does not work here at all: the probe's own line says so instead.
        assert_eq!(lines, 0, "{stderr}");
    } else {
        assert_eq!(
            lines, 1,
            "want the no-I/O-driver line exactly once:\n{stderr}"
        );
    }
}
