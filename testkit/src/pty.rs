//! Starts a program on the slave side of a new pseudo-terminal of a given
//! size, as its session leader with the terminal as its controlling one.

use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
use rustix::termios::{tcsetwinsize, Winsize};
use std::fs::File;
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

/// Spawns `command` in a `rows` × `cols` pseudo-terminal; returns the child
/// and the master side twice: to type into and to read the output from.
pub fn spawn_in_pty(command: &mut Command, rows: u16, cols: u16) -> (Child, File, File) {
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("a pty");
    grantpt(&master).expect("grantpt");
    unlockpt(&master).expect("unlockpt");
    let name = ptsname(&master, Vec::new()).expect("ptsname");
    tcsetwinsize(
        &master,
        Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        },
    )
    .expect("window size");
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(name.to_str().expect("a utf-8 pty name"))
        .expect("open the pty's slave side");
    command
        .stdin(Stdio::from(slave.try_clone().expect("dup")))
        .stdout(Stdio::from(slave.try_clone().expect("dup")))
        .stderr(Stdio::from(slave));
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            rustix::process::setsid().map_err(std::io::Error::from)?;
            rustix::process::ioctl_tiocsctty(std::io::stdin().as_fd())
                .map_err(std::io::Error::from)?;
            Ok(())
        });
    }
    let child = command.spawn().expect("start the program in the pty");
    let input = File::from(master.try_clone().expect("dup the master"));
    (child, input, File::from(master))
}
