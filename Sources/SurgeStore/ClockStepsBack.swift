/// Rows the wall clock put out of order: the daemon stamps each tick with the wall clock, which
/// can be set back (an NTP step at boot, an operator), so rows written later can carry earlier
/// times than rows before them. Readers keep the order the rows were written in and skip each
/// row that is not later than the last one kept, until time has caught up.
public struct ClockStepsBack: Sendable {
    /// Rows skipped.
    public private(set) var skipped = 0
    /// The first step back: the last time kept before it, and the time of the first row skipped.
    public private(set) var first: (kept: Double, skipped: Double)?
    private var last = -Double.infinity

    public init() {}

    /// Whether a row stamped `time` is kept.
    mutating func admit(_ time: Double) -> Bool {
        guard time > last else {
            if first == nil { first = (last, time) }
            skipped += 1
            return false
        }
        last = time
        return true
    }
}
