//! A VFS for the writer's connection that hands a commit's WAL frames to the
//! operating system in one write instead of two per page.
//!
//! SQLite writes every WAL frame as two `pwrite` calls, its 24-byte header
//! and then the page, and a single-event commit of the ingest benchmark
//! writes about 110 frames: 220 system calls, each paying the kernel's page
//! cache walk for a range that straddles two of its pages. Measured on this
//! kind of machine (C, 110 frames and an `fsync` per commit), that is
//! 430–470 µs of CPU per commit against 150–160 µs for the same bytes in one
//! write (`BENCHMARKS.md`).
//!
//! This VFS wraps the default one and forwards every call to it. For a WAL
//! file only, a write that continues the previous one is kept in memory;
//! the kept bytes are written, in as few calls as the default VFS takes
//! ([`WRITE_CHUNK`]), before anything else is done to the file: a sync, a
//! read, a size, a truncation, a file control, a close, or a write
//! elsewhere in it. SQLite and the kernel therefore see the same
//! bytes in the same order as without it, in fewer calls. What makes the
//! delay invisible to other connections:
//!
//! - with `synchronous=FULL`, SQLite syncs the WAL at the end of every
//!   commit, before it publishes the commit in the wal-index; readers look
//!   up frames only through the wal-index, so no reader can ask for a frame
//!   still kept here. The store's writer always runs `FULL` (`shared`'s
//!   `SqliteWriter`), and it is the only connection opened with this VFS;
//! - without *powersafe overwrite*, SQLite pads a commit to a sector boundary
//!   and writes part of it after the sync: a WAL file whose device does not
//!   promise powersafe overwrite is passed through unbuffered.
//!
//! Frames of a transaction that was rolled back may still be kept when the
//! next write comes; they are written first, where SQLite had put them, and
//! are never read: frames count only up to the wal-index's last commit, and
//! a WAL restarted by another connection carries a new salt that they do
//! not.
//!
//! Use: [`register`] once, then open the connection with
//! `Connection::open_with_flags_and_vfs(path, flags, NAME)` and set
//! `PRAGMA synchronous = FULL` on it. This crate holds the FFI apart, so
//! the store itself has no `unsafe` code.

use rusqlite::ffi;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr;
use std::sync::OnceLock;

/// The name the writer opens its connection with.
pub const NAME: &CStr = c"analytics-wal-batch";

/// Kept bytes are written once they reach this much, whatever comes next (a
/// migration's long transaction spills many pages to the WAL before its
/// commit).
const WRITE_AT: usize = 4 << 20;

/// The most handed to the default VFS's `xWrite` at once: the Unix VFS
/// writes at most 128 KiB − 1 bytes per call (it masks larger sizes), a
/// bound made for pages, not for runs of them.
const WRITE_CHUNK: usize = 124 << 10;

/// Registers the VFS (once per process; not as the default).
pub fn register() -> rusqlite::Result<()> {
    static REGISTERED: OnceLock<c_int> = OnceLock::new();
    // SAFETY: `register_once` only reads the default VFS SQLite returns and
    // hands SQLite a VFS that lives for the rest of the process.
    let rc = *REGISTERED.get_or_init(|| unsafe { register_once() });
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(rusqlite::Error::SqliteFailure(
            ffi::Error::new(rc),
            Some("could not register the WAL batching VFS".into()),
        ))
    }
}

/// An open file: SQLite's header, then the default VFS's own file, which
/// SQLite allocates with it ([`ffi::sqlite3_vfs::szOsFile`]).
#[repr(C)]
struct File {
    base: ffi::sqlite3_file,
    real: *mut ffi::sqlite3_file,
    /// Whether writes are kept (a WAL file on a powersafe device).
    batch: bool,
    /// Bytes not yet written, and where in the file they go.
    kept: Vec<u8>,
    kept_at: i64,
}

/// Where the default VFS's file starts within ours.
const REAL_AT: usize = (std::mem::size_of::<File>() + 15) & !15;

unsafe fn register_once() -> c_int {
    let rc = ffi::sqlite3_initialize();
    if rc != ffi::SQLITE_OK {
        return rc;
    }
    let real = ffi::sqlite3_vfs_find(ptr::null());
    if real.is_null() {
        return ffi::SQLITE_ERROR;
    }
    let Ok(size) = c_int::try_from(REAL_AT + (*real).szOsFile as usize) else {
        return ffi::SQLITE_ERROR;
    };
    let vfs = Box::new(ffi::sqlite3_vfs {
        iVersion: 2,
        szOsFile: size,
        mxPathname: (*real).mxPathname,
        pNext: ptr::null_mut(),
        zName: NAME.as_ptr(),
        pAppData: real.cast(),
        xOpen: Some(open),
        xDelete: Some(delete),
        xAccess: Some(access),
        xFullPathname: Some(full_pathname),
        xDlOpen: Some(dl_open),
        xDlError: Some(dl_error),
        xDlSym: Some(dl_sym),
        xDlClose: Some(dl_close),
        xRandomness: Some(randomness),
        xSleep: Some(sleep),
        xCurrentTime: Some(current_time),
        xGetLastError: Some(get_last_error),
        xCurrentTimeInt64: Some(current_time_int64),
        xSetSystemCall: None,
        xGetSystemCall: None,
        xNextSystemCall: None,
    });
    ffi::sqlite3_vfs_register(Box::leak(vfs), 0)
}

/// The default VFS this one wraps.
unsafe fn real_vfs(vfs: *mut ffi::sqlite3_vfs) -> *mut ffi::sqlite3_vfs {
    (*vfs).pAppData.cast()
}

unsafe extern "C" fn open(
    vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let real_vfs = real_vfs(vfs);
    let real = file.cast::<u8>().add(REAL_AT).cast::<ffi::sqlite3_file>();
    let Some(real_open) = (*real_vfs).xOpen else {
        (*file).pMethods = ptr::null();
        return ffi::SQLITE_ERROR;
    };
    let rc = real_open(real_vfs, name, real, flags, out_flags);
    if (*real).pMethods.is_null() {
        // Nothing opened: SQLite will not close it.
        (*file).pMethods = ptr::null();
        return rc;
    }
    let device = match (*(*real).pMethods).xDeviceCharacteristics {
        Some(characteristics) => characteristics(real),
        None => 0,
    };
    ptr::write(
        file.cast::<File>(),
        File {
            base: ffi::sqlite3_file { pMethods: &METHODS },
            real,
            batch: keeps_writes(flags, device),
            kept: Vec::new(),
            kept_at: 0,
        },
    );
    rc
}

/// Whether a file opened with `flags` on a device with these
/// characteristics has its writes kept: a WAL file on a device that
/// promises powersafe overwrite (see the module doc).
fn keeps_writes(flags: c_int, device: c_int) -> bool {
    flags & ffi::SQLITE_OPEN_WAL != 0 && device & ffi::SQLITE_IOCAP_POWERSAFE_OVERWRITE != 0
}

/// Our part of an open file.
unsafe fn ours<'a>(file: *mut ffi::sqlite3_file) -> &'a mut File {
    &mut *file.cast::<File>()
}

/// The default VFS's methods of an open file.
unsafe fn methods(f: &File) -> &ffi::sqlite3_io_methods {
    &*(*f.real).pMethods
}

#[cfg(test)]
thread_local! {
    /// Writes of kept bytes handed to the default VFS, by this thread.
    static KEPT_WRITES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

fn count_kept_write() {
    #[cfg(test)]
    KEPT_WRITES.with(|n| n.set(n.get() + 1));
}

/// Writes the kept bytes, if any; they are dropped even when the write
/// fails (SQLite fails the transaction on the error).
unsafe fn write_kept(f: &mut File) -> c_int {
    if f.kept.is_empty() {
        return ffi::SQLITE_OK;
    }
    let kept = std::mem::take(&mut f.kept);
    let mut rc = ffi::SQLITE_OK;
    let mut at = f.kept_at;
    for chunk in kept.chunks(WRITE_CHUNK) {
        count_kept_write();
        rc = match (methods(f).xWrite, c_int::try_from(chunk.len())) {
            (Some(write), Ok(len)) => write(f.real, chunk.as_ptr().cast(), len, at),
            _ => ffi::SQLITE_IOERR_WRITE,
        };
        if rc != ffi::SQLITE_OK {
            break;
        }
        at += chunk.len() as i64;
    }
    // The allocation is reused by the next commit, unless a long
    // transaction grew it past the bound.
    if kept.capacity() <= WRITE_AT {
        f.kept = kept;
        f.kept.clear();
    }
    rc
}

unsafe extern "C" fn close(file: *mut ffi::sqlite3_file) -> c_int {
    let f = ours(file);
    let written = write_kept(f);
    let closed = match methods(f).xClose {
        Some(close) => close(f.real),
        None => ffi::SQLITE_OK,
    };
    ptr::drop_in_place(file.cast::<File>());
    if written != ffi::SQLITE_OK {
        written
    } else {
        closed
    }
}

unsafe extern "C" fn write(
    file: *mut ffi::sqlite3_file,
    data: *const c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    let f = ours(file);
    let Ok(len) = usize::try_from(amount) else {
        return ffi::SQLITE_IOERR_WRITE;
    };
    if !f.batch {
        return match methods(f).xWrite {
            Some(write) => write(f.real, data, amount, offset),
            None => ffi::SQLITE_IOERR_WRITE,
        };
    }
    let continues = !f.kept.is_empty() && f.kept_at + f.kept.len() as i64 == offset;
    if !continues {
        let rc = write_kept(f);
        if rc != ffi::SQLITE_OK {
            return rc;
        }
        f.kept_at = offset;
    }
    f.kept
        .extend_from_slice(std::slice::from_raw_parts(data.cast::<u8>(), len));
    if f.kept.len() >= WRITE_AT {
        return write_kept(f);
    }
    ffi::SQLITE_OK
}

/// A method that first writes the kept bytes, then forwards the call.
macro_rules! after_kept {
    ($name:ident, $field:ident, ($($arg:ident: $ty:ty),*), $missing:expr) => {
        unsafe extern "C" fn $name(file: *mut ffi::sqlite3_file, $($arg: $ty),*) -> c_int {
            let f = ours(file);
            let rc = write_kept(f);
            if rc != ffi::SQLITE_OK {
                return rc;
            }
            match methods(f).$field {
                Some(method) => method(f.real, $($arg),*),
                None => $missing,
            }
        }
    };
}

after_kept!(read, xRead, (data: *mut c_void, amount: c_int, offset: i64), ffi::SQLITE_IOERR_READ);
after_kept!(truncate, xTruncate, (size: i64), ffi::SQLITE_IOERR_TRUNCATE);
after_kept!(sync, xSync, (flags: c_int), ffi::SQLITE_IOERR_FSYNC);
after_kept!(file_size, xFileSize, (size: *mut i64), ffi::SQLITE_IOERR_FSTAT);
after_kept!(file_control, xFileControl, (op: c_int, arg: *mut c_void), ffi::SQLITE_NOTFOUND);

/// A method that forwards the call as it is (nothing it does reads or
/// writes the file's contents).
macro_rules! forward {
    ($name:ident, $field:ident, ($($arg:ident: $ty:ty),*) -> $ret:ty, $missing:expr) => {
        unsafe extern "C" fn $name(file: *mut ffi::sqlite3_file, $($arg: $ty),*) -> $ret {
            let f = ours(file);
            match methods(f).$field {
                Some(method) => method(f.real, $($arg),*),
                None => $missing,
            }
        }
    };
}

forward!(lock, xLock, (level: c_int) -> c_int, ffi::SQLITE_OK);
forward!(unlock, xUnlock, (level: c_int) -> c_int, ffi::SQLITE_OK);
forward!(check_reserved_lock, xCheckReservedLock, (out: *mut c_int) -> c_int, ffi::SQLITE_OK);
forward!(sector_size, xSectorSize, () -> c_int, 4096);
forward!(device_characteristics, xDeviceCharacteristics, () -> c_int, 0);
forward!(
    shm_map,
    xShmMap,
    (page: c_int, size: c_int, extend: c_int, out: *mut *mut c_void) -> c_int,
    ffi::SQLITE_IOERR_SHMMAP
);
forward!(shm_lock, xShmLock, (offset: c_int, n: c_int, flags: c_int) -> c_int, ffi::SQLITE_IOERR_SHMLOCK);
forward!(shm_unmap, xShmUnmap, (delete: c_int) -> c_int, ffi::SQLITE_OK);

unsafe extern "C" fn shm_barrier(file: *mut ffi::sqlite3_file) {
    let f = ours(file);
    if let Some(barrier) = methods(f).xShmBarrier {
        barrier(f.real);
    }
}

/// Memory-mapped reads, where the default VFS has them (version 3 of its
/// methods); SQLite reads through `xRead` when `*out` stays null.
unsafe extern "C" fn fetch(
    file: *mut ffi::sqlite3_file,
    offset: i64,
    amount: c_int,
    out: *mut *mut c_void,
) -> c_int {
    let f = ours(file);
    *out = ptr::null_mut();
    let rc = write_kept(f);
    if rc != ffi::SQLITE_OK {
        return rc;
    }
    match methods(f).xFetch {
        Some(fetch) if methods(f).iVersion >= 3 => fetch(f.real, offset, amount, out),
        _ => ffi::SQLITE_OK,
    }
}

unsafe extern "C" fn unfetch(
    file: *mut ffi::sqlite3_file,
    offset: i64,
    page: *mut c_void,
) -> c_int {
    let f = ours(file);
    match methods(f).xUnfetch {
        Some(unfetch) if methods(f).iVersion >= 3 => unfetch(f.real, offset, page),
        _ => ffi::SQLITE_OK,
    }
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved_lock),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(device_characteristics),
    xShmMap: Some(shm_map),
    xShmLock: Some(shm_lock),
    xShmBarrier: Some(shm_barrier),
    xShmUnmap: Some(shm_unmap),
    xFetch: Some(fetch),
    xUnfetch: Some(unfetch),
};

/// A VFS method forwarded to the default VFS.
macro_rules! forward_vfs {
    ($name:ident, $field:ident, ($($arg:ident: $ty:ty),*) -> $ret:ty, $missing:expr) => {
        unsafe extern "C" fn $name(vfs: *mut ffi::sqlite3_vfs, $($arg: $ty),*) -> $ret {
            let real = real_vfs(vfs);
            match (*real).$field {
                Some(method) => method(real, $($arg),*),
                None => $missing,
            }
        }
    };
}

forward_vfs!(delete, xDelete, (name: *const c_char, sync_dir: c_int) -> c_int, ffi::SQLITE_IOERR_DELETE);
forward_vfs!(access, xAccess, (name: *const c_char, flags: c_int, out: *mut c_int) -> c_int, ffi::SQLITE_IOERR_ACCESS);
forward_vfs!(
    full_pathname,
    xFullPathname,
    (name: *const c_char, size: c_int, out: *mut c_char) -> c_int,
    ffi::SQLITE_CANTOPEN
);
forward_vfs!(dl_open, xDlOpen, (name: *const c_char) -> *mut c_void, ptr::null_mut());
forward_vfs!(dl_error, xDlError, (size: c_int, out: *mut c_char) -> (), ());
forward_vfs!(dl_close, xDlClose, (handle: *mut c_void) -> (), ());
forward_vfs!(randomness, xRandomness, (size: c_int, out: *mut c_char) -> c_int, 0);
forward_vfs!(sleep, xSleep, (micros: c_int) -> c_int, 0);
forward_vfs!(current_time, xCurrentTime, (out: *mut f64) -> c_int, ffi::SQLITE_ERROR);
forward_vfs!(get_last_error, xGetLastError, (size: c_int, out: *mut c_char) -> c_int, 0);
forward_vfs!(current_time_int64, xCurrentTimeInt64, (out: *mut i64) -> c_int, ffi::SQLITE_ERROR);

/// The symbol's address, as the default VFS's `xDlSym` gives it.
type Symbol = unsafe extern "C" fn(*mut ffi::sqlite3_vfs, *mut c_void, *const c_char);

unsafe extern "C" fn dl_sym(
    vfs: *mut ffi::sqlite3_vfs,
    handle: *mut c_void,
    symbol: *const c_char,
) -> Option<Symbol> {
    let real = real_vfs(vfs);
    match (*real).xDlSym {
        Some(method) => method(real, handle, symbol),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::{params, Connection, OpenFlags};
    use std::path::Path;

    fn wal_writes() -> u64 {
        KEPT_WRITES.with(std::cell::Cell::get)
    }

    /// A connection as the writer opens it, through this VFS.
    fn batched(path: &Path) -> Connection {
        register().expect("register");
        let conn = Connection::open_with_flags_and_vfs(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
            NAME,
        )
        .expect("open");
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .expect("wal");
        assert_eq!(mode, "wal");
        conn.execute_batch("PRAGMA synchronous = FULL; CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v BLOB);")
            .expect("table");
        conn
    }

    /// Inserts rows `from..to`, each a 1,500-byte blob: about one page per
    /// two rows.
    fn insert(conn: &Connection, from: i64, to: i64) {
        let mut insert = conn
            .prepare_cached("INSERT INTO t (k, v) VALUES (?1, zeroblob(1500))")
            .expect("insert");
        for k in from..to {
            insert.execute(params![k]).expect("row");
        }
    }

    /// The rows and the integrity check as a connection through the
    /// default VFS sees them.
    fn seen_plainly(path: &Path) -> (i64, String) {
        let conn = Connection::open(path).expect("plain");
        let rows = conn
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .expect("count");
        let check = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("check");
        (rows, check)
    }

    #[test]
    fn a_commit_reaches_the_wal_in_a_few_writes() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("a.db");
        let conn = batched(&path);
        let before = wal_writes();
        conn.execute_batch("BEGIN").expect("begin");
        insert(&conn, 0, 400);
        conn.execute_batch("COMMIT").expect("commit");
        let writes = wal_writes() - before;
        // About 200 frames of 4,120 bytes: 7 chunks of 124 KiB (without
        // batching, 400 writes would go straight through and none counts).
        assert!((1..=8).contains(&writes), "{writes} writes");
        assert_eq!(seen_plainly(&path), (400, "ok".into()));
    }

    #[test]
    fn only_wal_files_on_powersafe_devices_keep_writes() {
        let wal = ffi::SQLITE_OPEN_WAL | ffi::SQLITE_OPEN_READWRITE;
        let main = ffi::SQLITE_OPEN_MAIN_DB | ffi::SQLITE_OPEN_READWRITE;
        let powersafe = ffi::SQLITE_IOCAP_POWERSAFE_OVERWRITE | ffi::SQLITE_IOCAP_SAFE_APPEND;
        assert!(keeps_writes(wal, powersafe));
        // SQLite pads such a WAL and writes after its sync.
        assert!(!keeps_writes(wal, ffi::SQLITE_IOCAP_SAFE_APPEND));
        assert!(!keeps_writes(main, powersafe));
    }

    /// Pages spilled from a small cache are read back before their commit;
    /// a rolled-back transaction leaves frames kept behind it; another
    /// connection checkpoints and truncates the WAL between commits; a
    /// transaction larger than the kept bytes' bound. Every commit reads the
    /// same through the default VFS, and the file stays sound.
    #[test]
    fn what_is_kept_reads_back_and_survives_rollbacks_and_checkpoints() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("a.db");
        let conn = batched(&path);
        conn.execute_batch("PRAGMA cache_size = 20")
            .expect("small cache");
        conn.execute_batch("BEGIN").expect("begin");
        insert(&conn, 0, 300);
        let sum: i64 = conn
            .query_row("SELECT SUM(length(v)) FROM t", [], |r| r.get(0))
            .expect("read back");
        assert_eq!(sum, 300 * 1500);
        conn.execute_batch("COMMIT").expect("commit");
        assert_eq!(seen_plainly(&path), (300, "ok".into()));

        conn.execute_batch("BEGIN").expect("begin");
        insert(&conn, 300, 600);
        conn.execute_batch("ROLLBACK").expect("rollback");
        insert(&conn, 600, 610);
        assert_eq!(seen_plainly(&path), (310, "ok".into()));

        let other = Connection::open(&path).expect("other");
        let (busy, _, _): (i64, i64, i64) = other
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .expect("checkpoint");
        assert_eq!(busy, 0);
        insert(&conn, 700, 720);
        conn.execute_batch("BEGIN").expect("begin");
        // About 6 MiB of frames: past the bound, kept bytes are written
        // before the commit.
        insert(&conn, 1_000, 5_000);
        conn.execute_batch("COMMIT").expect("commit");
        assert_eq!(seen_plainly(&path), (4_330, "ok".into()));
        drop(conn);
        assert_eq!(seen_plainly(&path), (4_330, "ok".into()));
    }
}
