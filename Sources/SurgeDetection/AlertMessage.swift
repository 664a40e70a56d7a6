import SurgeConfig

/// The one readable line an operator sees for an alert event, in journald's MESSAGE and in
/// SQLite's `message`:
///
///     overload predicted within 30s (p=0.91): tcp_listen_overflows_per_s 0 -> 412/s, psi_cpu_some_avg10 8% -> 61%
public enum AlertMessage {
    public static func text(for event: AlertEvent) -> String {
        event.isTest ? "TEST (no overload): " + line(event) : line(event)
    }

    static func line(_ event: AlertEvent) -> String {
        let p = event.probability.map { "p=" + fixed($0, 2) } ?? "no prediction yet"
        switch (event.event, event.kind) {
        case (.fired, .predicted):
            return "overload predicted within \(duration(event.horizonSeconds)) (\(p)\(pastOutcome(event))\(sale(event))\(pending(event)))"
                + changes(event.topFeatures)
        case (.fired, .breached):
            let lead = event.escalatedFrom == .predicted ? "predicted overload arrived: SLO breached" : "overload: SLO breached"
            return "\(lead) (\(p))" + changes(event.topFeatures)
        case (.resolved, _):
            var text = "overload alert resolved"
            if let firedAt = event.firedAt { text += " after \(duration(event.at - firedAt))" }
            text += " (\(event.kind.rawValue), peak p=\(fixed(event.peakProbability, 2)))"
            if let note = event.note { text += ": \(note)" }
            return text
        }
    }

    /// "; here p 0.95-1.00 came true 53 % of 178 times": p is not calibrated, so the alert
    /// says what such a p has meant on this host.
    static func pastOutcome(_ event: AlertEvent) -> String {
        guard let past = event.pastOutcome else { return "" }
        return "; here p \(fixed(past.from, 2))-\(fixed(past.to, 2)) came true \(fixed(100 * past.share, 0)) % of \(past.ticks) times"
    }

    /// "; sale at 2026-12-12T12:00:00Z": the announced sale the alert came before (or on), and
    /// ", host past cpu_busy >= 0.3" when `[schedule] fire_when` fired it.
    static func sale(_ event: AlertEvent) -> String {
        guard let start = event.saleStart else { return "" }
        return "; sale at " + RFC3339.format(start) + (event.saleLevel.map { ", host past " + $0 } ?? "")
    }

    /// "; SLO rule cpu_busy > 0.6 held 2 of 3 ticks": the alert fired a tick before the rule
    /// would hold (`[alert] fire_on_pending_probability`).
    static func pending(_ event: AlertEvent) -> String {
        event.rulePending.map { "; SLO rule " + $0 } ?? ""
    }

    static func changes(_ features: [AlertEvent.FeatureChange]) -> String {
        guard !features.isEmpty else { return "" }
        // "0 -> 412/s", "8% -> 61%": a rate's unit once, at the end; percent on both sides.
        return ": " + features.map { feature in
            var before = value(feature.baseline, feature.name)
            if before.hasSuffix("/s") { before.removeLast(2) }
            return "\(feature.name) \(before) -> \(value(feature.recent, feature.name))"
        }.joined(separator: ", ")
    }

    /// Units follow the metric's name: ratios as percent, PSI already in percent, rates per second.
    static func value(_ value: Double?, _ metric: String) -> String {
        guard let value, value.isFinite else { return "?" }
        switch MetricScale(of: metric) {
        case .fraction: return compact(value * 100) + "%"
        case .percent: return compact(value) + "%"
        case .milliseconds: return compact(value) + "ms"
        case .seconds: return compact(value) + "s"
        case .flag, .other: return metric.hasSuffix("_per_s") ? compact(value) + "/s" : compact(value)
        }
    }

    /// 412, 61, 8.5, 0.031: enough digits to read, no more.
    static func compact(_ value: Double) -> String {
        let magnitude = abs(value)
        // An application's gauge can be any double: past Int64 (or NaN), printf's digits.
        guard magnitude < 1e15 else { return NumberText.short(value) }
        if magnitude >= 100 || value == value.rounded() { return String(Int64(value.rounded())) }
        if magnitude >= 10 { return fixed(value, 1) }
        if magnitude >= 0.1 { return fixed(value, 2) }
        return fixed(value, 3)
    }

    /// `value` with exactly `digits` decimals, without Foundation's formatting.
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        // Past Int64 (or NaN): six significant digits, as 1e+300 (a fixed point would write 300).
        guard scaled < 9e18 else { return NumberText.short(value) }
        let whole = Int64(scaled / scale)
        var fraction = String(Int64(scaled) - whole * Int64(scale))
        while fraction.count < digits { fraction = "0" + fraction }
        return (value < 0 && scaled > 0 ? "-" : "") + "\(whole)" + (digits > 0 ? "." + fraction : "")
    }

    /// 30s, 5m, 4m10s, 2h5m, to the second, as the config writes durations; a negative span
    /// (a clock set back) as 0s.
    public static func duration(_ seconds: Double) -> String {
        guard seconds < 1e15 else { return NumberText.short(seconds) + "s" }
        return DurationText.format(seconds: max(0, seconds).rounded())
    }
}
