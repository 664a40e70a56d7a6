/// Per-second rate of a monotonically increasing kernel counter between two reads.
///
/// A counter that went backwards was reset or wrapped (a 32-bit counter, an interface that was
/// re-created, a hot-plugged disk): we cannot know by how much it moved, so the rate is missing
/// for that tick rather than a negative or absurd number. No elapsed time is missing as well.
@inlinable
public func counterRate(previous: UInt64, current: UInt64, seconds: Double) -> Double? {
    guard current >= previous, seconds > 0 else { return nil }
    return Double(current - previous) / seconds
}

@inlinable
public func counterRate(previous: Int64, current: Int64, seconds: Double) -> Double? {
    guard current >= previous, previous >= 0, seconds > 0 else { return nil }
    return Double(current - previous) / seconds
}

/// Which entry of the previous read (an interface, a disk) each entry of this read continues,
/// by name. The kernel lists them in the same order from one read to the next unless one comes
/// or goes, so the common case pairs by position with no lookup at all.
struct CounterPairs {
    /// nil: the same names in the same order.
    private let oldIndex: [Int?]?

    init(old: [String], new: [String]) {
        if old == new {
            oldIndex = nil
        } else {
            let positions = Dictionary(old.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            oldIndex = new.map { positions[$0] }
        }
    }

    /// The previous read's position of this read's entry `index`; nil for an entry new since.
    func old(of index: Int) -> Int? {
        oldIndex.map { $0[index] } ?? index
    }
}
