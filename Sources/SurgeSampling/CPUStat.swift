/// The aggregate `cpu` line and the task counts of /proc/stat (Documentation/filesystems/proc.rst,
/// "1.7 Miscellaneous kernel statistics in /proc/stat"). A real line:
///
///     cpu  2221 0 1284 17066 185 0 20 8 0 0
///     procs_running 2
///     procs_blocked 0
///
/// Times are in USER_HZ ticks since boot. `guest` and `guest_nice` are already counted in `user`
/// and `nice`, so they are not part of the total.
public struct CPUStat: Equatable, Sendable {
    public var user: UInt64, nice: UInt64, system: UInt64, idle: UInt64
    public var iowait: UInt64, irq: UInt64, softirq: UInt64, steal: UInt64
    public var procsRunning: UInt64
    public var procsBlocked: UInt64

    public var total: UInt64 { user &+ nice &+ system &+ idle &+ iowait &+ irq &+ softirq &+ steal }

    public static func parse(_ text: ProcText) throws(ProcParseError) -> CPUStat {
        var cpu: [UInt64]?
        var running: UInt64?
        var blocked: UInt64?
        var failure: ProcParseError?
        text.forEachLine { number, line in
            if line.hasPrefix("cpu ") {
                let fields = procFields(line)
                // Kernels before 2.6.11 had fewer columns; 8 (through steal) is the least we use.
                guard fields.count >= 9 else {
                    failure = text.error(line: number, "cpu line has \(fields.count - 1) values, expected at least 8")
                    return false
                }
                var values: [UInt64] = []
                for field in fields[1...8] {
                    guard let value = field.asUInt64 else {
                        failure = text.error(line: number, "cpu line: '\(field.text)' is not a counter")
                        return false
                    }
                    values.append(value)
                }
                cpu = values
            } else if line.hasPrefix("procs_running ") || line.hasPrefix("procs_blocked ") {
                let fields = procFields(line)
                guard fields.count == 2, let value = fields[1].asUInt64 else {
                    failure = text.error(line: number, "expected '\(fields.first?.text ?? "") <count>'")
                    return false
                }
                if line.hasPrefix("procs_running ") { running = value } else { blocked = value }
            }
            return cpu == nil || running == nil || blocked == nil
        }
        if let failure { throw failure }
        guard let cpu else { throw text.error(line: 0, "no aggregate 'cpu' line") }
        guard let running, let blocked else {
            throw text.error(line: 0, "no procs_running/procs_blocked lines")
        }
        return CPUStat(
            user: cpu[0], nice: cpu[1], system: cpu[2], idle: cpu[3],
            iowait: cpu[4], irq: cpu[5], softirq: cpu[6], steal: cpu[7],
            procsRunning: running, procsBlocked: blocked)
    }
}
