/* sqlite_vfs.c - a VFS over SQLite's default one that writes a transaction's WAL frames with one
 * pwrite instead of two per page.
 *
 * SQLite writes each WAL frame as two calls (its 24-byte header, then the page), all of them
 * contiguous within a commit. This shim keeps contiguous appends to the WAL file in a buffer
 * and writes them with one call before anything that could observe the file: a read, a sync,
 * a truncate, a size query, a lock, a file control, a write somewhere else, a close.
 *
 * Why no reader can ever see a frame still in the buffer: other connections (ours or another
 * process's) find frames only through the wal-index, and with synchronous=FULL (or EXTRA) the
 * writer syncs the WAL (here: flush, then fdatasync) before it publishes a commit's frames in
 * the wal-index header. Frames of a transaction not yet committed are never visible to another
 * connection, and the writing connection's own reads of the WAL go through this file, which
 * flushes first. A crash loses only buffered frames that were never synced, i.e. a transaction
 * that never committed and whose certificate was never answered.
 *
 * The argument needs synchronous FULL or EXTRA: with NORMAL a commit publishes frames without a
 * sync. So buffering is off until the owner arms the database file (STRIDE_FCNTL_WAL_BUFFER,
 * after checking the pragma), and a later PRAGMA synchronous below FULL on that connection
 * disarms it (SQLite announces every pragma to the file with SQLITE_FCNTL_PRAGMA first).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/sqlite_int.h"

/* The most a buffer holds; a longer run of appends is written in pieces of about this size.
 * SQLite's unix VFS writes at most 0x1ffff bytes per call (it masks the length: a larger write
 * comes out short and fails with SQLITE_FULL), so a run must stay below 128 KiB. */
#define WALBUF_MAX (120 * 1024)

struct shim_file {
	sqlite3_file base; /* first: pMethods = &shim_io */
	sqlite3_file *real;
	struct shim_file *db; /* a WAL file: its database file (armed or not); else NULL */
	bool armed;	      /* a database file: its WAL may be buffered */
	unsigned char *buf;
	size_t len, cap;
	sqlite3_int64 off; /* file offset of buf[0] */
};

#define SHIM_SIZE ((sizeof(struct shim_file) + 7) & ~(size_t)7)

static sqlite3_vfs *real_vfs;
static sqlite3_vfs shim_vfs;
static const sqlite3_io_methods shim_io;
static pthread_once_t shim_once = PTHREAD_ONCE_INIT;
static int shim_rc = SQLITE_ERROR;

/* Writes the buffered run; the buffer is empty afterwards even when the write failed (the
 * caller returns the error, so SQLite fails the transaction those frames belonged to). */
static int flush(struct shim_file *f)
{
	int rc;

	if (f->len == 0)
		return SQLITE_OK;
	rc = f->real->pMethods->xWrite(f->real, f->buf, (int)f->len, f->off);
	f->len = 0;
	return rc;
}

static int x_close(sqlite3_file *p)
{
	struct shim_file *f = (struct shim_file *)p;
	int rc = flush(f), rc2 = f->real->pMethods->xClose(f->real);

	free(f->buf);
	f->buf = NULL;
	f->cap = 0;
	return rc != SQLITE_OK ? rc : rc2;
}

static int x_read(sqlite3_file *p, void *out, int amt, sqlite3_int64 off)
{
	struct shim_file *f = (struct shim_file *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, out, amt, off);
}

static bool buffering(const struct shim_file *f)
{
	return f->db != NULL && f->db->armed;
}

/* Appends to the buffered run when the write continues it, else flushes and starts one. */
static int x_write(sqlite3_file *p, const void *data, int amt, sqlite3_int64 off)
{
	struct shim_file *f = (struct shim_file *)p;
	size_t n = (size_t)amt;
	int rc;

	if (f->len > 0 &&
	    (!buffering(f) || off != f->off + (sqlite3_int64)f->len || f->len + n > WALBUF_MAX)) {
		rc = flush(f);
		if (rc != SQLITE_OK)
			return rc;
	}
	if (!buffering(f) || amt <= 0 || n > WALBUF_MAX)
		return f->real->pMethods->xWrite(f->real, data, amt, off);
	if (f->len + n > f->cap) {
		size_t cap = f->cap > 0 ? f->cap : 16384;
		unsigned char *b;

		while (cap < f->len + n)
			cap *= 2;
		if (cap > WALBUF_MAX)
			cap = WALBUF_MAX;
		b = realloc(f->buf, cap);
		if (b == NULL) { /* no memory: write through */
			rc = flush(f);
			return rc != SQLITE_OK ? rc
					       : f->real->pMethods->xWrite(f->real, data, amt, off);
		}
		f->buf = b;
		f->cap = cap;
	}
	if (f->len == 0)
		f->off = off;
	memcpy(f->buf + f->len, data, n);
	f->len += n;
	return SQLITE_OK;
}

static int x_truncate(sqlite3_file *p, sqlite3_int64 size)
{
	struct shim_file *f = (struct shim_file *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int x_sync(sqlite3_file *p, int flags)
{
	struct shim_file *f = (struct shim_file *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int x_file_size(sqlite3_file *p, sqlite3_int64 *size)
{
	struct shim_file *f = (struct shim_file *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int x_lock(sqlite3_file *p, int level)
{
	struct shim_file *f = (struct shim_file *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xLock(f->real, level);
}

static int x_unlock(sqlite3_file *p, int level)
{
	struct shim_file *f = (struct shim_file *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xUnlock(f->real, level);
}

static int x_check_reserved(sqlite3_file *p, int *out)
{
	struct shim_file *f = (struct shim_file *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xCheckReservedLock(f->real, out);
}

/* Whether a PRAGMA synchronous value keeps the argument at the top of this file: FULL (2) or
 * EXTRA (3), by name or number. */
static bool sync_value_ok(const char *v)
{
	return strcasecmp(v, "full") == 0 || strcasecmp(v, "extra") == 0 || strcmp(v, "2") == 0 ||
	       strcmp(v, "3") == 0;
}

static int x_file_control(sqlite3_file *p, int op, void *arg)
{
	struct shim_file *f = (struct shim_file *)p;
	int rc;

	if (op == STRIDE_FCNTL_WAL_BUFFER) {
		if (f->db != NULL)
			return SQLITE_NOTFOUND; /* only a database file is armed */
		f->armed = *(int *)arg != 0;
		return SQLITE_OK;
	}
	if (op == SQLITE_FCNTL_PRAGMA) {
		char **a = arg;

		if (a[1] != NULL && strcasecmp(a[1], "synchronous") == 0 && a[2] != NULL &&
		    !sync_value_ok(a[2]))
			f->armed = false;
	}
	rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int x_sector_size(sqlite3_file *p)
{
	struct shim_file *f = (struct shim_file *)p;

	return f->real->pMethods->xSectorSize(f->real);
}

static int x_device_characteristics(sqlite3_file *p)
{
	struct shim_file *f = (struct shim_file *)p;

	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

/* The shared-memory and mmap methods concern the database file, which is never buffered. */
static int x_shm_map(sqlite3_file *p, int pg, int pgsz, int extend, void volatile **out)
{
	struct shim_file *f = (struct shim_file *)p;

	return f->real->pMethods->xShmMap(f->real, pg, pgsz, extend, out);
}

static int x_shm_lock(sqlite3_file *p, int offset, int n, int flags)
{
	struct shim_file *f = (struct shim_file *)p;

	return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void x_shm_barrier(sqlite3_file *p)
{
	struct shim_file *f = (struct shim_file *)p;

	f->real->pMethods->xShmBarrier(f->real);
}

static int x_shm_unmap(sqlite3_file *p, int del)
{
	struct shim_file *f = (struct shim_file *)p;

	return f->real->pMethods->xShmUnmap(f->real, del);
}

static int x_fetch(sqlite3_file *p, sqlite3_int64 off, int amt, void **out)
{
	struct shim_file *f = (struct shim_file *)p;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFetch(f->real, off, amt, out);
}

static int x_unfetch(sqlite3_file *p, sqlite3_int64 off, void *ptr)
{
	struct shim_file *f = (struct shim_file *)p;

	return f->real->pMethods->xUnfetch(f->real, off, ptr);
}

static const sqlite3_io_methods shim_io = {
    .iVersion = 3,
    .xClose = x_close,
    .xRead = x_read,
    .xWrite = x_write,
    .xTruncate = x_truncate,
    .xSync = x_sync,
    .xFileSize = x_file_size,
    .xLock = x_lock,
    .xUnlock = x_unlock,
    .xCheckReservedLock = x_check_reserved,
    .xFileControl = x_file_control,
    .xSectorSize = x_sector_size,
    .xDeviceCharacteristics = x_device_characteristics,
    .xShmMap = x_shm_map,
    .xShmLock = x_shm_lock,
    .xShmBarrier = x_shm_barrier,
    .xShmUnmap = x_shm_unmap,
    .xFetch = x_fetch,
    .xUnfetch = x_unfetch,
};

static int v_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags,
		  int *out_flags)
{
	struct shim_file *f = (struct shim_file *)file;
	int rc;

	(void)vfs;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)((char *)file + SHIM_SIZE);
	rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK) {
		if (f->real->pMethods != NULL)
			f->real->pMethods->xClose(f->real);
		f->base.pMethods = NULL;
		return rc;
	}
	/* Every method of shim_io calls the real file's: it must have them all. */
	if (f->real->pMethods->iVersion < 3) {
		f->real->pMethods->xClose(f->real);
		f->base.pMethods = NULL;
		return SQLITE_CANTOPEN;
	}
	if ((flags & SQLITE_OPEN_WAL) != 0 && name != NULL) {
		sqlite3_file *db = sqlite3_database_file_object(name);

		if (db != NULL && db->pMethods == &shim_io)
			f->db = (struct shim_file *)db;
	}
	f->base.pMethods = &shim_io;
	return SQLITE_OK;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *v_dl_open(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return real_vfs->xDlOpen(real_vfs, name);
}

static void v_dl_error(sqlite3_vfs *vfs, int n, char *msg)
{
	(void)vfs;
	real_vfs->xDlError(real_vfs, n, msg);
}

static void (*v_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return real_vfs->xDlSym(real_vfs, h, sym);
}

static void v_dl_close(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	real_vfs->xDlClose(real_vfs, h);
}

static int v_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return real_vfs->xSleep(real_vfs, us);
}

static int v_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int v_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xGetLastError(real_vfs, n, out);
}

static int v_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static int v_set_system_call(sqlite3_vfs *vfs, const char *name, sqlite3_syscall_ptr fn)
{
	(void)vfs;
	return real_vfs->xSetSystemCall(real_vfs, name, fn);
}

static sqlite3_syscall_ptr v_get_system_call(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return real_vfs->xGetSystemCall(real_vfs, name);
}

static const char *v_next_system_call(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return real_vfs->xNextSystemCall(real_vfs, name);
}

static void register_shim(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	/* The pass-through methods assume the default VFS has every method of version 3. */
	if (real_vfs == NULL || real_vfs->iVersion < 3)
		return;
	shim_vfs = (sqlite3_vfs){
	    .iVersion = 3,
	    .szOsFile = (int)SHIM_SIZE + real_vfs->szOsFile,
	    .mxPathname = real_vfs->mxPathname,
	    .zName = STRIDE_SQLITE_VFS,
	    .xOpen = v_open,
	    .xDelete = v_delete,
	    .xAccess = v_access,
	    .xFullPathname = v_full_pathname,
	    .xDlOpen = v_dl_open,
	    .xDlError = v_dl_error,
	    .xDlSym = v_dl_sym,
	    .xDlClose = v_dl_close,
	    .xRandomness = v_randomness,
	    .xSleep = v_sleep,
	    .xCurrentTime = v_current_time,
	    .xGetLastError = v_get_last_error,
	    .xCurrentTimeInt64 = v_current_time_int64,
	    .xSetSystemCall = v_set_system_call,
	    .xGetSystemCall = v_get_system_call,
	    .xNextSystemCall = v_next_system_call,
	};
	shim_rc = sqlite3_vfs_register(&shim_vfs, 0);
}

const char *sq_wal_vfs(void)
{
	pthread_once(&shim_once, register_shim);
	return shim_rc == SQLITE_OK ? STRIDE_SQLITE_VFS : NULL;
}
