#ifndef SURGEWATCH_MALLOC_COUNT_H
#define SURGEWATCH_MALLOC_COUNT_H

/// Counts heap allocations of this process between start and stop (surgewatch-bench only:
/// the executable that links this defines malloc and friends, forwarding to glibc).
void malloc_count_start(void);
unsigned long malloc_count_stop(void);

#endif
