/// One /proc/pressure/{cpu,memory,io} file (Documentation/accounting/psi.rst):
///
///     some avg10=0.09 avg60=0.94 avg300=0.45 total=1999361
///     full avg10=0.00 avg60=0.00 avg300=0.00 total=0
///
/// avg10 is the percentage of the last 10 s in which some (or all) tasks stalled on the resource.
/// The `full` line of the cpu file exists since Linux 5.13; before that it is nil.
public struct PressureStall: Equatable, Sendable {
    public var someAvg10: Double
    public var fullAvg10: Double?

    public static func parse(_ text: ProcText) throws(ProcParseError) -> PressureStall {
        var some: Double?
        var full: Double?
        var failure: ProcParseError?
        text.forEachLine { number, line in
            let fields = procFields(line)
            guard let kind = fields.first else { return true }
            guard kind.equals("some") || kind.equals("full") else {
                failure = text.error(line: number, "expected a 'some' or 'full' line, got '\(kind.text)'")
                return false
            }
            guard fields.count >= 2, fields[1].hasPrefix("avg10="),
                let value = fields[1].dropFirst(6).asDecimal
            else {
                failure = text.error(line: number, "expected 'avg10=<percent>' after '\(kind.text)'")
                return false
            }
            if kind.equals("some") { some = value } else { full = value }
            return true
        }
        if let failure { throw failure }
        guard let some else { throw text.error(line: 0, "no 'some' line") }
        return PressureStall(someAvg10: some, fullAvg10: full)
    }
}
