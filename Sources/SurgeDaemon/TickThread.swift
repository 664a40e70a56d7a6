import Glibc
import SurgeSampling

/// The one thread the tick loop runs on and sleeps on between ticks.
///
/// Why: on Swift's global executor a sleep is a Dispatch timer. At each deadline the timer
/// thread wakes, then wakes a pool thread to run the tick, and the tick lands on either of two
/// pool threads: two wake-ups a tick, each of which this VM charges tens of microseconds
/// (an empty C loop that sleeps 100 ms costs 65 µs of CPU a tick here). Here the thread that
/// sleeps is the thread that ticks: one wake-up, and the same thread's caches each time
/// (BENCHMARKS.md, "A thread of its own for the tick").
///
/// The loop's task prefers this executor (`withTaskExecutorPreference`), so its jobs and its
/// child tasks' (the sources read side by side) run here; an HTTP request still runs on a
/// thread of its own and the learner on its own, so nothing here blocks for long.
final class TickThread: TaskExecutor, @unchecked Sendable {
    // pthread objects must not move: they live in allocated memory, not in stored properties.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakeUp = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `mutex`.
    private var jobs: [UnownedJob] = []
    private var sleeper: (continuation: UnsafeContinuation<Void, Never>, until: timespec)?
    private var interrupted = false
    private var stopping = false
    private var exited = false

    /// A running thread, or nil when none could be made (the caller ticks on the global executor).
    static func start() -> TickThread? {
        let thread = TickThread()
        return PlainThread.start(detached: true, { thread.serve() }) == nil ? nil : thread
    }

    private init() {
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
        let job = UnownedJob(job)
        pthread_mutex_lock(mutex)
        if exited {
            // A job after `stop()` (none is expected): it still runs, on the global executor.
            pthread_mutex_unlock(mutex)
            globalConcurrentExecutor.enqueue(job)
            return
        }
        jobs.append(job)
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
        // What `top -H` and /proc/PID/task/*/comm show (at most 15 bytes); pthread_setname_np
        // is not visible to Swift. Without it the thread keeps its creator's name.
        let comm = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        if comm >= 0 {
            _ = write(comm, "surgewatch-tick", 15)
            close(comm)
        }
        pthread_mutex_lock(mutex)
        while true {
            if !jobs.isEmpty {
                let batch = jobs
                jobs.removeAll(keepingCapacity: true)
                pthread_mutex_unlock(mutex)
                for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
                pthread_mutex_lock(mutex)
                continue
            }
            if let waiting = sleeper {
                if interrupted || Self.monotonicNow() >= Self.nanoseconds(waiting.until) {
                    sleeper = nil
                    // Unlocked: resuming enqueues the task's next job here, which locks.
                    pthread_mutex_unlock(mutex)
                    waiting.continuation.resume()
                    pthread_mutex_lock(mutex)
                } else {
                    var until = waiting.until
                    pthread_cond_timedwait(wakeUp, mutex, &until)
                }
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

    private static func monotonicNow() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return nanoseconds(now)
    }

    private static func nanoseconds(_ time: timespec) -> Int64 {
        Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    private static func monotonicNow(plus duration: Duration) -> timespec {
        let (seconds, attoseconds) = duration.components
        // The daemon sleeps at most an interval (5 minutes); a year keeps the product in range.
        let total = monotonicNow() + max(0, min(seconds, 365 * 86_400) * 1_000_000_000 + attoseconds / 1_000_000_000)
        return timespec(tv_sec: Int(total / 1_000_000_000), tv_nsec: Int(total % 1_000_000_000))
    }
}
