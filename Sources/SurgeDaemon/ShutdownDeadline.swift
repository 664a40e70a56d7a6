import Glibc
import SurgeConfig
import SurgeDetection
import SurgeSampling
import Logging
import Synchronization

/// Bounds how long a graceful shutdown may take. Cancellation cannot interrupt a source stuck
/// in a blocking syscall (a /proc or cgroup file on a wedged filesystem, say); rather than hang
/// until systemd's SIGKILL, the daemon says which tick was stuck and exits on its own.
final class ShutdownDeadline: Sendable {
    private let finished = Atomic<Bool>(false)
    private let armed = Atomic<Bool>(false)

    /// Starts the countdown (once); `onExpiry` runs on a plain thread if `finish()` was not
    /// called in time, and the process exits with status 0 after it.
    func arm(after limit: Duration, onExpiry: @escaping @Sendable () -> Void) {
        guard armed.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        let microseconds = UInt32(limit.seconds * 1_000_000)
        // A plain pthread, outside Swift's cooperative pool, which a stuck tick may be holding.
        PlainThread.start(detached: true) { [self] in
            usleep(microseconds)
            guard !self.finished.load(ordering: .acquiring) else { return }
            onExpiry()
            exit(0)
        }
    }

    func finish() {
        finished.store(true, ordering: .releasing)
    }
}
