/// /proc/diskstats (Documentation/admin-guide/iostats.rst): one line per block device,
///
///      254       0 vda 25859 4872 1661634 3712 8064 10863 1240904 3764 0 2680 7595 1438 0 217744 85 1053 32
///
/// Field 13 (the 10th statistic) is io_ticks: milliseconds the device had I/O in flight. Its rate
/// is the device's busy ratio, what `iostat` shows as %util.
public struct DiskStats: Equatable, Sendable {
    public struct Device: Equatable, Sendable {
        public var name: String
        public var ioTicksMs: UInt64
    }

    public var devices: [Device]

    public static func parse(_ text: ProcText) throws(ProcParseError) -> DiskStats {
        var devices: [Device] = []
        var failure: ProcParseError?
        text.forEachLine { number, line in
            let fields = procFields(line)
            if fields.isEmpty { return true }
            // 14 fields since 2.6; 18 with discards (4.18), 20 with flushes (5.5).
            guard fields.count >= 14 else {
                failure = text.error(line: number, "\(fields.count) fields, expected at least 14")
                return false
            }
            guard let ticks = fields[12].asUInt64 else {
                failure = text.error(line: number, "\(fields[2].text): io_ticks '\(fields[12].text)' is not a counter")
                return false
            }
            devices.append(Device(name: String(decoding: fields[2], as: UTF8.self), ioTicksMs: ticks))
            return true
        }
        if let failure { throw failure }
        return DiskStats(devices: devices)
    }

    /// Whole physical or virtual disks: loop and ram devices are skipped (they are not where a
    /// shop's I/O waits), and so are partitions, whose time is already in their disk's.
    public var wholeDisks: [Device] {
        zip(devices, wholeDiskMask).compactMap { $1 ? $0 : nil }
    }

    /// For each device, whether it is one of `wholeDisks`.
    public var wholeDiskMask: [Bool] {
        let names = Set(devices.map(\.name))
        return devices.map { device in
            let name = device.name
            if name.hasPrefix("loop") || name.hasPrefix("ram") || name.hasPrefix("zram") || name.hasPrefix("sr") || name.hasPrefix("fd") {
                return false
            }
            return !Self.isPartition(name, of: names)
        }
    }

    /// sda1 of sda, nvme0n1p2 of nvme0n1, mmcblk0p1 of mmcblk0, vda3 of vda.
    static func isPartition(_ name: String, of names: Set<String>) -> Bool {
        var candidate = Substring(name)
        while let last = candidate.last, last.isNumber { candidate = candidate.dropLast() }
        guard candidate.count < name.count, !candidate.isEmpty else { return false }
        if names.contains(String(candidate)) { return true }
        if candidate.last == "p", names.contains(String(candidate.dropLast())) { return true }
        return false
    }
}
