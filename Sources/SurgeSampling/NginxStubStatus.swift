/// nginx's stub_status page (ngx_http_stub_status_module), four lines:
///
///     Active connections: 291
///     server accepts handled requests
///      16630948 16630948 31070465
///     Reading: 6 Writing: 179 Waiting: 106
///
/// accepts, handled and requests are counters since nginx started; the rest are gauges.
public struct NginxStubStatus: Equatable, Sendable {
    public var active: UInt64
    public var accepts: UInt64
    public var handled: UInt64
    public var requests: UInt64
    public var reading: UInt64
    public var writing: UInt64
    public var waiting: UInt64

    public static func parse(_ text: ProcText) throws(ProcParseError) -> NginxStubStatus {
        var lines: [(number: Int, fields: [ArraySlice<UInt8>])] = []
        text.forEachLine { number, line in
            let fields = procFields(line)
            if !fields.isEmpty { lines.append((number, fields)) }
            return lines.count < 4
        }
        guard lines.count == 4 else {
            throw text.error(line: 0, "expected the four lines of nginx stub_status, got \(lines.count)")
        }
        func number(_ field: ArraySlice<UInt8>, _ line: Int, _ what: String) throws(ProcParseError) -> UInt64 {
            guard let value = field.asUInt64 else { throw text.error(line: line, "expected a count for \(what), got '\(field.text)'") }
            return value
        }
        let first = lines[0]
        guard first.fields.count == 3, first.fields[0].equals("Active"), first.fields[1].equals("connections:") else {
            throw text.error(line: first.number, "expected 'Active connections: N'")
        }
        let header = lines[1]
        guard header.fields.count >= 4, header.fields[1].equals("accepts"), header.fields[2].equals("handled"),
              header.fields[3].equals("requests") else {
            throw text.error(line: header.number, "expected 'server accepts handled requests'")
        }
        let counters = lines[2]
        guard counters.fields.count >= 3 else {
            throw text.error(line: counters.number, "expected three counters: accepts handled requests")
        }
        let states = lines[3]
        guard states.fields.count == 6, states.fields[0].equals("Reading:"), states.fields[2].equals("Writing:"),
              states.fields[4].equals("Waiting:") else {
            throw text.error(line: states.number, "expected 'Reading: N Writing: N Waiting: N'")
        }
        return NginxStubStatus(
            active: try number(first.fields[2], first.number, "active connections"),
            accepts: try number(counters.fields[0], counters.number, "accepts"),
            handled: try number(counters.fields[1], counters.number, "handled"),
            requests: try number(counters.fields[2], counters.number, "requests"),
            reading: try number(states.fields[1], states.number, "reading"),
            writing: try number(states.fields[3], states.number, "writing"),
            waiting: try number(states.fields[5], states.number, "waiting"))
    }
}
