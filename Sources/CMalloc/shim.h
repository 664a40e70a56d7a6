#ifndef SURGEWATCH_CMALLOC_SHIM_H
#define SURGEWATCH_CMALLOC_SHIM_H
// glibc's malloc_trim and mallopt, which Swift's Glibc module does not export: with them the
// daemon gives a reload's freed pipeline back to the system, and keeps large buffers mapped.
#include <malloc.h>
#endif
