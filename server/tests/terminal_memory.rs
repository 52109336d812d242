//! What an idle terminal WebSocket costs (issue 9: axum's default buffers cost ~130 KB per idle
//! socket). Measured with a counting allocator over 200 sockets; the client ends live in the same
//! process with small buffers too, so the figure is an upper bound for the server's side.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use server::{app, AppState, Config};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const SOCKETS: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_terminal_costs_little_memory() {
    let state = AppState::new(Config::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app(state.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let sessions: Vec<_> = (0..SOCKETS).map(|_| state.sessions.create()).collect();
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let connect = |id: String, token: String| async move {
        let mut req = format!("ws://{addr}/api/sessions/{id}/terminal")
            .into_client_request()
            .unwrap();
        req.headers_mut().insert(
            "cookie",
            format!("wheelhouse_session={id}.{token}").parse().unwrap(),
        );
        let (mut ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), false)
            .await
            .unwrap();
        ws.next().await.unwrap().unwrap(); // the history message
        ws
    };
    // Warm up (lazy statics, the runtime's pools), then measure.
    let warm = connect(sessions[0].id.clone(), sessions[0].token.clone()).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = LIVE.load(Ordering::Relaxed);
    let mut sockets = Vec::new();
    for s in &sessions[1..] {
        sockets.push(connect(s.id.clone(), s.token.clone()).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let per = (LIVE.load(Ordering::Relaxed) - before) / (SOCKETS - 1);
    println!(
        "idle terminal socket, both ends: {:.1} KiB",
        per as f64 / 1024.0
    );
    assert!(per < 48 * 1024, "{per} bytes per idle socket");
    drop((warm, sockets));
}
