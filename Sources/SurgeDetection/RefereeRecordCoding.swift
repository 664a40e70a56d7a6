import SurgeModel

/// The referee's record as bytes, so that the daemon keeps it across restarts and reloads:
/// without it each start compared the two weights on the hours since, not the last 3 days.
///
/// Layout (little endian): "SWRR", format 1 (one byte), the ticks since the last verdict and
/// the tick count (UInt32 each), then per tick, oldest first, its timestamp (Float64) and one
/// byte of flags: 1 the label is known, 2 it says overload, 4 the trained weights' alert was
/// open after the tick, 8 the learned weights'. 9 bytes a tick: 233 KB for 3 days of 10 s ticks.
extension WeightsReferee {
    static let recordMagic: [UInt8] = Array("SWRR".utf8)
    static let recordFormat: UInt8 = 1
    private static let headerBytes = 4 + 1 + 4 + 4
    private static let tickBytes = 8 + 1

    public func encodedRecord() -> [UInt8] {
        var bytes = Self.recordMagic + [Self.recordFormat]
        bytes.appendLittleEndian(UInt32(ticksSinceCheck))
        bytes.appendLittleEndian(UInt32(record.count))
        var offset = bytes.count
        bytes += [UInt8](repeating: 0, count: record.count * Self.tickBytes)
        // Stored in place: appending 233 KB byte by byte took 10 ms.
        bytes.withUnsafeMutableBytes { raw in
            record.forEachOrdered { timestamp, label, trained, learned in
                raw.storeBytes(of: timestamp.bitPattern.littleEndian, toByteOffset: offset, as: UInt64.self)
                var flags: UInt8 = 0
                if let label { flags |= label ? 3 : 1 }
                if trained { flags |= 4 }
                if learned { flags |= 8 }
                raw[offset + 8] = flags
                offset += Self.tickBytes
            }
        }
        return bytes
    }

    /// Replaces the record with one `encodedRecord` made (the last `recordTicks` of its ticks
    /// when it holds more); the next ticks add to it. Throws, changing nothing, on bytes it
    /// cannot read. A shadow alert open at the record's last tick is open again.
    public mutating func restoreRecord(from bytes: [UInt8]) throws(RefereeRecordError) {
        guard bytes.count >= Self.headerBytes, Array(bytes[0..<4]) == Self.recordMagic else {
            throw RefereeRecordError("not a referee record (no SWRR header)")
        }
        guard bytes[4] == Self.recordFormat else {
            throw RefereeRecordError("format \(bytes[4]) is not one this surgewatch reads (\(Self.recordFormat))")
        }
        let sinceCheck = Int(bytes.littleEndian(UInt32.self, at: 5))
        let count = Int(bytes.littleEndian(UInt32.self, at: 9))
        guard bytes.count == Self.headerBytes + count * Self.tickBytes else {
            throw RefereeRecordError("\(count) ticks need \(Self.headerBytes + count * Self.tickBytes) bytes, it has \(bytes.count)")
        }
        var restored = RecordRing(capacity: policy.recordTicks)
        for index in max(0, count - policy.recordTicks)..<count {
            let offset = Self.headerBytes + index * Self.tickBytes
            let timestamp = Double(bitPattern: bytes.littleEndian(UInt64.self, at: offset))
            let flags = bytes[offset + 8]
            guard timestamp.isFinite else { throw RefereeRecordError("tick \(index + 1): its timestamp is not a number") }
            guard flags & 0xF0 == 0, flags & 3 != 2 else {
                throw RefereeRecordError("tick \(index + 1): flags \(flags) are not ones this surgewatch writes")
            }
            restored.append(timestamp: timestamp, label: flags & 1 == 0 ? nil : flags & 2 != 0,
                            trained: flags & 4 != 0, learned: flags & 8 != 0)
        }
        record = restored
        reopenShadowAlerts()
        // A record saved under a longer checkEvery gives its verdict at the next tick.
        ticksSinceCheck = min(sinceCheck, policy.checkEvery - 1)
    }

    /// Ticks the record holds.
    public var recordCount: Int { record.count }
}

public struct RefereeRecordError: Error, Equatable, CustomStringConvertible, Sendable {
    public let reason: String
    init(_ reason: String) { self.reason = reason }
    public var description: String { "referee record: \(reason)" }
}
