import SurgeModel

/// Labelled windows kept for online learning: one bounded ring per class, so the rare overload
/// windows are not pushed out by the flood of normal ones, and mini-batches drawn half from
/// each class (with replacement) while both have windows.
public struct ReplayBuffer: Sendable, Equatable {
    public let windowSize: Int
    public let capacityPerClass: Int
    private var storage: [[Float]]   // per class, [capacity × windowSize]
    private var heads = [0, 0]
    public private(set) var counts = [0, 0]
    /// Windows ever added, per class.
    public private(set) var added = [0, 0]

    public init(windowSize: Int, capacityPerClass: Int = 512) {
        precondition(windowSize > 0 && capacityPerClass > 0)
        self.windowSize = windowSize
        self.capacityPerClass = capacityPerClass
        storage = Array(repeating: [Float](repeating: 0, count: windowSize * capacityPerClass), count: 2)
    }

    public mutating func add(_ window: UnsafeBufferPointer<Float>, label: Int) {
        precondition(window.count == windowSize && (label == 0 || label == 1))
        let slot = heads[label]
        storage[label].withUnsafeMutableBufferPointer { rows in
            (rows.baseAddress! + slot * windowSize).update(from: window.baseAddress!, count: windowSize)
        }
        heads[label] = (slot + 1) % capacityPerClass
        counts[label] = min(counts[label] + 1, capacityPerClass)
        added[label] += 1
    }

    /// Fills `x` [B × windowSize] and `labels` [B] with a class-balanced draw. Returns the
    /// per-class weights that make the batch count both classes equally (1, 1 when balanced;
    /// when one class is empty, the batch is all the other).
    public func sample(into x: inout [Float], labels: inout [Int], using generator: inout SeededGenerator) -> [Float] {
        let batch = labels.count
        precondition(x.count == batch * windowSize && counts[0] + counts[1] > 0)
        var perClass = [0, 0]
        for index in 0..<batch {
            let label: Int
            if counts[0] > 0 && counts[1] > 0 { label = index % 2 } else { label = counts[0] > 0 ? 0 : 1 }
            let row = Int(generator.next() % UInt64(counts[label]))
            let slot = (heads[label] - counts[label] + row + capacityPerClass) % capacityPerClass
            storage[label].withUnsafeBufferPointer { rows in
                x.withUnsafeMutableBufferPointer { out in
                    (out.baseAddress! + index * windowSize).update(from: rows.baseAddress! + slot * windowSize, count: windowSize)
                }
            }
            labels[index] = label
            perClass[label] += 1
        }
        return perClass.map { $0 > 0 ? Float(batch) / Float(2 * $0) : 1 }
    }
}
