import SurgeDetection
import SurgeJournal

/// `replay --alerts`: the alert events of a replay as the journal would hold them, one JSON
/// object a line in the shape of `journalctl -o json`, so that a script written against the
/// daemon's journal (jq over SURGE_KIND, SURGE_NOTE, ...) reads a replay the same way.
enum ReplayAlertLines {
    static func render(_ events: [AlertEvent], identifier: String) -> [UInt8] {
        var out: [UInt8] = []
        for event in events {
            // journald's own field: microseconds since the epoch, as a string.
            let microseconds = Int64((event.at * 1_000_000).rounded())
            let fields = [("__REALTIME_TIMESTAMP", String(microseconds))] + JournalAlertSink.fields(for: event, identifier: identifier)
            out += Array(("{" + fields.map { "\(JSONText.string($0.0)):\(JSONText.string($0.1))" }.joined(separator: ",") + "}\n").utf8)
        }
        return out
    }
}
