/// /proc/net/snmp and /proc/net/netstat share one layout: for each protocol a line of names and
/// then a line of values, both led by the same prefix.
///
///     Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens ... CurrEstab ... RetransSegs ...
///     Tcp: 1 200 120000 -1 28 1 0 0 1 2106 1590 0 0 7 0
///     TcpExt: SyncookiesSent SyncookiesRecv ... ListenOverflows ListenDrops ...
///     TcpExt: 0 0 ... 0 0 ...
///
/// `MaxConn` is -1, so values are signed.
public struct ProtocolCounters: Equatable, Sendable {
    /// protocol prefix (without the colon) -> counter name -> value
    public var tables: [String: [String: Int64]]

    public func value(_ proto: String, _ name: String) -> Int64? {
        tables[proto]?[name]
    }

    /// Parses every protocol in the file; `only` limits the work to the prefixes a caller needs
    /// and `names` to the counters it reads (TcpExt alone has over a hundred).
    public static func parse(_ text: ProcText, only: Set<String>? = nil, names wanted: Set<String>? = nil) throws(ProcParseError) -> ProtocolCounters {
        var tables: [String: [String: Int64]] = [:]
        try forEachTable(in: text, needing: { only?.contains(String(decoding: $0, as: UTF8.self)) ?? true }) {
            proto, names, values, number throws(ProcParseError) in
            let protoName = String(decoding: proto, as: UTF8.self)
            var table: [String: Int64] = [:]
            for (nameBytes, field) in zip(names, values) {
                let name = String(decoding: nameBytes, as: UTF8.self)
                if let wanted, !wanted.contains(name) { continue }
                guard let value = field.asInt64 else {
                    throw text.error(line: number, "\(protoName) \(name): '\(field.text)' is not a number")
                }
                table[name] = value
            }
            tables[protoName] = table
        }
        return ProtocolCounters(tables: tables)
    }

    /// The counters `names` of protocol `proto` (the prefix without its colon), in the order
    /// given, nil for a name the file lacks; nil altogether when the file has no such lines. The
    /// file is checked as `parse` checks it. For the daemon's tick, which reads four Tcp and two
    /// TcpExt counters: no table and no string is made, which was most of this file's cost in a
    /// tick whose caches are cold (a tick every 10 s).
    public static func counters(_ text: ProcText, of proto: StaticString, named names: [StaticString]) throws(ProcParseError) -> [Int64?]? {
        var found: [Int64?]?
        try forEachTable(in: text, needing: { $0.equals(proto) }) { _, fileNames, values, number throws(ProcParseError) in
            var row = [Int64?](repeating: nil, count: names.count)
            for (nameBytes, field) in zip(fileNames, values) {
                guard let slot = names.firstIndex(where: { nameBytes.equals($0) }) else { continue }
                guard let value = field.asInt64 else {
                    throw text.error(line: number, "\(proto) \(names[slot]): '\(field.text)' is not a number")
                }
                row[slot] = value
            }
            found = row
        }
        return found
    }

    /// Walks the file's pairs of lines, checking that each line is led by a `<Protocol>:` and
    /// that names and values pair up, and gives `body` the pairs of the protocols `needing`
    /// accepts (its argument: the prefix without the colon) with the line number of the values.
    /// The names of a protocol no caller needs are not split out: only its prefix is read.
    private static func forEachTable(
        in text: ProcText, needing: (ArraySlice<UInt8>) -> Bool,
        _ body: (_ proto: ArraySlice<UInt8>, _ names: [ArraySlice<UInt8>], _ values: ArraySlice<ArraySlice<UInt8>>, _ line: Int) throws(ProcParseError) -> Void
    ) throws(ProcParseError) {
        var pendingNames: (proto: ArraySlice<UInt8>, names: [ArraySlice<UInt8>], line: Int)?
        var failure: ProcParseError?
        text.forEachLine { number, line in
            guard let head = firstField(line) else { return true }
            guard head.last == UInt8(ascii: ":") else {
                failure = text.error(line: number, "expected a '<Protocol>:' line, got '\(head.text)'")
                return false
            }
            let proto = head.dropLast()
            if let pending = pendingNames, pending.proto.elementsEqual(proto) {
                pendingNames = nil
                guard !pending.names.isEmpty || needing(proto) else { return true }
                let values = procFields(line).dropFirst()
                guard values.count == pending.names.count else {
                    failure = text.error(line: number, "\(String(decoding: proto, as: UTF8.self)): \(values.count) values for \(pending.names.count) names on line \(pending.line)")
                    return false
                }
                do throws(ProcParseError) {
                    try body(proto, pending.names, values, number)
                } catch {
                    failure = error
                    return false
                }
            } else {
                if let pending = pendingNames {
                    failure = text.error(line: pending.line, "\(String(decoding: pending.proto, as: UTF8.self)): names without a line of values")
                    return false
                }
                pendingNames = (proto, needing(proto) ? Array(procFields(line).dropFirst()) : [], number)
            }
            return true
        }
        if let failure { throw failure }
        if let pending = pendingNames {
            throw text.error(line: pending.line, "\(String(decoding: pending.proto, as: UTF8.self)): names without a line of values (file cut short?)")
        }
    }

    /// The line's first blank-separated field, or nil for a blank line.
    private static func firstField(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard let start = line.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return nil }
        let end = line[start...].firstIndex(where: { $0 == 0x20 || $0 == 0x09 }) ?? line.endIndex
        return line[start..<end]
    }
}
