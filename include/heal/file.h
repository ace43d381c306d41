//  file — whole-file reads, atomic writes, mkdir -p. bus/file.c.

#ifndef HEAL_FILE_H_INCLUDED
#define HEAL_FILE_H_INCLUDED

#include <stddef.h>

//  Write all size bytes of data to fd (again after EINTR and short writes).
//  Returns 0, or -1 with errno (EIO when a write took nothing).
int heal_write_all (int fd, const void *data, size_t size);

//  Write data to path atomically: temp file in the same directory, fsync,
//  rename, fsync of the directory. mode for the new file. Returns 0 or -1.
int heal_write_atomic (const char *path, const void *data, size_t size, int mode);

//  Read a whole file of at most max bytes. Caller frees; *size set. NULL on error
//  or when the file is larger than max (errno = EFBIG).
char *heal_read_file (const char *path, size_t max, size_t *size);

//  heal_read_file for heal's own state files: the last component is never a
//  symlink (O_NOFOLLOW: ELOOP), and the file must be a regular file owned by
//  the effective user and not writable by others (EPERM).
char *heal_read_file_private (const char *path, size_t max, size_t *size);

//  Open heal's own append-only file (created with mode): never through a
//  symlink, a regular file owned by the effective user. fd or -1 (errno).
int heal_open_append_private (const char *path, int mode);

//  Append data to path (created with mode, never through a symlink, only to a
//  regular file of ours: heal_open_append_private) in one write. Returns 0 or
//  -1 with errno.
int heal_append_file (const char *path, const void *data, size_t size, int mode);

//  mkdir -p with mode for each created component. Returns 0 or -1.
int heal_mkdir_p (const char *path, int mode);

#endif
