import Glibc
import SurgeSampling

/// A thread of the daemon's own that runs Swift jobs and sleeps until the next is due. The
/// daemon has two: `surgewatch-tick`, which runs the tick loop (and its child tasks, the sources
/// read side by side) and sleeps until each tick; and the main thread, which runs every job
/// meant for Swift's global executor (the service group, signals, reloads) in place of
/// Dispatch's thread pool, and every job for the main actor in place of Dispatch's main queue
/// (`GlobalJobs`).
///
/// Why the tick's own thread: on Swift's global executor a sleep is a Dispatch timer. At each
/// deadline the timer thread wakes, then wakes a pool thread to run the tick: two wake-ups a
/// tick, each of which this VM charges tens of microseconds (an empty C loop that sleeps 100 ms
/// costs 65 µs of CPU a tick here). Here the thread that sleeps is the thread that ticks: one
/// wake-up, and the same thread's caches each time (BENCHMARKS.md).
///
/// Jobs run one at a time, in order; jobs due later (`enqueue(_:dueAt:)`) run once due. An HTTP
/// request still runs on a thread of its own and the learner on its own, so nothing here blocks
/// for long.
final class JobThread: TaskExecutor, @unchecked Sendable {
    // pthread objects must not move: they live in allocated memory, not in stored properties.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakeUp = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let name: String?
    // Guarded by `mutex`.
    private var jobs: [(job: UnownedJob, onMainActor: Bool)] = []
    private var dueLater: [(due: Int64, job: UnownedJob)] = []
    private var sleeper: (continuation: UnsafeContinuation<Void, Never>, until: Int64)?
    private var interrupted = false
    private var stopping = false
    private var exited = false

    /// A running thread named `name` (at most 15 bytes, what /proc/PID/task/*/comm shows), or
    /// nil when none could be made.
    static func start(name: String) -> JobThread? {
        let thread = JobThread(name: name)
        return PlainThread.start(detached: true, { thread.serve() }) == nil ? nil : thread
    }

    /// One for the calling thread, which starts serving it with `serveForever()`; its name is
    /// left as it is (the main thread's is the process's, which the journal shows as _COMM).
    static func forThisThread() -> JobThread {
        JobThread(name: nil)
    }

    /// Serves jobs on the calling thread until the process exits.
    func serveForever() -> Never {
        serve()
        // Only `stop()` ends `serve`, and nothing stops this thread's jobs; if it came to
        // that, the process has nothing left to run.
        exit(0)
    }

    private init(name: String?) {
        self.name = name
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        // Deadlines on the monotonic clock: a wall-clock step must not stretch or cut a sleep.
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(wakeUp, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(wakeUp)
        pthread_mutex_destroy(mutex)
        wakeUp.deallocate()
        mutex.deallocate()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        enqueue(UnownedJob(job))
    }

    func enqueue(_ job: UnownedJob) {
        enqueue(job, onMainActor: false)
    }

    /// A job of the main actor: run as the main actor's, on this thread (which must then be
    /// the main thread, where Swift's checks of main-actor isolation look for it).
    func enqueueForMainActor(_ job: UnownedJob) {
        enqueue(job, onMainActor: true)
    }

    private func enqueue(_ job: UnownedJob, onMainActor: Bool) {
        pthread_mutex_lock(mutex)
        if exited {
            // A job after `stop()` (none is expected): it still runs, on the global executor.
            // The thread that serves the global executor is never stopped, so this cannot loop.
            pthread_mutex_unlock(mutex)
            globalConcurrentExecutor.enqueue(job)
            return
        }
        jobs.append((job, onMainActor))
        pthread_cond_signal(wakeUp)
        pthread_mutex_unlock(mutex)
    }

    /// Runs `job` once CLOCK_MONOTONIC reaches `due` (nanoseconds), or at once if it has.
    func enqueue(_ job: UnownedJob, dueAt due: Int64) {
        pthread_mutex_lock(mutex)
        if exited {
            pthread_mutex_unlock(mutex)
            globalConcurrentExecutor.enqueue(job)
            return
        }
        dueLater.append((due, job))
        pthread_cond_signal(wakeUp)
        pthread_mutex_unlock(mutex)
    }

    /// Suspends the calling task for `duration` (at least), or until the task is cancelled,
    /// which throws CancellationError. One task sleeps here (the tick loop): once it is
    /// cancelled, every later sleep returns at once.
    func sleep(for duration: Duration) async throws {
        let until = Self.monotonicNow(plus: duration)
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                pthread_mutex_lock(mutex)
                if interrupted {
                    pthread_mutex_unlock(mutex)
                    continuation.resume()
                    return
                }
                sleeper = (continuation, until)
                pthread_cond_signal(wakeUp)
                pthread_mutex_unlock(mutex)
            }
        } onCancel: {
            pthread_mutex_lock(mutex)
            interrupted = true
            pthread_cond_signal(wakeUp)
            pthread_mutex_unlock(mutex)
        }
        try Task.checkCancellation()
    }

    /// Lets the thread end once it has no job left; a sleeper it holds is woken first.
    func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        interrupted = true
        pthread_cond_signal(wakeUp)
        pthread_mutex_unlock(mutex)
    }

    private func serve() {
        if let name { nameThisThread(name) }
        pthread_mutex_lock(mutex)
        while true {
            if !dueLater.isEmpty {
                // Jobs that have come due join the queue in the order they were due.
                let now = Self.monotonicNow()
                let due = dueLater.filter { $0.due <= now }.sorted { $0.due < $1.due }
                if !due.isEmpty {
                    dueLater.removeAll { $0.due <= now }
                    jobs += due.map { ($0.job, false) }
                }
            }
            if !jobs.isEmpty {
                let batch = jobs
                jobs.removeAll(keepingCapacity: true)
                pthread_mutex_unlock(mutex)
                for queued in batch {
                    if queued.onMainActor {
                        queued.job.runSynchronously(on: MainActor.sharedUnownedExecutor)
                    } else {
                        queued.job.runSynchronously(on: asUnownedTaskExecutor())
                    }
                }
                pthread_mutex_lock(mutex)
                continue
            }
            var wakeAt = dueLater.map(\.due).min()
            if let waiting = sleeper {
                if interrupted || Self.monotonicNow() >= waiting.until {
                    sleeper = nil
                    // Unlocked: resuming enqueues the task's next job here, which locks.
                    pthread_mutex_unlock(mutex)
                    waiting.continuation.resume()
                    pthread_mutex_lock(mutex)
                    continue
                }
                wakeAt = min(wakeAt ?? waiting.until, waiting.until)
            }
            if let wakeAt {
                var until = Self.timespec(nanoseconds: wakeAt)
                pthread_cond_timedwait(wakeUp, mutex, &until)
                continue
            }
            if stopping {
                exited = true
                pthread_mutex_unlock(mutex)
                return
            }
            pthread_cond_wait(wakeUp, mutex)
        }
    }

    static func monotonicNow() -> Int64 {
        var now = Glibc.timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    private static func timespec(nanoseconds: Int64) -> Glibc.timespec {
        Glibc.timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
    }

    private static func monotonicNow(plus duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        // The daemon sleeps at most an interval (5 minutes); a year keeps the product in range.
        return monotonicNow() + max(0, min(seconds, 365 * 86_400) * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
