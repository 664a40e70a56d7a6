/// Windows waiting for their target. The training target of the window ending at tick t is
/// "overload at any tick in (t, t+H]" (H = `model.horizon_ticks`; H = 0: "overload at t"), so it
/// is known H ticks later. Each window is copied when it ends, so the live window can slide on;
/// at most H windows wait, in a ring indexed by tick.
///
/// A target is 1 as soon as one tick of its horizon is overload, 0 when every tick is known
/// and normal; with an unknown tick and no overload it is unknown and the window is dropped.
public struct PendingTargets: Sendable {
    public let horizon: Int
    public let windowSize: Int
    private var windows: [Float]
    private var slots: [Slot]
    private var tick = 0

    private struct Slot: Sendable {
        var waiting = false
        var sawOverload = false
        var sawUnknown = false
    }

    /// `windowSize`: floats per window (T × F).
    public init(horizon: Int, windowSize: Int) {
        precondition(horizon >= 0 && windowSize > 0)
        self.horizon = horizon
        self.windowSize = windowSize
        windows = [Float](repeating: 0, count: max(horizon, 1) * windowSize)
        slots = [Slot](repeating: Slot(), count: max(horizon, 1))
    }

    /// Windows waiting for labels now.
    public var waiting: Int { slots.reduce(0) { $0 + ($1.waiting ? 1 : 0) } }

    /// One tick: `label` is this tick's verdict, `window` the window ending at it (nil when it
    /// must not be learned from: not full, or holding imputed rows). Calls `labelled` for each
    /// window whose target became known, with the window and its target (0 or 1).
    public mutating func advance(label: Bool?, window: UnsafeBufferPointer<Float>?,
                                 labelled: (UnsafeBufferPointer<Float>, Int) -> Void) {
        defer { tick += 1 }
        if horizon == 0 {
            if let window, let label { labelled(window, label ? 1 : 0) }
            return
        }
        for index in slots.indices where slots[index].waiting {
            if label == true { slots[index].sawOverload = true }
            if label == nil { slots[index].sawUnknown = true }
        }
        // The window that ended H ticks ago sits in this tick's slot and has seen its horizon.
        let slot = tick % horizon
        if slots[slot].waiting {
            let finished = slots[slot]
            slots[slot].waiting = false
            if finished.sawOverload || !finished.sawUnknown {
                windows.withUnsafeBufferPointer { all in
                    labelled(UnsafeBufferPointer(rebasing: all[slot * windowSize..<(slot + 1) * windowSize]),
                             finished.sawOverload ? 1 : 0)
                }
            }
        }
        if let window {
            precondition(window.count == windowSize)
            windows.withUnsafeMutableBufferPointer { all in
                (all.baseAddress! + slot * windowSize).update(from: window.baseAddress!, count: windowSize)
            }
            slots[slot] = Slot(waiting: true)
        }
    }
}
