//! `tokio::process` with piped output, read through tokio-util's `FramedRead` + `LinesCodec`
//! (a library reading a child's stdout as a stream of lines), and stdin written by the program.

mod common;

use common::on_both_flavours;
use futures_util::StreamExt;
use std::process::Stdio;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;
use tokio_util::codec::{FramedRead, LinesCodec};

#[test]
fn piped_child_lines() {
    on_both_flavours("tokio::process piped", || async {
        let mut child = Command::new("sh")
            .args(["-c", "while read line; do echo \"got $line\"; done; echo done >&2; exit 7"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = tokio::spawn(async move {
            for i in 0..100 {
                stdin.write_all(format!("{i}\n").as_bytes()).await.unwrap();
            }
            // Dropping stdin closes it: the shell's loop ends.
        });
        let mut lines = FramedRead::new(child.stdout.take().unwrap(), LinesCodec::new());
        let mut n = 0;
        while let Some(line) = lines.next().await {
            assert_eq!(line.unwrap(), format!("got {n}"));
            n += 1;
        }
        assert_eq!(n, 100);
        writer.await.unwrap();
        let output = child.wait_with_output().await.unwrap();
        assert_eq!(output.status.code(), Some(7));
        assert_eq!(output.stderr, b"done\n");

        let out = Command::new("echo").arg("hello").output().await.unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, b"hello\n");
    });
}
