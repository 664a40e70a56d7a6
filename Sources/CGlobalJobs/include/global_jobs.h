#ifndef SURGE_GLOBAL_JOBS_H
#define SURGE_GLOBAL_JOBS_H

/// Where the Swift runtime's global-executor jobs go instead of Dispatch's thread pool.
/// `now` receives a job to run as soon as possible; `later` a job due at a CLOCK_MONOTONIC
/// time, in nanoseconds (Task.sleep, a task group's timeout). Both are called from any thread.
typedef void (*surge_job_now)(void *job);
typedef void (*surge_job_later)(void *job, long long due_monotonic_ns);

/// Installs the runtime's enqueue hooks (swift_task_enqueueGlobal, ...WithDelay,
/// ...WithDeadline) so that every job meant for the global executor goes to `now` or `later`.
/// Call it before the first such job: jobs already handed to Dispatch stay there.
void surge_route_global_jobs(surge_job_now now, surge_job_later later);

/// Installs the runtime's main-executor hook (swift_task_enqueueMainExecutor) so that every
/// job meant for the main actor goes to `now` instead of Dispatch's main queue.
void surge_route_main_jobs(surge_job_now now);

/// The CLOCK_MONOTONIC time at which `seconds`+`nanoseconds` on a Swift clock
/// (1 continuous, 2 suspending) falls, in nanoseconds. Exposed for tests.
long long surge_monotonic_due(long long seconds, long long nanoseconds, int swift_clock);

#endif
