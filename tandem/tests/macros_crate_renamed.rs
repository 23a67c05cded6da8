//! The drop-in recipe works: a project that depends on Tandem renamed as `tokio`
//! (`tokio = { package = "tandem", ... }`) builds and runs `#[tokio::main]` and `#[tokio::test]`,
//! which only compiles if the macros find the crate under the name it is imported as; and
//! `select!`, `join!`, `try_join!`, `pin!` and `task_local!` under that name.
//!
//! The test writes a throwaway project in a temporary directory and runs `cargo test` on it
//! offline (every dependency is already in the local registry cache, since this workspace built
//! them), sharing a target directory under this workspace's so repeated runs are incremental.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn tokio_renamed_to_tandem_builds_and_runs() {
    let tandem_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let project = std::env::temp_dir().join(format!("tandem-renamed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&project);
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::write(
        project.join("Cargo.toml"),
        format!(
            "[package]\nname = \"renamed-check\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
             [dependencies]\ntokio = {{ package = \"tandem\", path = {:?} }}\n\n[workspace]\n",
            tandem_dir.display().to_string()
        ),
    )
    .unwrap();
    std::fs::write(
        project.join("src/main.rs"),
        r#"
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let answer = tokio::spawn(async { 40 + 2 }).await.unwrap();
    assert_eq!(answer, 42);
    println!("renamed main ran on {:?}", tokio::runtime::Handle::current().runtime_flavor());
}

#[tokio::test]
async fn renamed_test_macro() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move { tx.send(7).unwrap() });
    assert_eq!(rx.await.unwrap(), 7);

    // The function-like macros name their support items through `$crate`.
    tokio::task_local! {
        static KEY: u8;
    }
    let fut = async { 1 };
    tokio::pin!(fut);
    let picked = tokio::select! {
        v = &mut fut => v,
        else => 0,
    };
    let joined = tokio::join!(async { 2 }, KEY.scope(3, async { KEY.get() }));
    let tried = tokio::try_join!(async { Ok::<_, ()>(4) });
    assert_eq!((picked, joined, tried), (1, (2, 3), Ok((4,))));
}
"#,
    )
    .unwrap();
    let target = tandem_dir.join("../target/renamed-check");
    let cargo = env!("CARGO");
    let test = Command::new(cargo)
        .args(["test", "--offline", "--quiet"])
        .current_dir(&project)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("run cargo test on the renamed project");
    let run = Command::new(cargo)
        .args(["run", "--offline", "--quiet"])
        .current_dir(&project)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("run the renamed project");
    let _ = std::fs::remove_dir_all(&project);
    assert!(
        test.status.success(),
        "cargo test failed:\n{}",
        String::from_utf8_lossy(&test.stderr)
    );
    assert!(
        String::from_utf8_lossy(&test.stdout).contains("1 passed"),
        "the renamed #[tokio::test] did not run:\n{}",
        String::from_utf8_lossy(&test.stdout)
    );
    assert!(
        run.status.success(),
        "cargo run failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(String::from_utf8_lossy(&run.stdout).contains("renamed main ran on MultiThread"));
}
