import Glibc
import SurgeConfig

/// Times as the host's clock shows them (TZ, else /etc/localtime), for tables a person reads:
/// the journal shows its lines in the local zone, and an alert table in UTC beside it made an
/// operator at +08:00 add eight hours to match them. JSON and the record keep RFC 3339 UTC.
enum LocalClockText {
    /// "2026-12-06 20:15:04" in the local zone, and the zone's offset from UTC in seconds.
    static func dateAndTime(_ unixSeconds: Double) -> (text: String, offset: Int) {
        var seconds = time_t(unixSeconds.rounded(.down))
        var parts = tm()
        // The zone's offset from glibc; the date and time are RFC 3339's of the time moved by it.
        let offset = localtime_r(&seconds, &parts) != nil ? Int(parts.tm_gmtoff) : 0
        let utc = RFC3339.format(unixSeconds + Double(offset))
        return (String(utc.dropLast().map { $0 == "T" ? " " : $0 }), offset)
    }

    /// "UTC", "UTC+08:00", "UTC-03:30".
    static func zone(offset: Int) -> String {
        guard offset != 0 else { return "UTC" }
        let minutes = abs(offset) / 60
        let hours = minutes / 60, rest = minutes % 60
        return "UTC\(offset < 0 ? "-" : "+")\(hours < 10 ? "0" : "")\(hours):\(rest < 10 ? "0" : "")\(rest)"
    }
}
