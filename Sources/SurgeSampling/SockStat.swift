/// The TCP line of /proc/net/sockstat:
///
///     TCP: inuse 1 orphan 0 tw 2 alloc 1 mem 211
///
/// `tw` counts sockets in TIME_WAIT and `orphan` those no longer attached to a process; both pile
/// up when a flood of short connections meets a server that cannot keep up.
public struct SockStat: Equatable, Sendable {
    public var tcpInUse: UInt64
    public var tcpOrphan: UInt64
    public var tcpTimeWait: UInt64

    public static func parse(_ text: ProcText) throws(ProcParseError) -> SockStat {
        var result: Result<SockStat, ProcParseError> = .failure(text.error(line: 0, "no 'TCP:' line"))
        text.forEachLine { number, line in
            guard line.hasPrefix("TCP:") else { return true }
            let fields = procFields(line.dropFirst(4))
            var pairs: [String: UInt64] = [:]
            var index = 0
            while index + 1 < fields.count {
                guard let value = fields[index + 1].asUInt64 else {
                    result = .failure(text.error(line: number, "TCP: '\(fields[index + 1].text)' after '\(fields[index].text)' is not a number"))
                    return false
                }
                pairs[String(decoding: fields[index], as: UTF8.self)] = value
                index += 2
            }
            guard let inUse = pairs["inuse"], let orphan = pairs["orphan"], let tw = pairs["tw"] else {
                result = .failure(text.error(line: number, "TCP line lacks one of inuse, orphan, tw"))
                return false
            }
            result = .success(SockStat(tcpInUse: inUse, tcpOrphan: orphan, tcpTimeWait: tw))
            return false
        }
        return try result.get()
    }
}
