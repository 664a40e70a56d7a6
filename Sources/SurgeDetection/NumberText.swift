#if canImport(Glibc)
import Glibc
#endif
import SurgeConfig

/// Numbers as text for lines, CSV files and benchmarks, through C's printf (Swift's own
/// description prints 17 digits where 6 say as much), without a heap buffer per number.
public enum NumberText {
    /// Up to six significant digits, integers without a fraction: stable across runs and short.
    public static func short(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return printf(value, "%.6g")
    }

    /// Integers without a fraction, anything else in the shortest text that reads back as the
    /// same double: for values that must survive a round trip, such as a trace's timestamps
    /// (`short` would turn 1768025440.25 into 1.76803e+09).
    public static func exact(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return value.description
    }

    /// "1 tick", "2 ticks": a count and its noun, in the plural unless the count is one.
    public static func counted(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }

    /// A span of time for a person: in days with one decimal from a day on ("11.0 days"), as a
    /// duration under one ("33m30s"), where "0.02 days" said little.
    public static func span(seconds: Double) -> String {
        seconds >= 86400 ? "\(fixed(seconds / 86400, decimals: 1)) days" : DurationText.format(seconds: seconds.rounded())
    }

    /// A fixed number of decimals (0 ... 9), e.g. probabilities in the prediction CSV.
    public static func fixed(_ value: Double, decimals: Int) -> String {
        precondition((0...9).contains(decimals))
        return printf(value, "%.\(decimals)f")
    }

    private static func printf(_ value: Double, _ format: String) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            let length = withVaList([value]) { vsnprintf(buffer.baseAddress!, 64, format, $0) }
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress!, count: Int(min(max(length, 0), 63))), as: UTF8.self)
        }
    }
}
