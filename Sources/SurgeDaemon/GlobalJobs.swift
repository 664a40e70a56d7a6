import CGlobalJobs

/// Runs the jobs of Swift's global executor, and the main actor's, on the process's main thread
/// instead of Dispatch's thread pool and main queue, for `surgewatch run` only.
///
/// Why: on Linux, the first Dispatch pool thread starts a monitor that wakes once a second for
/// as long as the process lives (libdispatch's `_dispatch_workq_monitor_pools`, a timer with no
/// leeway on its manager thread). On this VM each wake-up costs about 80 µs of CPU, the same
/// again as a whole 10 s tick: at the shipped interval, half of what the daemon cost the host.
/// The daemon's global jobs are few and short (the service group, signals, reloads), so one
/// thread that sleeps until a job comes serves them, and the host pays for ticks only. That
/// thread is the main thread, which an async `main` would leave parked in `dispatch_main`.
/// (BENCHMARKS.md, "No wake-up but the tick's".)
public enum GlobalJobs {
    /// The thread every global job goes to once `serveOnThisThread` has run. Written once,
    /// before the hooks that read it are installed, and never again.
    nonisolated(unsafe) private static var thread: JobThread?

    /// Runs `start`, and every later global and main-actor job, on the calling thread, which
    /// must be the process's main thread and never returns: `start` ends the process.
    ///
    /// Why the main thread: an async `main` parks it in Dispatch's `dispatch_main`, and
    /// main-actor jobs then need a Dispatch thread for the main queue. Served here, the daemon
    /// has one thread fewer and, with `DaemonSignals` in place of Dispatch's signal sources,
    /// none of Dispatch's at all.
    public static func serveOnThisThread(_ start: @escaping @Sendable () async -> Never) -> Never {
        precondition(thread == nil, "global jobs already taken over")
        let here = JobThread.forThisThread()
        thread = here
        surge_route_main_jobs { job in
            GlobalJobs.thread!.enqueueForMainActor(unsafeBitCast(job, to: UnownedJob.self))
        }
        surge_route_global_jobs({ job in
            GlobalJobs.thread!.enqueue(unsafeBitCast(job, to: UnownedJob.self))
        }, { job, due in
            GlobalJobs.thread!.enqueue(unsafeBitCast(job, to: UnownedJob.self), dueAt: due)
        })
        Task.detached { await start() }
        here.serveForever()
    }
}
