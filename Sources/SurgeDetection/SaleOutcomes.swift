import SurgeConfig

/// How each announced sale (`[schedule] sales`) went, from the daemon's stored ticks, for
/// `alerts --record`: whether the SLO rule broke in the sale's window (from `lead` before its
/// start to `lasts` past it), how far ahead an alert was open, or, when it did not break,
/// whether an alert was open anyway. The record's figures count episodes and false alarms
/// over the whole span; a shop that runs its sales by the clock asks after each one.
public struct SaleOutcomes: Sendable {
    public struct Sale: Sendable, Equatable {
        public var start: Double
        /// The window's ticks stored (none: the daemon was not running then).
        public var ticks = 0
        /// The first tick the rule broke in the window, and how long an alert had been open by
        /// the tick before it (nil: none was: not warned ahead).
        public var overloadAt: Double?
        public var warnedSeconds: Double?
        /// When an alert was first open in the window before any overload (nil: none was).
        public var alertAt: Double?
    }

    public let schedule: SurgeConfig.Schedule
    /// How long after its start a sale's window lasts.
    public var after: Double { schedule.lasts.seconds }
    /// Seconds per tick: more than three without one (a stop) ends the alert that was open.
    public let intervalSeconds: Double
    public private(set) var sales: [Sale] = []
    /// When the alert open after the last tick opened (nil: none open), and that tick's time.
    private var alertSince: Double?
    private var previous: Double?
    private var announced: AnnouncedStarts

    /// Sales listed in words, the newest.
    static let listed = 20

    public init(_ schedule: SurgeConfig.Schedule, intervalSeconds: Double) {
        self.schedule = schedule
        self.intervalSeconds = intervalSeconds
        announced = AnnouncedStarts(schedule)
    }

    /// One stored tick, oldest first; `alerting`: an alert is open after it.
    public mutating func add(timestamp: Double, label: Bool?, alerting: Bool) {
        // A stop between two ticks (as HostRecord cuts its runs): no alert goes on across it.
        if let previous, timestamp - previous > 3 * intervalSeconds { alertSince = nil }
        defer {
            alertSince = alerting ? (alertSince ?? timestamp) : nil
            previous = timestamp
        }
        guard !schedule.sales.isEmpty, let start = start(near: timestamp) else { return }
        if sales.last?.start != start { sales.append(Sale(start: start)) }
        var sale = sales[sales.count - 1]
        sale.ticks += 1
        if sale.overloadAt == nil, label == true {
            sale.overloadAt = timestamp
            // Warned ahead: an alert was open after the tick before (one opened on this tick
            // came with the breach).
            if let since = alertSince { sale.warnedSeconds = timestamp - since }
        }
        if sale.overloadAt == nil, sale.alertAt == nil, alerting { sale.alertAt = timestamp }
        sales[sales.count - 1] = sale
    }

    /// The start whose window holds `time`: the latest one at or before `time + lead`.
    private mutating func start(near time: Double) -> Double? {
        announced.starts(around: time).filter { time >= $0 - schedule.lead.seconds && time < $0 + after }.max()
    }

    /// A heading and one line a sale, newest last; `everyOne`: where the sales not listed are
    /// ("--json has every one").
    public func lines(everyOne: String? = nil) -> [String] {
        guard !sales.isEmpty else { return [] }
        let broke = sales.filter { $0.overloadAt != nil }
        let warned = broke.filter { $0.warnedSeconds != nil }.count
        let quietAlerts = sales.filter { $0.overloadAt == nil && $0.alertAt != nil }.count
        var lines = ["announced sales in these ticks (each from \(AlertMessage.duration(schedule.lead.seconds)) before its start to "
                     + "\(AlertMessage.duration(after)) after): \(NumberText.counted(sales.count, "sale")), \(broke.count) broke the SLO rule, "
                     + "\(warned) of them warned ahead; \(quietAlerts) with an alert and no overload"]
        // A month of daily sales is 30-60 lines: the newest are listed, JSON has them all.
        let shown = sales.suffix(Self.listed)
        if shown.count < sales.count {
            lines.append("  (\(sales.count - shown.count) earlier not listed\(everyOne.map { "; " + $0 } ?? ""))")
        }
        func relative(_ time: Double, _ start: Double) -> String {
            time >= start ? "\(AlertMessage.duration(time - start)) after the start" : "\(AlertMessage.duration(start - time)) before the start"
        }
        for sale in shown {
            let start = RFC3339.format(sale.start)
            if let at = sale.overloadAt {
                let warning = sale.warnedSeconds.map { "an alert open \(AlertMessage.duration($0)) ahead" } ?? "no alert ahead of it"
                lines.append("  \(start): the SLO rule broke \(relative(at, sale.start)), \(warning)")
            } else if let at = sale.alertAt {
                lines.append("  \(start): no overload; an alert was open from \(relative(at, sale.start)) (a false alarm)")
            } else {
                lines.append("  \(start): no overload, no alert")
            }
        }
        return lines
    }

    /// `[{"start":"…","ticks":240,"overload_at":"…","warned_seconds":50,"alert_at":"…"}]`.
    public var json: String {
        func time(_ value: Double?) -> String { value.map { JSONText.string(RFC3339.format($0)) } ?? "null" }
        return "[" + sales.map { sale in
            "{\"start\":\(time(sale.start)),\"ticks\":\(sale.ticks),\"overload_at\":\(time(sale.overloadAt)),"
                + "\"warned_seconds\":\(JSONText.number(sale.warnedSeconds)),\"alert_at\":\(time(sale.alertAt))}"
        }.joined(separator: ",") + "]"
    }
}
