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
        // Names compared as bytes: TcpExt alone has over a hundred, and making each a String to
        // look it up was most of this parser's time in the daemon's tick.
        let wantedNames = wanted.map { $0.map { Array($0.utf8) } }
        var tables: [String: [String: Int64]] = [:]
        // The names of a protocol no caller needs are not split out: only its prefix is read.
        var pendingNames: (proto: String, names: [ArraySlice<UInt8>], line: Int)?
        var failure: ProcParseError?
        text.forEachLine { number, line in
            guard let head = firstField(line) else { return true }
            guard head.last == UInt8(ascii: ":") else {
                failure = text.error(line: number, "expected a '<Protocol>:' line, got '\(head.text)'")
                return false
            }
            let proto = String(decoding: head.dropLast(), as: UTF8.self)
            let needed = only?.contains(proto) ?? true
            if let pending = pendingNames, pending.proto == proto {
                pendingNames = nil
                guard needed else { return true }
                let values = procFields(line).dropFirst()
                guard values.count == pending.names.count else {
                    failure = text.error(line: number, "\(proto): \(values.count) values for \(pending.names.count) names on line \(pending.line)")
                    return false
                }
                var table: [String: Int64] = [:]
                for (nameBytes, field) in zip(pending.names, values) {
                    if let wantedNames, !wantedNames.contains(where: { $0.count == nameBytes.count && $0.elementsEqual(nameBytes) }) { continue }
                    let name = String(decoding: nameBytes, as: UTF8.self)
                    guard let value = field.asInt64 else {
                        failure = text.error(line: number, "\(proto) \(name): '\(field.text)' is not a number")
                        return false
                    }
                    table[name] = value
                }
                tables[proto] = table
            } else {
                if let pending = pendingNames {
                    failure = text.error(line: pending.line, "\(pending.proto): names without a line of values")
                    return false
                }
                pendingNames = (proto, needed ? Array(procFields(line).dropFirst()) : [], number)
            }
            return true
        }
        if let failure { throw failure }
        if let pending = pendingNames {
            throw text.error(line: pending.line, "\(pending.proto): names without a line of values (file cut short?)")
        }
        return ProtocolCounters(tables: tables)
    }

    /// The line's first blank-separated field, or nil for a blank line.
    private static func firstField(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard let start = line.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return nil }
        let end = line[start...].firstIndex(where: { $0 == 0x20 || $0 == 0x09 }) ?? line.endIndex
        return line[start..<end]
    }
}
