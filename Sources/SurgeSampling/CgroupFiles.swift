/// The cgroup v2 files a unit's figures come from (Documentation/admin-guide/cgroup-v2.rst).
/// Their pressure files (cpu.pressure, memory.pressure, io.pressure) have the format of
/// /proc/pressure and are parsed by `PressureStall`.
public enum CgroupFiles {
    /// `cpu.stat`, flat keyed; `usage_usec` is always present, with or without the cpu
    /// controller:
    ///
    ///     usage_usec 2016318
    ///     user_usec 2012275
    ///     system_usec 4043
    public static func cpuUsageMicroseconds(_ text: ProcText) throws(ProcParseError) -> UInt64 {
        var usage: UInt64?
        var failure: ProcParseError?
        text.forEachLine { number, line in
            let fields = procFields(line)
            guard fields.count == 2, fields[0].equals("usage_usec") else { return true }
            guard let value = fields[1].asUInt64 else {
                failure = text.error(line: number, "expected microseconds after usage_usec, got '\(fields[1].text)'")
                return false
            }
            usage = value
            return false
        }
        if let failure { throw failure }
        guard let usage else { throw text.error(line: 0, "no usage_usec line") }
        return usage
    }

    /// `memory.current`: one number, the bytes charged to the group now.
    public static func memoryBytes(_ text: ProcText) throws(ProcParseError) -> UInt64 {
        var value: UInt64?
        var lines = 0
        text.forEachLine { _, line in
            lines += 1
            value = procFields(line).first?.asUInt64
            return false
        }
        guard let value else {
            throw text.error(line: lines == 0 ? 0 : 1, lines == 0 ? "empty, expected a byte count" : "expected a byte count")
        }
        return value
    }
}
