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
