use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// A TCP forwarder in front of a real server (Postgres, say) that a test can
/// cut and restore, to play an outage without stopping the shared server.
pub struct TcpProxy {
    addr: SocketAddr,
    target: SocketAddr,
    task: Option<JoinHandle<()>>,
}

impl TcpProxy {
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        Self {
            addr,
            target,
            task: Some(tokio::spawn(forward(listener, target))),
        }
    }

    /// A proxy in front of `pool`'s database server, and a pool that connects
    /// through it (giving up on a connection after two seconds).
    pub async fn in_front_of(pool: &sqlx::PgPool) -> (Self, sqlx::PgPool) {
        let options = (*pool.connect_options()).clone();
        let server = format!("{}:{}", options.get_host(), options.get_port());
        let target = tokio::net::lookup_host(&server)
            .await
            .ok()
            .and_then(|mut addrs| addrs.next())
            .unwrap_or_else(|| panic!("cannot resolve {server}"));
        let proxy = Self::start(target).await;
        let proxied = sqlx::postgres::PgPoolOptions::new()
            .acquire_timeout(std::time::Duration::from_secs(2))
            .connect_lazy_with(options.host("127.0.0.1").port(proxy.local_addr().port()));
        (proxy, proxied)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes the listener and every forwarded connection.
    pub async fn cut(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// Listens again on the same port.
    pub async fn restore(&mut self) {
        self.cut().await;
        let listener = TcpListener::bind(self.addr).await.expect("rebind proxy");
        self.task = Some(tokio::spawn(forward(listener, self.target)));
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

async fn forward(listener: TcpListener, target: SocketAddr) {
    // Dropped with this task, which aborts every forwarded connection.
    let mut connections = JoinSet::new();
    while let Ok((mut inbound, _)) = listener.accept().await {
        connections.spawn(async move {
            if let Ok(mut outbound) = TcpStream::connect(target).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
        while connections.try_join_next().is_some() {}
    }
}
