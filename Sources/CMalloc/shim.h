#ifndef SURGEWATCH_CMALLOC_SHIM_H
#define SURGEWATCH_CMALLOC_SHIM_H
// glibc's malloc_trim, which Swift's Glibc module does not export: the daemon gives a
// reload's freed pipeline back to the system with it.
#include <malloc.h>
#endif
