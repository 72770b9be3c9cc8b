// LD_PRELOAD shim for the power-loss test (tests/faults/power_loss_test.cc):
// records, as the process runs, what a power cut could not take back, so that
// after a SIGKILL the test can drop everything else (power_loss.h).
//
// With MLEDGER_POWERLOSS_JOURNAL=<file> and MLEDGER_POWERLOSS_TRASH=<dir> set
// (both on the file system under test), it appends one line per event to the
// journal, each with a single write(2) on an O_APPEND descriptor, so a line
// is either whole or absent after a SIGKILL:
//
//   F dev ino size          fsync/fdatasync of a regular file returned 0: its
//                           first `size` bytes (its size when the call
//                           began) are durable
//   D dev ino n/i/t ...     fsync of a directory returned 0: these entries
//                           (name n, inode i, type t: f file, d directory,
//                           o other), listed when the call began, are durable
//   O dev ino off hex       a write is about to overwrite bytes [off,
//                           off+len) of a regular file: their old content
//                           (undone unless a later F covers the file)
//
// Before unlink/remove/unlinkat and before a rename that replaces a file, the
// file's inode is kept alive by a hard link <trash>/<dev>-<ino>, so a
// deletion that no directory fsync made durable can be undone.
//
// Nothing else is durable: writes without a sync, sync_file_range (RocksDB's
// background write-out), renames and creations without a directory fsync.
// Without the variables set the shim only forwards. Not modelled: O_SYNC /
// O_DSYNC opens, sync()/syncfs(), mmap writes, ftruncate shrinking synced
// data (the ledger uses none of them; the test checks the journal accounts
// for every file it finds).

#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define LINE_BYTES_MAX 65536
#define OVERWRITE_BYTES_MAX 4096

static int journal_fd = -1;
static const char* trash_dir = NULL;

static void* next(const char* name) {
  void* f = dlsym(RTLD_NEXT, name);
  if (f == NULL) {
    fprintf(stderr, "power_loss_shim: no %s\n", name);
    abort();
  }
  return f;
}

__attribute__((constructor)) static void shim_init(void) {
  const char* journal = getenv("MLEDGER_POWERLOSS_JOURNAL");
  trash_dir = getenv("MLEDGER_POWERLOSS_TRASH");
  if (journal == NULL || trash_dir == NULL) return;
  journal_fd = open(journal, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (journal_fd < 0) {
    fprintf(stderr, "power_loss_shim: cannot open %s: %s\n", journal, strerror(errno));
    abort();
  }
}

// One journal line, written whole or not at all (a short write aborts: the
// journal would no longer tell the truth).
static void record(const char* line, size_t len) {
  const ssize_t n = write(journal_fd, line, len);
  if (n != (ssize_t)len) {
    fprintf(stderr, "power_loss_shim: journal write failed\n");
    abort();
  }
}

static char type_of(unsigned char d_type) {
  return d_type == DT_REG ? 'f' : d_type == DT_DIR ? 'd' : 'o';
}

// "D dev ino entries..." for the directory open at `fd`, into `out`.
static size_t list_directory(int fd, const struct stat* st, char* out, size_t cap) {
  size_t len = (size_t)snprintf(out, cap, "D %lu %lu", (unsigned long)st->st_dev,
                                (unsigned long)st->st_ino);
  const int dup_fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* dir = dup_fd < 0 ? NULL : fdopendir(dup_fd);
  if (dir == NULL) abort();
  struct dirent* e;
  while ((e = readdir(dir)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (strchr(e->d_name, ' ') || strchr(e->d_name, '/') || strchr(e->d_name, '\n')) abort();
    len += (size_t)snprintf(out + len, cap - len, " %s/%lu/%c", e->d_name,
                            (unsigned long)e->d_ino, type_of(e->d_type));
    if (len + 2 >= cap) abort();
  }
  closedir(dir);
  out[len++] = '\n';
  return len;
}

static int synced(int (*real)(int), int fd) {
  if (journal_fd < 0) return real(fd);
  struct stat st;
  if (fstat(fd, &st) != 0 || (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))) return real(fd);
  char line[LINE_BYTES_MAX];
  size_t len;
  if (S_ISDIR(st.st_mode)) {
    len = list_directory(fd, &st, line, sizeof line);
  } else {
    len = (size_t)snprintf(line, sizeof line, "F %lu %lu %lld\n", (unsigned long)st.st_dev,
                           (unsigned long)st.st_ino, (long long)st.st_size);
  }
  const int rc = real(fd);
  if (rc == 0) record(line, len);
  return rc;
}

int fsync(int fd) {
  static int (*real)(int);
  if (real == NULL) real = (int (*)(int))next("fsync");
  return synced(real, fd);
}

int fdatasync(int fd) {
  static int (*real)(int);
  if (real == NULL) real = (int (*)(int))next("fdatasync");
  return synced(real, fd);
}

// Journals the old content of whatever bytes of `fd` a write of `len` bytes
// at `offset` (-1: the file position) is about to replace.
static void before_write(int fd, off_t offset, size_t len) {
  if (journal_fd < 0 || len == 0) return;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return;
  if (offset < 0) {
    if (fcntl(fd, F_GETFL) & O_APPEND) return;
    offset = lseek(fd, 0, SEEK_CUR);
    if (offset < 0) return;
  }
  if (offset >= st.st_size) return;
  size_t old_len = (size_t)(st.st_size - offset) < len ? (size_t)(st.st_size - offset) : len;
  if (old_len > OVERWRITE_BYTES_MAX) {
    fprintf(stderr, "power_loss_shim: overwrite of %zu bytes is beyond the model\n", old_len);
    abort();
  }
  unsigned char old[OVERWRITE_BYTES_MAX];
  char line[2 * OVERWRITE_BYTES_MAX + 128];
  // The descriptor may be write-only: read the old bytes through another.
  char self[64];
  snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
  const int reader = open(self, O_RDONLY | O_CLOEXEC);
  if (reader < 0 || pread(reader, old, old_len, offset) != (ssize_t)old_len) abort();
  close(reader);
  size_t n = (size_t)snprintf(line, sizeof line, "O %lu %lu %lld ", (unsigned long)st.st_dev,
                              (unsigned long)st.st_ino, (long long)offset);
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < old_len; ++i) {
    line[n++] = hex[old[i] >> 4];
    line[n++] = hex[old[i] & 15];
  }
  line[n++] = '\n';
  record(line, n);
}

static size_t iov_bytes(const struct iovec* iov, int count) {
  size_t total = 0;
  for (int i = 0; i < count; ++i) total += iov[i].iov_len;
  return total;
}

ssize_t write(int fd, const void* buf, size_t len) {
  static ssize_t (*real)(int, const void*, size_t);
  if (real == NULL) real = (ssize_t(*)(int, const void*, size_t))next("write");
  if (fd != journal_fd) before_write(fd, -1, len);
  return real(fd, buf, len);
}

ssize_t pwrite(int fd, const void* buf, size_t len, off_t offset) {
  static ssize_t (*real)(int, const void*, size_t, off_t);
  if (real == NULL) real = (ssize_t(*)(int, const void*, size_t, off_t))next("pwrite");
  before_write(fd, offset, len);
  return real(fd, buf, len, offset);
}

ssize_t pwrite64(int fd, const void* buf, size_t len, off_t offset) {
  static ssize_t (*real)(int, const void*, size_t, off_t);
  if (real == NULL) real = (ssize_t(*)(int, const void*, size_t, off_t))next("pwrite64");
  before_write(fd, offset, len);
  return real(fd, buf, len, offset);
}

ssize_t writev(int fd, const struct iovec* iov, int count) {
  static ssize_t (*real)(int, const struct iovec*, int);
  if (real == NULL) real = (ssize_t(*)(int, const struct iovec*, int))next("writev");
  before_write(fd, -1, iov_bytes(iov, count));
  return real(fd, iov, count);
}

ssize_t pwritev(int fd, const struct iovec* iov, int count, off_t offset) {
  static ssize_t (*real)(int, const struct iovec*, int, off_t);
  if (real == NULL) real = (ssize_t(*)(int, const struct iovec*, int, off_t))next("pwritev");
  before_write(fd, offset, iov_bytes(iov, count));
  return real(fd, iov, count, offset);
}

ssize_t pwritev64(int fd, const struct iovec* iov, int count, off_t offset) {
  static ssize_t (*real)(int, const struct iovec*, int, off_t);
  if (real == NULL) real = (ssize_t(*)(int, const struct iovec*, int, off_t))next("pwritev64");
  before_write(fd, offset, iov_bytes(iov, count));
  return real(fd, iov, count, offset);
}

// Keeps the regular file at (dirfd, path) reachable from the trash.
static void keep(int dirfd, const char* path) {
  if (journal_fd < 0) return;
  struct stat st;
  if (fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) return;
  char kept[PATH_MAX];
  snprintf(kept, sizeof kept, "%s/%lu-%lu", trash_dir, (unsigned long)st.st_dev,
           (unsigned long)st.st_ino);
  if (linkat(dirfd, path, AT_FDCWD, kept, 0) != 0 && errno != EEXIST) {
    fprintf(stderr, "power_loss_shim: cannot keep %s: %s\n", path, strerror(errno));
    abort();
  }
}

int unlink(const char* path) {
  static int (*real)(const char*);
  if (real == NULL) real = (int (*)(const char*))next("unlink");
  keep(AT_FDCWD, path);
  return real(path);
}

int unlinkat(int dirfd, const char* path, int flags) {
  static int (*real)(int, const char*, int);
  if (real == NULL) real = (int (*)(int, const char*, int))next("unlinkat");
  if (!(flags & AT_REMOVEDIR)) keep(dirfd, path);
  return real(dirfd, path, flags);
}

int remove(const char* path) {
  static int (*real)(const char*);
  if (real == NULL) real = (int (*)(const char*))next("remove");
  keep(AT_FDCWD, path);
  return real(path);
}

int rename(const char* from, const char* to) {
  static int (*real)(const char*, const char*);
  if (real == NULL) real = (int (*)(const char*, const char*))next("rename");
  keep(AT_FDCWD, to);
  return real(from, to);
}

int renameat(int from_dir, const char* from, int to_dir, const char* to) {
  static int (*real)(int, const char*, int, const char*);
  if (real == NULL) real = (int (*)(int, const char*, int, const char*))next("renameat");
  keep(to_dir, to);
  return real(from_dir, from, to_dir, to);
}

int renameat2(int from_dir, const char* from, int to_dir, const char* to, unsigned flags) {
  static int (*real)(int, const char*, int, const char*, unsigned);
  if (real == NULL) real = (int (*)(int, const char*, int, const char*, unsigned))next("renameat2");
  keep(to_dir, to);
  return real(from_dir, from, to_dir, to, flags);
}
