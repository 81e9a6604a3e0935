//! Loopback ports for processes a test starts, without racing other tests
//! for them.
//!
//! A port chosen by binding port 0 and letting it go is free only at that
//! moment: another test's listener may take it before the process binds it.
//! The process then fails to bind and exits, while connections to the port
//! reach the other listener and look like success. [`listening`] asks the
//! kernel whose socket listens on the port; [`wait_listening`] waits for a
//! process to listen on its own; [`spawn_listening`] starts a process on a
//! fresh port until it is its own.

use std::process::Child;
use std::time::{Duration, Instant};

/// A loopback port nobody listened on when asked.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Whether process `pid` holds the IPv4 socket listening on `port`
/// (Linux: the listening sockets of `/proc/net/tcp`, matched by inode
/// against the process's open files).
pub fn listening(pid: u32, port: u16) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return false;
    };
    // `sl local_address rem_address st … inode`; state 0A is LISTEN.
    let sockets: Vec<String> = table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local_port = fields.get(1)?.rsplit(':').next()?;
            let listens =
                u16::from_str_radix(local_port, 16).ok()? == port && *fields.get(3)? == "0A";
            let inode = fields.get(9)?;
            listens.then(|| format!("socket:[{inode}]"))
        })
        .collect();
    if sockets.is_empty() {
        return false;
    }
    let Ok(files) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    files.flatten().any(|file| {
        std::fs::read_link(file.path())
            .is_ok_and(|target| sockets.iter().any(|s| target.as_os_str() == s.as_str()))
    })
}

/// How a started process came out of [`wait_listening`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    /// It listens on every port itself.
    Listening,
    /// It exited first (a port was taken, or it failed).
    Exited,
    /// It did neither within the deadline.
    TimedOut,
}

/// Waits until `child` itself listens on every one of `ports`, exits, or
/// lets `deadline` pass.
pub fn wait_listening(child: &mut Child, ports: &[u16], deadline: Duration) -> Started {
    let give_up = Instant::now() + deadline;
    loop {
        if ports.iter().all(|&port| listening(child.id(), port)) {
            return Started::Listening;
        }
        if !matches!(child.try_wait(), Ok(None)) {
            return Started::Exited;
        }
        if Instant::now() >= give_up {
            return Started::TimedOut;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts a process with `spawn(port)` on a free port, and again on another
/// while it exits before it listens there (its port was taken); panics when
/// it neither listens nor exits within `deadline`.
pub fn spawn_listening(mut spawn: impl FnMut(u16) -> Child, deadline: Duration) -> (Child, u16) {
    for _ in 0..5 {
        let port = free_port();
        let mut child = spawn(port);
        match wait_listening(&mut child, &[port], deadline) {
            Started::Listening => return (child, port),
            Started::Exited => {}
            Started::TimedOut => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the process did not listen on port {port} within {deadline:?}");
            }
        }
    }
    panic!("the process exited five times before it listened");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listener_is_known_by_its_own_process_only() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        assert!(listening(std::process::id(), port));
        // Another process does not hold it.
        let mut other = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("sleep");
        assert!(!listening(other.id(), port));
        let _ = other.kill();
        let _ = other.wait();
        drop(listener);
        assert!(!listening(std::process::id(), port));
    }

    /// A port another listener holds answers connections, but the process
    /// started on it exits: it is started again on another port.
    #[test]
    fn a_port_taken_by_another_listener_is_chosen_again() {
        let mut taken = None;
        let mut ports = Vec::new();
        let (mut child, port) = spawn_listening(
            |port| {
                ports.push(port);
                let listen = format!(
                    "import socket, time; s = socket.socket(); \
                     s.bind(('127.0.0.1', {port})); s.listen(); time.sleep(30)"
                );
                if taken.is_none() {
                    // Someone else listens there first: the process fails.
                    taken = std::net::TcpListener::bind(("127.0.0.1", port)).ok();
                }
                std::process::Command::new("python3")
                    .args(["-c", &listen])
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .expect("python3")
            },
            Duration::from_secs(10),
        );
        let _ = child.kill();
        let _ = child.wait();
        assert!(taken.is_some());
        assert_eq!(ports.len(), 2, "{ports:?}");
        assert_eq!(port, ports[1]);
    }
}
