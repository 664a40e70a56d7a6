/// Durations as operators write them: `10s`, `5m`, `2h`, `30d`, `500ms`, or sums like `1m30s`.
public enum DurationText {
    private static let units: [(suffix: String, seconds: Double)] = [
        ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400),
    ]

    public static func parse(_ text: String) -> Duration? {
        var rest = Substring(text.trimmingSpaces)
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { $0.isASCII && $0.isLetter }
            guard let unit = units.first(where: { $0.suffix == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            total += value * unit.seconds
        }
        guard total.isFinite else { return nil }
        // Past Int64 milliseconds (292 million years) the value is held at that limit, so every
        // range check says "out of range" rather than the conversion trapping.
        return .milliseconds(saturatingMilliseconds(total))
    }

    /// `seconds` written as `format` writes a duration, to the millisecond: `10s`, `2m30s`.
    /// A value no duration holds (negative, not finite, beyond Int64 milliseconds) is written
    /// as the number of seconds, so a message about a broken trace can still name it.
    public static func format(seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds * 1000 < largestMilliseconds else { return "\(seconds)s" }
        return format(.milliseconds(Int64((seconds * 1000).rounded())))
    }

    /// The largest millisecond count a Double converts to Int64 without trapping, with room.
    private static let largestMilliseconds = 9.2e18

    private static func saturatingMilliseconds(_ seconds: Double) -> Int64 {
        let milliseconds = seconds * 1000
        return milliseconds < largestMilliseconds ? Int64(milliseconds.rounded()) : Int64.max
    }

    /// The shortest way to write `duration` back: `10s`, `5m`, `1h30m`, `250ms`.
    public static func format(_ duration: Duration) -> String {
        let (whole, overflow) = duration.components.seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow, duration >= .zero else { return "\(duration.seconds)s" }
        var milliseconds = whole + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 { return "0s" }
        var text = ""
        for (suffix, seconds) in units.reversed() {
            let size = Int64(seconds * 1000)
            if milliseconds >= size {
                text += "\(milliseconds / size)\(suffix)"
                milliseconds %= size
            }
        }
        return text
    }
}

extension Duration {
    /// Seconds as a Double, for arithmetic with rates and timestamps.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
