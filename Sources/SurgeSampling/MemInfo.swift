/// The fields of /proc/meminfo that surgewatch uses (proc(5)), in kB.
///
///     MemTotal:       24614520 kB
///     MemAvailable:   23985036 kB
///     SwapTotal:             0 kB
///     SwapFree:              0 kB
///
/// MemAvailable (since Linux 3.14) is the kernel's own estimate of memory that can be had without
/// swapping; "used" is everything else, which counts reclaimable cache as free, as it should.
public struct MemInfo: Equatable, Sendable {
    public var totalKiB: UInt64
    public var availableKiB: UInt64
    public var swapTotalKiB: UInt64
    public var swapFreeKiB: UInt64

    public static func parse(_ text: ProcText) throws(ProcParseError) -> MemInfo {
        var found: [UInt64?] = [nil, nil, nil, nil]
        var failure: ProcParseError?
        text.forEachLine { number, line in
            let slot: Int
            if line.hasPrefix("MemTotal:") { slot = 0 }
            else if line.hasPrefix("MemAvailable:") { slot = 1 }
            else if line.hasPrefix("SwapTotal:") { slot = 2 }
            else if line.hasPrefix("SwapFree:") { slot = 3 }
            else { return true }
            let fields = procFields(line)
            guard fields.count >= 2, let value = fields[1].asUInt64 else {
                failure = text.error(line: number, "expected '<name>: <kB> kB', got '\(line.text)'")
                return false
            }
            found[slot] = value
            return found.contains(where: { $0 == nil })
        }
        if let failure { throw failure }
        let names = ["MemTotal", "MemAvailable", "SwapTotal", "SwapFree"]
        for (slot, value) in found.enumerated() where value == nil {
            throw text.error(line: 0, "no \(names[slot]) line")
        }
        guard found[0]! > 0 else { throw text.error(line: 1, "MemTotal is 0") }
        return MemInfo(totalKiB: found[0]!, availableKiB: found[1]!, swapTotalKiB: found[2]!, swapFreeKiB: found[3]!)
    }
}
