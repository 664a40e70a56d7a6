import Glibc
import SurgeDetection

/// CPU time of the calling thread (user + kernel), in microseconds: what a tick costs the host,
/// including the kernel work of generating /proc files, and unaffected by other processes.
func threadCPUMicroseconds() -> Double {
    ThreadCPUClock.seconds() * 1e6
}

func wallMicroseconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) * 1e6 + Double(now.tv_nsec) / 1e3
}

/// Peak resident set of this process (VmHWM), KiB.
func peakRSSKiB() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss
}

struct Summary {
    let median: Double
    let p10: Double
    let p99: Double
    let count: Int

    init(_ samples: [Double]) {
        let sorted = samples.sorted()
        count = sorted.count
        func at(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * q))] }
        median = at(0.5)
        p10 = at(0.1)
        p99 = at(0.99)
    }
}

func format(_ value: Double) -> String { NumberText.fixed(value, decimals: 2) }
