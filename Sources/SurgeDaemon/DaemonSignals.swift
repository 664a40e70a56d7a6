import Glibc
import SurgeSampling

/// SIGTERM, SIGINT, SIGHUP and SIGUSR1 (`surgewatch forget`'s request, ForgetRequest) for
/// `surgewatch run`, taken by a thread of the daemon's own that waits for them in
/// `sigwaitinfo` and does nothing else.
///
/// Why not Dispatch's signal sources (what ServiceLifecycle's `UnixSignalsSequence` uses):
/// they start Dispatch's manager thread, which asks for nice -4; a service without
/// CAP_SYS_NICE is refused, and Dispatch logged "Failed to set thread priority ... errno=13" in
/// the journal at every start. Without them the daemon starts no Dispatch thread at all.
enum DaemonSignals {
    static let handled: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGUSR1]

    /// Blocks the signals in the calling thread and so in every thread it starts later: only
    /// the waiting thread takes them, and one that comes before it waits stays pending. Call
    /// it before the daemon starts any thread.
    static func block() {
        var set = signalSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Starts the thread (`surgewatch-sig`) that calls `handle` with each signal as it comes;
    /// false when no thread could be made.
    @discardableResult
    static func startWaiting(_ handle: @escaping @Sendable (Int32) -> Void) -> Bool {
        PlainThread.start(detached: true) {
            nameThisThread("surgewatch-sig")
            var set = signalSet()
            while true {
                let signal = sigwaitinfo(&set, nil)
                if signal > 0 { handle(signal) }
            }
        } != nil
    }

    private static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in handled { sigaddset(&set, signal) }
        return set
    }
}

/// Sets the calling thread's name as /proc/PID/task/*/comm and `top -H` show it (at most 15
/// bytes); pthread_setname_np is not visible to Swift.
func nameThisThread(_ name: String) {
    let comm = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard comm >= 0 else { return }
    _ = name.utf8CString.withUnsafeBufferPointer { write(comm, $0.baseAddress, min($0.count - 1, 15)) }
    close(comm)
}
