import Dispatch

/// Independent work on every core, results in the order of the items: the scoring of the
/// baselines' and the policy grid's settings over a trace, most of `replay`'s summary and of
/// `--policy-grid`. Each item's result depends on that item alone, so what is chosen from the
/// results is what one thread would choose.
enum SideBySide {
    static func map<Item: Sendable, Result>(_ items: [Item], _ transform: @escaping @Sendable (Item) -> Result) -> [Result] {
        guard items.count > 1 else { return items.map(transform) }
        let slots = Slots<Result>(count: items.count)
        DispatchQueue.concurrentPerform(iterations: items.count) { index in
            slots.set(index, transform(items[index]))
        }
        return slots.values
    }

    /// One slot per iteration of a `concurrentPerform`, each written once by its iteration
    /// alone before the call returns (which is why sharing it is safe). Raw memory, not an
    /// array: writes to one array from several threads are overlapping accesses to it.
    private final class Slots<Value>: @unchecked Sendable {
        private let storage: UnsafeMutablePointer<Value>
        private let count: Int
        init(count: Int) {
            self.count = count
            storage = .allocate(capacity: count)
        }
        func set(_ index: Int, _ value: Value) { (storage + index).initialize(to: value) }
        /// Every slot, once every one is set.
        var values: [Value] { Array(UnsafeBufferPointer(start: storage, count: count)) }
        deinit {
            storage.deinitialize(count: count)
            storage.deallocate()
        }
    }
}
