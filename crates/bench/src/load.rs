//! The WebSocket load test, driven from this process against a running server on loopback:
//! N idle sessions, then M terminals each running `kubectl get pods` once a second (each at its
//! own moment of the second, or all at once with `--aligned`); reports the p50/p99 command
//! latency (line sent → `exit` received). The server's memory is read from outside (`ps -o rss`).

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

struct Options {
    base: String,
    sessions: usize,
    sockets: usize,
    seconds: u64,
    /// All terminals send at the same instant of every second (the worst case) instead of
    /// spread evenly over it (people typing).
    aligned: bool,
}

fn parse(args: &[String]) -> Options {
    let mut o = Options {
        base: String::new(),
        sessions: 10_000,
        sockets: 1_000,
        seconds: 30,
        aligned: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut num = || {
            it.next()
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or_else(|| usage())
        };
        match a.as_str() {
            "--sessions" => o.sessions = num(),
            "--sockets" => o.sockets = num(),
            "--seconds" => o.seconds = num() as u64,
            "--aligned" => o.aligned = true,
            url if o.base.is_empty() && url.starts_with("http://") => {
                o.base = url.trim_end_matches('/').to_string()
            }
            _ => usage(),
        }
    }
    if o.base.is_empty() {
        usage();
    }
    o
}

fn usage() -> ! {
    eprintln!(
        "usage: wheelhouse-bench load http://HOST:PORT [--sessions N] [--sockets N] [--seconds N] [--aligned]"
    );
    std::process::exit(2)
}

/// POST /api/sessions over a plain HTTP/1.1 connection; returns (id, token).
async fn create_session(addr: &str) -> std::io::Result<(String, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    s.write_all(format!("POST /api/sessions HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes())
        .await?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await?;
    let text = String::from_utf8_lossy(&buf);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(body.trim())
        .map_err(|e| std::io::Error::other(format!("bad session reply {e}: {text}")))?;
    Ok((
        v["id"].as_str().unwrap_or_default().to_string(),
        v["token"].as_str().unwrap_or_default().to_string(),
    ))
}

pub fn main(args: &[String]) {
    let o = parse(args);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(run(o));
}

async fn run(o: Options) {
    let addr = o.base.trim_start_matches("http://").to_string();
    let t = Instant::now();
    let mut sessions = Vec::with_capacity(o.sessions);
    for _ in 0..o.sessions {
        match create_session(&addr).await {
            Ok(s) => sessions.push(s),
            Err(e) => {
                eprintln!("creating sessions failed after {}: {e}", sessions.len());
                std::process::exit(1);
            }
        }
    }
    println!(
        "{} sessions created in {:.1} s",
        sessions.len(),
        t.elapsed().as_secs_f64()
    );

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Duration>();
    // Terminals connect first; the commands start a second later. Each terminal has its own
    // phase within the second, spread evenly, as a thousand people typing would (`--aligned`
    // sends them all at once instead).
    let start = tokio::time::Instant::now() + Duration::from_secs(1);
    let deadline = Instant::now() + Duration::from_secs(o.seconds + 1);
    let n = o.sockets.min(sessions.len()).max(1);
    let mut tasks = Vec::new();
    for (i, (id, token)) in sessions.iter().take(o.sockets).cloned().enumerate() {
        let phase = if o.aligned {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(i as f64 / n as f64)
        };
        let url = format!("ws://{addr}/api/sessions/{id}/terminal");
        let tx = tx.clone();
        tasks.push(tokio::spawn(async move {
            let mut req = url.into_client_request().expect("valid URL");
            req.headers_mut().insert(
                "cookie",
                format!("wheelhouse_session={id}.{token}")
                    .parse()
                    .expect("header"),
            );
            let Ok((mut ws, _)) = tokio_tungstenite::connect_async(req).await else {
                return false;
            };
            let mut tick = tokio::time::interval_at(start + phase, Duration::from_secs(1));
            // A command that overran its second does not make the next ones come in a burst.
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while Instant::now() < deadline {
                tick.tick().await;
                let sent = Instant::now();
                let line =
                    serde_json::json!({"type": "line", "line": "kubectl get pods"}).to_string();
                if ws.send(Message::text(line)).await.is_err() {
                    return false;
                }
                loop {
                    match ws.next().await {
                        Some(Ok(Message::Text(t))) if t.contains("\"exit\"") => break,
                        Some(Ok(_)) => continue,
                        _ => return false,
                    }
                }
                let _ = tx.send(sent.elapsed());
            }
            true
        }));
    }
    drop(tx);
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap_or(false) {
            ok += 1;
        }
    }
    let mut lat = Vec::new();
    while let Some(d) = rx.recv().await {
        lat.push(d);
    }
    lat.sort();
    let p = |q: f64| {
        lat.get(((lat.len().max(1) - 1) as f64 * q) as usize)
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{ok}/{} terminals completed; {} commands",
        o.sockets.min(sessions.len()),
        lat.len()
    );
    let p99 = p(0.99);
    println!(
        "{:<58} {:>14}   target {:<12} {}",
        "terminal command latency under load, p99",
        format!("{:.2} ms", p99.as_secs_f64() * 1000.0),
        "< 20 ms",
        if p99 < Duration::from_millis(20) && ok > 0 {
            "ok"
        } else {
            "MISSED"
        }
    );
    println!(
        "{:<58} {:>14}",
        "  p50",
        format!("{:.2} ms", p(0.5).as_secs_f64() * 1000.0)
    );
}
