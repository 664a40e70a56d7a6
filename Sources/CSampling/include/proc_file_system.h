#ifndef SURGE_PROC_FILE_SYSTEM_H
#define SURGE_PROC_FILE_SYSTEM_H

// Whether an open file is on procfs, which Swift's Glibc module cannot ask (it lacks fstatfs).

/// 1 when `fd` is a file on procfs, 0 when on another file system or when it cannot be told.
int surge_is_procfs(int fd);

#endif
