//! The load generator against small std servers that behave well, and badly.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use super::{run, Errors, Load, Outcome};
use crate::http::wire::{self, RESPONSE};

/// Starts a thread-per-connection server on a free port: `answer` gets each connection.
fn server(answer: fn(TcpStream)) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream));
        }
    });
    addr
}

/// Answers every request on `stream` with `response`, until the client closes it.
fn answer_with(mut stream: TcpStream, response: &[u8]) {
    let mut buf = [0u8; 1024];
    let mut filled = 0;
    loop {
        match stream.read(&mut buf[filled..]) {
            Ok(0) | Err(_) => return,
            Ok(n) => filled += n,
        }
        while let Ok(Some(request)) = wire::parse_request(&buf[..filled]) {
            if stream.write_all(response).is_err() {
                return;
            }
            buf.copy_within(request.len..filled, 0);
            filled -= request.len;
        }
    }
}

fn load(addr: std::net::SocketAddr, threads: usize, connections: usize) -> Load {
    Load {
        addr,
        threads,
        connections,
        duration: Duration::from_millis(400),
        timeout: Duration::from_millis(150),
        max_opening: 1024,
    }
}

/// Runs `load` and checks that it took about its duration however the server behaved.
fn bounded_run(load: &Load) -> Outcome {
    let began = Instant::now();
    let mut ticks = 0;
    let outcome = run(load, |_, _| ticks += 1).unwrap();
    assert!(
        began.elapsed() < load.duration + Duration::from_secs(1),
        "took {:?}",
        began.elapsed()
    );
    assert!(ticks >= 2, "progress was reported {ticks} times");
    assert_eq!(outcome.latency.len(), outcome.responses);
    // The timeline holds every response, and every error but the connections never answered.
    let seconds = outcome.timeline.seconds();
    assert_eq!(seconds.len(), 1, "a run shorter than a second has one");
    assert_eq!(seconds[0].responses, outcome.responses);
    let errors = outcome.errors.total() - outcome.errors.never_answered;
    assert_eq!(seconds[0].errors, errors);
    assert_eq!(outcome.first_served.is_some(), outcome.responses > 0);
    outcome
}

#[test]
fn keep_alive_server_gets_a_closed_loop_and_no_errors() {
    let addr = server(|stream| answer_with(stream, RESPONSE));
    let outcome = bounded_run(&load(addr, 2, 8));
    assert!(outcome.responses > 100, "{outcome:?}");
    assert_eq!(outcome.errors, Errors::default());
    assert!(outcome.rate() > 0.0);
}

#[test]
fn more_threads_than_connections_is_fine() {
    let addr = server(|stream| answer_with(stream, RESPONSE));
    let outcome = bounded_run(&load(addr, 4, 1));
    assert!(outcome.responses > 10, "{outcome:?}");
    assert_eq!(outcome.errors, Errors::default());
}

#[test]
fn non_2xx_and_connection_close_are_counted_right() {
    let addr = server(|stream| {
        answer_with(
            stream,
            b"HTTP/1.1 503 Busy\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy",
        )
    });
    let outcome = bounded_run(&load(addr, 1, 4));
    assert!(outcome.responses > 10, "{outcome:?}");
    let expected = Errors {
        status: outcome.responses,
        ..Errors::default()
    };
    assert_eq!(
        outcome.errors, expected,
        "a close after the response is no error"
    );
}

#[test]
fn a_server_that_never_accepts_gives_timeouts_and_silent_connections() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let outcome = bounded_run(&load(listener.local_addr().unwrap(), 2, 6));
    assert_eq!(outcome.responses, 0);
    assert!(outcome.errors.timeout >= 6, "{outcome:?}");
    assert_eq!(outcome.errors.never_answered, 6);
    drop(listener);
}

#[test]
fn nothing_listening_gives_connect_errors_at_a_bounded_rate() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let outcome = bounded_run(&load(addr, 1, 3));
    assert_eq!(outcome.responses, 0);
    assert!(outcome.errors.connect >= 3, "{outcome:?}");
    // One retry per connection per CONNECT_RETRY at most, give or take the first.
    assert!(outcome.errors.connect <= 3 * (400 / 10 + 2), "{outcome:?}");
    assert_eq!(outcome.errors.never_answered, 3);
}

#[test]
fn a_server_that_hangs_up_gives_read_errors() {
    let addr = server(|mut stream| {
        let mut buf = [0u8; 256];
        let _ = stream.read(&mut buf);
    });
    let outcome = bounded_run(&load(addr, 1, 2));
    assert_eq!(outcome.responses, 0);
    assert!(outcome.errors.read > 2, "{outcome:?}");
    assert_eq!(outcome.errors.never_answered, 2);
}

#[test]
fn responses_split_across_reads_are_reassembled() {
    let addr = server(|mut stream| {
        let mut buf = [0u8; 256];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                return;
            }
            let _ = stream.set_nodelay(true);
            let (head, body) = RESPONSE.split_at(RESPONSE.len() - 5);
            let _ = stream.write_all(head);
            std::thread::sleep(Duration::from_millis(2));
            if stream.write_all(body).is_err() {
                return;
            }
        }
    });
    let outcome = bounded_run(&load(addr, 1, 2));
    assert!(outcome.responses > 10, "{outcome:?}");
    assert_eq!(outcome.errors, Errors::default());
    assert!(outcome.latency.value_at_quantile(0.5) >= 2_000);
}

#[test]
fn connections_past_the_window_wait_for_the_first_ones_to_be_served() {
    let addr = server(|stream| answer_with(stream, RESPONSE));
    let load = Load {
        max_opening: 4,
        ..load(addr, 2, 40)
    };
    let outcome = bounded_run(&load);
    assert_eq!(outcome.errors, Errors::default(), "{outcome:?}");
    let served = outcome.first_served.unwrap();
    assert!(served.earliest <= served.latest);
    assert_eq!(served.spread(), served.latest - served.earliest);
}

#[test]
fn a_server_that_never_accepts_gets_no_more_connections_than_the_window() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let load = Load {
        // 2 threads, 2 places each; no request times out during the run.
        max_opening: 4,
        timeout: Duration::from_secs(5),
        ..load(listener.local_addr().unwrap(), 2, 8)
    };
    let outcome = bounded_run(&load);
    let expected = Errors {
        never_answered: 8,
        ..Errors::default()
    };
    assert_eq!(outcome.errors, expected);
    // Every connection the load generator opened is in the accept queue (closed since).
    listener.set_nonblocking(true).unwrap();
    let queued = std::iter::from_fn(|| listener.accept().ok()).count();
    assert_eq!(queued, 4);
}
