//! Faults of the disk under the database.
//!
//! - [`Immutable`]: files made read-only while the daemon has them open, with
//!   the immutable inode flag (`chattr +i`). ext4, xfs and btrfs refuse writes
//!   through descriptors opened before the flag was set, as they do after a
//!   filesystem error remounts the disk read-only. Needs CAP_LINUX_IMMUTABLE.
//! - [`set_writable`]: plain permissions, which only bite when the daemon
//!   (re)opens the files, and only for a user without CAP_DAC_OVERRIDE; see
//!   [`unprivileged_user`].
//! - [`SmallFs`]: a filesystem small enough to fill: a tmpfs mounted for the
//!   test (CAP_SYS_ADMIN), else `/dev/shm` when it is small, as in a
//!   container (64 MiB by default).

use rustix::fs::{ioctl_getflags, ioctl_setflags, statvfs, IFlags};
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Files carrying the immutable flag until [`Immutable::clear`] or drop.
pub struct Immutable {
    files: Vec<File>,
}

fn set_immutable(file: &File, on: bool) -> io::Result<()> {
    let flags = ioctl_getflags(file)?;
    let flags = if on {
        flags | IFlags::IMMUTABLE
    } else {
        flags.difference(IFlags::IMMUTABLE)
    };
    ioctl_setflags(file, flags)?;
    Ok(())
}

impl Immutable {
    /// Whether the technique works in `dir`; the reason when it does not.
    pub fn probe(dir: &Path) -> Result<(), String> {
        let path = dir.join("immutable-probe");
        let mut file = File::options()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        let _ = file.write_all(b"probe");
        let set = set_immutable(&file, true);
        let refused = set.is_ok() && file.write_all(b"x").is_err();
        let _ = set_immutable(&file, false);
        let _ = fs::remove_file(&path);
        match set {
            Err(e) => Err(format!(
                "cannot set the immutable flag in {} ({e}): it needs CAP_LINUX_IMMUTABLE and a filesystem with inode flags",
                dir.display()
            )),
            Ok(()) if !refused => Err(format!(
                "the filesystem of {} keeps accepting writes to immutable files through open descriptors",
                dir.display()
            )),
            Ok(()) => Ok(()),
        }
    }

    /// Sets the flag on every existing file of `paths`.
    pub fn set(paths: &[PathBuf]) -> io::Result<Self> {
        let mut files = Vec::new();
        for path in paths.iter().filter(|p| p.exists()) {
            let file = File::open(path)?;
            set_immutable(&file, true)?;
            files.push(file);
        }
        Ok(Self { files })
    }

    pub fn clear(self) {}
}

impl Drop for Immutable {
    fn drop(&mut self) {
        for file in &self.files {
            let _ = set_immutable(file, false);
        }
    }
}

/// Removes (or restores) the write permission of every existing file of `paths`.
pub fn set_writable(paths: &[PathBuf], writable: bool) {
    for path in paths.iter().filter(|p| p.exists()) {
        let mut permissions = fs::metadata(path).expect("metadata").permissions();
        permissions.set_mode(if writable { 0o644 } else { 0o444 });
        fs::set_permissions(path, permissions).expect("chmod");
    }
}

/// The user and group to run the daemon as so that permissions apply to it:
/// `nobody` when this process is root (root ignores file permissions),
/// otherwise this process's own user (`None`: no switch needed).
pub fn unprivileged_user() -> Option<(u32, u32)> {
    rustix::process::geteuid()
        .is_root()
        .then_some((65534, 65534))
}

/// Hands `dir` to `user`, so the daemon running as that user can create its
/// files there.
pub fn give_dir(dir: &Path, user: Option<(u32, u32)>) {
    if let Some((uid, gid)) = user {
        std::os::unix::fs::chown(dir, Some(uid), Some(gid)).expect("chown");
    }
}

/// A filesystem small enough to fill up.
pub struct SmallFs {
    dir: tempfile::TempDir,
    mounted: bool,
    filler: PathBuf,
    /// How it was made, for the test's output.
    pub how: String,
}

/// `/dev/shm` counts as small up to this size.
const SMALL_SHM_BYTES: u64 = 512 * 1024 * 1024;

impl SmallFs {
    /// A tmpfs of `size_kib` mounted for the test, else a directory in a
    /// small `/dev/shm`; the reason when neither is possible.
    pub fn new(size_kib: u64) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let options = std::ffi::CString::new(format!("size={size_kib}k,mode=0755"))
            .map_err(|e| e.to_string())?;
        let mount_error = match rustix::mount::mount(
            "faults",
            dir.path(),
            "tmpfs",
            rustix::mount::MountFlags::empty(),
            Some(options.as_c_str()),
        ) {
            Ok(()) => {
                let filler = dir.path().join("filler");
                return Ok(Self {
                    dir,
                    mounted: true,
                    filler,
                    how: format!("a {size_kib} KiB tmpfs mounted for the test"),
                });
            }
            Err(e) => e,
        };
        let shm = Path::new("/dev/shm");
        let shm_total = statvfs(shm)
            .map(|s| s.f_blocks * s.f_frsize)
            .unwrap_or(u64::MAX);
        if shm_total <= SMALL_SHM_BYTES {
            if let Ok(dir) = tempfile::tempdir_in(shm) {
                let filler = dir.path().join("filler");
                return Ok(Self {
                    dir,
                    mounted: false,
                    filler,
                    how: format!("/dev/shm ({} MiB)", shm_total >> 20),
                });
            }
        }
        Err(format!(
            "no small filesystem to fill: mounting a tmpfs failed ({mount_error}) and /dev/shm is {} MiB",
            shm_total >> 20
        ))
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Bytes still free.
    pub fn available(&self) -> u64 {
        statvfs(self.path())
            .map(|s| s.f_bavail * s.f_frsize)
            .unwrap_or(0)
    }

    /// Appends to the filler file until the filesystem refuses even one
    /// byte; returns the bytes written. Call again to take back space
    /// freed since.
    pub fn fill(&self) -> io::Result<u64> {
        let mut file = File::options()
            .create(true)
            .append(true)
            .open(&self.filler)?;
        let block = vec![0u8; 1 << 20];
        let mut written = 0u64;
        for size in [1 << 20, 1 << 12, 1] {
            loop {
                match file.write(&block[..size]) {
                    Ok(0) => break,
                    Ok(n) => written += n as u64,
                    Err(e) if e.raw_os_error() == Some(rustix::io::Errno::NOSPC.raw_os_error()) => {
                        break
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(written)
    }

    /// Deletes the filler: the space is back.
    pub fn free(&self) {
        let _ = fs::remove_file(&self.filler);
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        self.free();
        if self.mounted {
            let _ = rustix::mount::unmount(self.dir.path(), rustix::mount::UnmountFlags::DETACH);
        }
    }
}
