import Glibc
import SurgeDetection

/// What the daemon itself costs the host it watches, so an operator can check the claim "almost
/// nothing" on their own box: the process's CPU time from one tick to the next (every thread:
/// the tick loop, the learner's Adam steps, the request threads of the application sources, and
/// the watchdog pings in between), its quantiles since the last report, and the memory it holds.
///
/// The process clock (CLOCK_PROCESS_CPUTIME_ID) counts threads that have already exited too,
/// which a per-thread clock or /proc/PID/task would miss: each HTTP request runs on a thread of
/// its own.
struct OwnCost {
    private var lastCPU: Double
    private var lastWall: Double
    private var since: Double
    private var histogram = LogHistogram()
    private var totalSeconds = 0.0

    init(cpuSeconds: Double = OwnCost.processCPUSeconds(), wallSeconds: Double) {
        lastCPU = cpuSeconds
        lastWall = wallSeconds
        since = wallSeconds
    }

    /// Records the CPU time since the last call; returns it in microseconds.
    mutating func tick(cpuSeconds: Double = OwnCost.processCPUSeconds(), wallSeconds: Double) -> Double {
        let spent = max(0, cpuSeconds - lastCPU)
        lastCPU = cpuSeconds
        lastWall = wallSeconds
        histogram.add(spent * 1e6)
        totalSeconds += spent
        return spent * 1e6
    }

    var ticks: Int { histogram.count }

    /// "own cost over the last 8640 ticks: CPU per tick median 0.31 ms, p99 2.1 ms, at most 14 ms;
    /// 0.004 % of a core; RSS 26.4 MiB (7.1 MiB anonymous; peak 27.1 MiB)". Then the count starts
    /// again.
    mutating func report(memory: Memory?) -> String {
        var line = "own cost over the last \(NumberText.counted(histogram.count, "tick")): CPU per tick median \(Self.milliseconds(histogram.quantile(0.5))), "
            + "p99 \(Self.milliseconds(histogram.quantile(0.99))), at most \(Self.milliseconds(histogram.maximum))"
        let wall = lastWall - since
        if wall > 0 { line += "; \(Self.twoDigits(100 * totalSeconds / wall)) % of a core" }
        if let memory {
            // The anonymous pages are the daemon's own memory; the rest of RSS is its program's
            // and libraries' file pages, shared with the page cache (BENCHMARKS.md).
            let anonymous = memory.anonymousKiB.map { "\(Self.mebibytes($0)) MiB anonymous; " } ?? ""
            line += "; RSS \(Self.mebibytes(memory.rssKiB)) MiB (\(anonymous)peak \(Self.mebibytes(memory.peakKiB)) MiB)"
        }
        histogram = LogHistogram()
        totalSeconds = 0
        since = lastWall
        return line
    }

    static func processCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    struct Memory: Equatable {
        var rssKiB: Int
        /// RssAnon (Linux 4.5 and later); nil where the kernel does not say it.
        var anonymousKiB: Int?
        var peakKiB: Int
    }

    /// VmRSS, RssAnon and VmHWM of this process, from the real /proc (not the config's
    /// `proc_root`, which may be a fixture tree): nil where RSS or its peak cannot be read.
    static func memory(status path: String = "/proc/self/status") -> Memory? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var rss: Int?, anonymous: Int?, peak: Int?
        var buffer = [CChar](repeating: 0, count: 256)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
            guard fields.count >= 2, let kib = Int(fields[1]) else { continue }
            if fields[0] == "VmRSS:" { rss = kib }
            if fields[0] == "VmHWM:" { peak = kib }
            if fields[0] == "RssAnon:" { anonymous = kib }
        }
        guard let rss, let peak else { return nil }
        return Memory(rssKiB: rss, anonymousKiB: anonymous, peakKiB: peak)
    }

    static func mebibytes(_ kib: Int) -> String {
        NumberText.fixed(Double(kib) / 1024, decimals: 1)
    }

    /// "0.31 ms", "14 ms", "1.2 s".
    static func milliseconds(_ microseconds: Double) -> String {
        microseconds >= 1e6 ? twoDigits(microseconds / 1e6) + " s" : twoDigits(microseconds / 1e3) + " ms"
    }

    /// Two significant digits (a quantile from 2 % buckets says no more): 0.0043, 0.31, 14, 230.
    static func twoDigits(_ value: Double) -> String {
        guard value > 0 else { return "0" }
        let decimals = min(6, max(0, 1 - Int(log10(value).rounded(.down))))
        return NumberText.fixed(value, decimals: decimals)
    }
}

/// Counts of positive values in buckets 2 % wide (1 µs .. 400 s for microseconds), so a day of
/// ticks at any interval costs 4 KiB, and a quantile is within 2 % of the true one.
struct LogHistogram {
    static let ratio = 1.02
    static let bucketCount = 1000
    private var counts = [UInt32](repeating: 0, count: LogHistogram.bucketCount)
    private(set) var count = 0
    private(set) var maximum = 0.0

    mutating func add(_ value: Double) {
        counts[Self.bucket(of: value)] &+= 1
        count += 1
        maximum = max(maximum, value)
    }

    /// The geometric middle of the bucket holding the q-quantile (nearest rank), never above
    /// the largest value seen; 0 when empty.
    func quantile(_ q: Double) -> Double {
        guard count > 0 else { return 0 }
        let rank = max(1, Int((q * Double(count)).rounded(.up)))
        var seen = 0
        for (index, bucketCount) in counts.enumerated() {
            seen += Int(bucketCount)
            if seen >= rank { return min(maximum, Self.middle(of: index)) }
        }
        return maximum
    }

    static func bucket(of value: Double) -> Int {
        guard value > 1 else { return 0 }
        return min(bucketCount - 1, Int(log(value) / log(ratio)) + 1)
    }

    /// Bucket 0 holds values up to 1; bucket i > 0 holds (ratio^(i-1), ratio^i].
    static func middle(of index: Int) -> Double {
        index == 0 ? 1 : pow(ratio, Double(index) - 0.5)
    }
}
