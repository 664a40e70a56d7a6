/// `2026-11-26T10:00:00Z`, `2026-11-26 10:00:00.5+08:00`: to Unix seconds; no zone means UTC.
public enum RFC3339 {
    public static func parse(_ cell: ArraySlice<UInt8>) -> Double? {
        parseWithZone(cell)?.seconds
    }

    /// As `parse`, and whether the text named its offset from UTC (`Z` or `±HH:MM`): a trace's
    /// timestamps without one are UTC by convention, a sale's time without one is ambiguous.
    public static func parseWithZone(_ cell: ArraySlice<UInt8>) -> (seconds: Double, hasZone: Bool)? {
        let text = Array(cell)
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= text.count else { return nil }
            var value = 0
            for index in at..<(at + count) {
                let byte = text[index]
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard text.count >= 19, let year = digits(0, 4), text[4] == 45, let month = digits(5, 2), text[7] == 45,
              let day = digits(8, 2), text[10] == 84 || text[10] == 116 || text[10] == 32,
              let hour = digits(11, 2), text[13] == 58, let minute = digits(14, 2), text[16] == 58, let second = digits(17, 2),
              (1...12).contains(month), (1...daysIn(month, of: year)).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var index = 19
        var fraction = 0.0
        if index < text.count, text[index] == 46 {
            index += 1
            // RFC 3339's time-secfrac: a dot with at least one digit.
            guard index < text.count, text[index] >= 48, text[index] <= 57 else { return nil }
            var scale = 0.1
            while index < text.count, text[index] >= 48, text[index] <= 57 {
                fraction += Double(text[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offset = 0
        let zoneStart = index
        if index == text.count {
            // No zone: taken as UTC (datasets such as the World Cup minutes are written so).
        } else if text[index] == 90 || text[index] == 122 {
            index += 1
        } else if text[index] == 43 || text[index] == 45, let hours = digits(index + 1, 2), text.count > index + 3, text[index + 3] == 58,
                  let minutes = digits(index + 4, 2) {
            offset = (hours * 3600 + minutes * 60) * (text[index] == 43 ? 1 : -1)
            index += 6
        } else {
            return nil
        }
        guard index == text.count else { return nil }
        let hasZone = index > zoneStart
        // Days from 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146097 + dayOfEra - 719468
        return (Double(days * 86400 + hour * 3600 + minute * 60 + second - offset) + fraction, hasZone)
    }

    /// Days in `month` (1-12) of `year`, Gregorian leap years: so a "2026-02-30" in a trace is
    /// refused rather than read as 2 March.
    static func daysIn(_ month: Int, of year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Unix seconds (whole seconds, rounded down) as RFC 3339 in UTC: "2026-01-01T20:00:00Z".
    public static func format(_ unixSeconds: Double) -> String {
        let seconds = Int(unixSeconds.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        // The civil date of a day number (Howard Hinnant's algorithm, the inverse of the parser's).
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let dayOfEra = z - era * 146097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let yearText = String(year).count >= 4 ? String(year) : String(repeating: "0", count: 4 - String(year).count) + String(year)
        return "\(yearText)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))Z"
    }
}
