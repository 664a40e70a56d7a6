#if canImport(Glibc)
import Glibc
#endif

/// CPU time of the calling thread (user + kernel): what a piece of work cost the host,
/// unaffected by other threads and processes.
public enum ThreadCPUClock {
    public static func seconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
