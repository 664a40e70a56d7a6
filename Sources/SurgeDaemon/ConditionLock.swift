import Glibc

/// A mutex and a condition whose timed waits run on CLOCK_MONOTONIC, so a step of the wall
/// clock neither stretches nor cuts them. For threads of the daemon's own that wait for work
/// or a deadline (the Alertmanager senders).
final class ConditionLock: @unchecked Sendable {
    // pthread objects must not move: they live in allocated memory, not in stored properties.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    /// Wakes every waiter; called with the lock held.
    func broadcast() { pthread_cond_broadcast(condition) }

    /// Waits, the lock held, until woken or `until` (monotonic seconds; nil: no deadline).
    func wait(until: Double?) {
        guard let until else {
            pthread_cond_wait(condition, mutex)
            return
        }
        let whole = until.rounded(.down)
        var deadline = timespec(tv_sec: Int(whole), tv_nsec: Int((until - whole) * 1e9))
        pthread_cond_timedwait(condition, mutex, &deadline)
    }

    /// Seconds on CLOCK_MONOTONIC.
    static func monotonicNow() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
