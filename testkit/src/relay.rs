//! A TCP relay in front of a database server that can go away and come back:
//! [`Relay::cut`] closes every relayed connection and stops listening (new
//! connections are refused, as when the server is down); [`Relay::restore`]
//! listens again on the same port.

use std::io::ErrorKind;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Relay {
    pub port: u16,
    upstream: SocketAddr,
    streams: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
    accepting: Mutex<Option<JoinHandle<()>>>,
}

impl Relay {
    pub fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the relay");
        let port = listener.local_addr().expect("relay address").port();
        let relay = Self {
            port,
            upstream,
            streams: Arc::default(),
            stop: Arc::new(AtomicBool::new(false)),
            accepting: Mutex::new(None),
        };
        relay.listen(listener);
        relay
    }

    fn listen(&self, listener: TcpListener) {
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        self.stop.store(false, SeqCst);
        let (streams, stop, upstream) = (
            Arc::clone(&self.streams),
            Arc::clone(&self.stop),
            self.upstream,
        );
        let thread = std::thread::spawn(move || {
            while !stop.load(SeqCst) {
                let client = match listener.accept() {
                    Ok((client, _)) => client,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                    Err(_) => continue,
                };
                let _ = client.set_nonblocking(false);
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                if let Ok(mut list) = streams.lock() {
                    list.extend(client.try_clone().ok());
                    list.extend(server.try_clone().ok());
                }
                for (from, to) in [
                    (client.try_clone(), server.try_clone()),
                    (Ok(server), Ok(client)),
                ] {
                    if let (Ok(mut from), Ok(mut to)) = (from, to) {
                        std::thread::spawn(move || {
                            let _ = std::io::copy(&mut from, &mut to);
                            let _ = to.shutdown(Shutdown::Both);
                        });
                    }
                }
            }
        });
        if let Ok(mut accepting) = self.accepting.lock() {
            *accepting = Some(thread);
        }
    }

    /// The server goes away: open connections are cut, new ones refused.
    pub fn cut(&self) {
        self.stop.store(true, SeqCst);
        let thread = self.accepting.lock().ok().and_then(|mut a| a.take());
        if let Some(thread) = thread {
            let _ = thread.join();
        }
        if let Ok(mut list) = self.streams.lock() {
            for stream in list.drain(..) {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
    }

    /// The server is back on the same address.
    pub fn restore(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).expect("listen again");
        self.listen(listener);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
    }
}
