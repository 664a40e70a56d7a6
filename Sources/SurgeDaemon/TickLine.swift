import Glibc
import SurgeConfig
import SurgeDetection
import SurgeJournal
import SurgeSampling

/// How each tick is echoed on stdout: a readable line, a JSON object per line (for jq and the
/// end-to-end tests), or nothing (under systemd, where STATUS= carries it instead).
public enum TickOutput: String, Sendable, CaseIterable {
    case text, json, none
}

public enum TickLine {
    /// `prediction`: "p(overload) 0.03 · normal", "warming up" before the window is full, or
    /// "no prediction: every feature missing · no_data".
    public static func text(_ sample: Sample, features: [String], outcome: TickOutcome, prediction: String) -> String {
        var line = "\(rfc3339(sample.timestamp)) tick \(sample.tick) ·"
        for feature in features {
            line += " \(feature)=" + (sample.value(feature).map(NumberText.short) ?? "-")
        }
        line += " · \(sample.schema.count) metrics, \(sample.missingCount) missing · window \(outcome.windowFill)/\(outcome.windowTicks) · \(prediction)"
        return line
    }

    /// Keys in schema order; missing values are null. `cpu_us`: the daemon's own CPU time since
    /// the tick before, every thread (`OwnCost`).
    public static func json(_ sample: Sample, cpuMicroseconds: Double) -> String {
        var line = "{\"tick\":\(sample.tick),\"time\":\"\(rfc3339(sample.timestamp))\",\"cpu_us\":\(Int(cpuMicroseconds.rounded())),\"values\":{"
        for (index, name) in sample.schema.names.enumerated() {
            if index > 0 { line += "," }
            let value = sample.values[index]
            line += "\"\(name)\":" + (value.isNaN ? "null" : NumberText.short(value))
        }
        return line + "}}"
    }

    public static func rfc3339(_ unixSeconds: Double) -> String { RFC3339.format(unixSeconds) }
}

/// Writes one line to stdout with a single write(2): unbuffered, so a reader (a pipe, a test)
/// sees each tick as it happens, and lines from concurrent writers never interleave.
public func writeStdoutLine(_ line: String) {
    writeAll(line + "\n", to: STDOUT_FILENO)
}
