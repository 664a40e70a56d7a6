import CGlobalJobs

/// Runs the jobs of Swift's global executor on a thread of the daemon's own instead of
/// Dispatch's thread pool, for `surgewatch run` only.
///
/// Why: on Linux, the first Dispatch pool thread starts a monitor that wakes once a second for
/// as long as the process lives (libdispatch's `_dispatch_workq_monitor_pools`, a timer with no
/// leeway on its manager thread). On this VM each wake-up costs about 80 µs of CPU, the same
/// again as a whole 10 s tick: at the shipped interval, half of what the daemon cost the host.
/// The daemon's global jobs are few and short (the service group, signals, reloads), so one
/// thread that sleeps until a job comes serves them, and the host pays for ticks only.
/// (BENCHMARKS.md, "No wake-up but the tick's".)
public enum GlobalJobs {
    /// The thread every global job goes to once `takeOver()` has run. Written once, before
    /// the hooks that read it are installed, and never again.
    nonisolated(unsafe) private static var thread: JobThread?

    /// Sends every later global job to a new `surgewatch-jobs` thread. Call it before the first
    /// one (jobs already handed to Dispatch run there). Returns false, changing nothing, when
    /// the thread cannot be made; a second call does nothing and returns true.
    @discardableResult
    public static func takeOver() -> Bool {
        if thread != nil { return true }
        guard let started = JobThread.start(name: "surgewatch-jobs") else { return false }
        thread = started
        surge_route_global_jobs({ job in
            GlobalJobs.thread!.enqueue(unsafeBitCast(job, to: UnownedJob.self))
        }, { job, due in
            GlobalJobs.thread!.enqueue(unsafeBitCast(job, to: UnownedJob.self), dueAt: due)
        })
        return true
    }

    /// Whether global jobs run on the daemon's thread.
    public static var tookOver: Bool { thread != nil }
}
