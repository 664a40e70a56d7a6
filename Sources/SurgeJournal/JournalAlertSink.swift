import Glibc
import Synchronization
import SurgeDetection
import SurgeSampling

/// Alert events as journal entries with the fields of CONTRACTS.md, so
/// `journalctl -t surgewatch -p warning` lists alerts and `journalctl SURGE_EVENT=fired -o json`
/// scripts them. When journald is not there (no socket) or refuses an entry, the alert goes to
/// stderr instead, with one warning, and the daemon goes on.
public final class JournalAlertSink: AlertSink {
    public let name = "journald"
    public let identifier: String
    let socketPath: String
    private let fallbackWarned = Atomic<Bool>(false)

    /// Fixed per event kind; `systemd/surgewatch.catalog` explains each (`journalctl -x`).
    public enum MessageID {
        public static let predictedFired = "cff32a2d4a2942639a8a7e23a8a382e6"
        public static let breachedFired = "6fb7f1d8c36447bab5c2c73b99d3bd70"
        public static let resolved = "e2f42aee8f6d4cde98d42a246c2296e6"
    }

    /// Whether some alert found no journald and went to stderr instead.
    public var fellBackToStderr: Bool { fallbackWarned.load(ordering: .relaxed) }

    public init(identifier: String, socketPath: String = JournalEntry.socketPath) {
        self.identifier = identifier
        self.socketPath = socketPath
    }

    public static func fields(for event: AlertEvent, identifier: String) -> [(name: String, value: String)] {
        let (priority, messageID): (Int, String) = switch (event.event, event.kind) {
        case (.fired, .predicted): (4, MessageID.predictedFired)
        case (.fired, .breached): (2, MessageID.breachedFired)
        case (.resolved, _): (5, MessageID.resolved)
        }
        var fields: [(name: String, value: String)] = [
            ("MESSAGE", AlertMessage.text(for: event)),
            ("PRIORITY", String(priority)),
            ("MESSAGE_ID", messageID),
            ("SYSLOG_IDENTIFIER", identifier),
            ("SURGE_EVENT", event.event.rawValue),
            ("SURGE_KIND", event.kind.rawValue),
            ("SURGE_PEAK_PROBABILITY", AlertMessage.fixed(event.peakProbability, 4)),
            ("SURGE_ALERT_ID", event.alertID),
            ("SURGE_HORIZON_SECONDS", JSONText.number(event.horizonSeconds)),
            ("SURGE_TOP_FEATURES", JSONText.features(event.topFeatures)),
        ]
        // Absent when the model gave no prediction that tick (see AlertEvent.probability).
        if let p = event.probability { fields.insert(("SURGE_PROBABILITY", AlertMessage.fixed(p, 4)), at: 6) }
        if let from = event.escalatedFrom { fields.append(("SURGE_ESCALATED_FROM", from.rawValue)) }
        if let note = event.note { fields.append(("SURGE_NOTE", note)) }
        if event.isTest { fields.append(("SURGE_TEST", "1")) }
        if let start = event.saleStart { fields.append(("SURGE_SALE_START", TraceTime.rfc3339(start))) }
        if let level = event.saleLevel { fields.append(("SURGE_SALE_LEVEL", level)) }
        if let pending = event.rulePending { fields.append(("SURGE_RULE_PENDING", pending)) }
        if let approach = event.ruleApproach { fields.append(("SURGE_RULE_APPROACH", approach.json)) }
        if let past = event.pastOutcome {
            fields.append(("SURGE_P_BAND", "\(AlertMessage.fixed(past.from, 2))-\(AlertMessage.fixed(past.to, 2))"))
            fields.append(("SURGE_P_BAND_TICKS", String(past.ticks)))
            fields.append(("SURGE_P_CAME_TRUE", AlertMessage.fixed(past.share, 4)))
        }
        return fields
    }

    public func deliver(_ event: AlertEvent) throws {
        let fields = Self.fields(for: event, identifier: identifier)
        do {
            try JournalEntry.send(fields, socket: socketPath)
        } catch {
            if !fallbackWarned.exchange(true, ordering: .relaxed) {
                writeAll("\(identifier): warning: \(error); alerts are written to stderr instead\n", to: STDERR_FILENO)
            }
            let extra = fields.filter { $0.name.hasPrefix("SURGE_") }.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
            writeAll("\(identifier): alert: \(fields[0].value) [\(extra)]\n", to: STDERR_FILENO)
        }
    }
}
