// The hooks are Swift-runtime variables (swift/Runtime/Concurrency.h), exported by the
// concurrency library whether it is linked statically or not; SwiftNIO and JavaScriptKit
// install the same ones to run Swift's global jobs on their own event loops. The hooks and the
// functions they are given use the Swift calling convention.
#include "global_jobs.h"

#include <time.h>

typedef __attribute__((swiftcall)) void (*enqueue_original)(void *job);
typedef __attribute__((swiftcall)) void (*enqueue_with_delay_original)(unsigned long long delay_ns, void *job);
typedef __attribute__((swiftcall)) void (*enqueue_with_deadline_original)(
    long long sec, long long nsec, long long tsec, long long tnsec, int clock, void *job);

extern void *swift_task_enqueueGlobal_hook;
extern void *swift_task_enqueueMainExecutor_hook;
extern void *swift_task_enqueueGlobalWithDelay_hook;
extern void *swift_task_enqueueGlobalWithDeadline_hook;

static surge_job_now job_now;
static surge_job_now main_job_now;
static surge_job_later job_later;

static long long now_ns(clockid_t clock) {
    struct timespec now;
    clock_gettime(clock, &now);
    return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

long long surge_monotonic_due(long long seconds, long long nanoseconds, int swift_clock) {
    // The runtime's clocks on Linux: continuous is CLOCK_BOOTTIME, suspending CLOCK_MONOTONIC.
    clockid_t clock = swift_clock == 1 ? CLOCK_BOOTTIME : CLOCK_MONOTONIC;
    long long remaining = seconds * 1000000000LL + nanoseconds - now_ns(clock);
    return now_ns(CLOCK_MONOTONIC) + (remaining > 0 ? remaining : 0);
}

static __attribute__((swiftcall)) void enqueue_hook(void *job, enqueue_original original) {
    (void)original;
    job_now(job);
}

static __attribute__((swiftcall)) void enqueue_with_delay_hook(unsigned long long delay_ns, void *job,
                                                                enqueue_with_delay_original original) {
    (void)original;
    job_later(job, now_ns(CLOCK_MONOTONIC) + (long long)delay_ns);
}

static __attribute__((swiftcall)) void enqueue_with_deadline_hook(long long sec, long long nsec, long long tsec, long long tnsec,
                                                                   int clock, void *job, enqueue_with_deadline_original original) {
    // The tolerance (tsec, tnsec) is allowed lateness: running on time is within it.
    (void)tsec;
    (void)tnsec;
    (void)original;
    job_later(job, surge_monotonic_due(sec, nsec, clock));
}

static __attribute__((swiftcall)) void enqueue_main_hook(void *job, enqueue_original original) {
    (void)original;
    main_job_now(job);
}

void surge_route_main_jobs(surge_job_now now) {
    main_job_now = now;
    swift_task_enqueueMainExecutor_hook = (void *)enqueue_main_hook;
}

void surge_route_global_jobs(surge_job_now now, surge_job_later later) {
    job_now = now;
    job_later = later;
    swift_task_enqueueGlobalWithDeadline_hook = (void *)enqueue_with_deadline_hook;
    swift_task_enqueueGlobalWithDelay_hook = (void *)enqueue_with_delay_hook;
    swift_task_enqueueGlobal_hook = (void *)enqueue_hook;
}
