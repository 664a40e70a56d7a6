/// Per-interface counters of /proc/net/dev (two header lines, then one line per interface):
///
///       eth0: 30132896     632    0    0    0     0          0         0    32293     371    0    0 ...
///
/// Receive columns: bytes packets errs drop fifo frame compressed multicast; then transmit:
/// bytes packets errs drop fifo colls carrier compressed. The name may touch the first number
/// (`eth0:123`) on old kernels, so the line is split at the colon, not at spaces.
public struct NetDevStats: Equatable, Sendable {
    public struct Interface: Equatable, Sendable {
        public var name: String
        public var rxBytes: UInt64, rxPackets: UInt64, rxDrop: UInt64
        public var txBytes: UInt64, txPackets: UInt64, txDrop: UInt64
    }

    public var interfaces: [Interface]

    public static func parse(_ text: ProcText) throws(ProcParseError) -> NetDevStats {
        var interfaces: [Interface] = []
        var failure: ProcParseError?
        var sawHeader = false
        text.forEachLine { number, line in
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                if line.contains(UInt8(ascii: "|")) { sawHeader = true; return true }
                if procFields(line).isEmpty { return true }
                failure = text.error(line: number, "expected '<interface>: <counters>'")
                return false
            }
            if line.contains(UInt8(ascii: "|")) { sawHeader = true; return true }
            let name = String(decoding: procFields(line[..<colon]).first ?? [], as: UTF8.self)
            let fields = procFields(line[(colon + 1)...])
            guard fields.count >= 16 else {
                failure = text.error(line: number, "interface \(name): \(fields.count) counters, expected 16")
                return false
            }
            var values: [UInt64] = []
            for index in [0, 1, 3, 8, 9, 11] {
                guard let value = fields[index].asUInt64 else {
                    failure = text.error(line: number, "interface \(name): '\(fields[index].text)' is not a counter")
                    return false
                }
                values.append(value)
            }
            interfaces.append(Interface(
                name: name, rxBytes: values[0], rxPackets: values[1], rxDrop: values[2],
                txBytes: values[3], txPackets: values[4], txDrop: values[5]))
            return true
        }
        if let failure { throw failure }
        guard sawHeader else { throw text.error(line: 0, "no header line; not a /proc/net/dev file") }
        return NetDevStats(interfaces: interfaces)
    }
}
