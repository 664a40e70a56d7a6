#include "proc_file_system.h"

#include <sys/vfs.h>

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

int surge_is_procfs(int fd) {
    struct statfs info;
    return fstatfs(fd, &info) == 0 && info.f_type == PROC_SUPER_MAGIC;
}
