import SurgeSampling

/// The last `capacity` samples in a ring: O(1) append, no allocation after creation.
///
/// It keeps whole sample rows (every metric of the schema as Float, NaN where missing), not just
/// the model's features, so a SIGHUP that changes `model.features` or `window.ticks` keeps the
/// history: `rebuilt(schema:capacity:)` maps columns by name. The model's scaled input is kept
/// apart, in ModelInputWindow; this window serves reloads, alert explanations and
/// `copyFeatures(_:into:)` for raw [ticks × features] matrices.
public struct SampleWindow: Sendable {
    public let schema: MetricSchema
    public let capacity: Int
    private var storage: [Float]
    private var timestamps: [Double]
    /// Index of the slot the next append writes.
    private var head = 0
    public private(set) var count = 0

    public init(schema: MetricSchema, capacity: Int) {
        precondition(capacity > 0, "a window holds at least one sample")
        self.schema = schema
        self.capacity = capacity
        storage = [Float](repeating: .nan, count: capacity * schema.count)
        timestamps = [Double](repeating: .nan, count: capacity)
    }

    public var isFull: Bool { count == capacity }
    public var width: Int { schema.count }

    public mutating func append(_ sample: Sample) {
        precondition(sample.schema == schema, "sample schema differs from the window's; rebuild the window first")
        let base = head * width
        let columns = width
        storage.withUnsafeMutableBufferPointer { rows in
            for column in 0..<columns { rows[base + column] = Float(sample.values[column]) }
        }
        timestamps[head] = sample.timestamp
        head = (head + 1) % capacity
        count = min(count + 1, capacity)
    }

    /// Slot of the `age`-th oldest row held (0 = oldest).
    @inline(__always)
    private func slot(ofOldest age: Int) -> Int {
        (head - count + age + capacity) % capacity
    }

    /// The value of `column` in the `age`-th oldest row (0 = oldest); NaN when missing.
    public func value(row age: Int, column: Int) -> Float {
        precondition(age >= 0 && age < count && column >= 0 && column < width)
        return storage[slot(ofOldest: age) * width + column]
    }

    public func timestamp(row age: Int) -> Double {
        precondition(age >= 0 && age < count)
        return timestamps[slot(ofOldest: age)]
    }

    /// The `age`-th oldest row as a sample (values as held: rounded to Float).
    public func sample(row age: Int) -> Sample {
        Sample(timestamp: timestamp(row: age), tick: 0, schema: schema,
               values: (0..<width).map { Double(value(row: age, column: $0)) })
    }

    /// Writes the held rows, oldest first, as a contiguous row-major [count × columns.count]
    /// matrix of the chosen columns. `destination` must hold at least that many floats.
    public func copyFeatures(_ columns: [Int], into destination: UnsafeMutableBufferPointer<Float>) {
        precondition(destination.count >= count * columns.count, "destination too small for the window")
        storage.withUnsafeBufferPointer { rows in
            var out = 0
            for age in 0..<count {
                let base = slot(ofOldest: age) * width
                for column in columns {
                    destination[out] = rows[base + column]
                    out += 1
                }
            }
        }
    }

    /// Convenience for callers off the hot path.
    public func features(_ columns: [Int]) -> [Float] {
        [Float](unsafeUninitializedCapacity: count * columns.count) { buffer, initialized in
            copyFeatures(columns, into: buffer)
            initialized = count * columns.count
        }
    }

    /// A window for a new schema and/or length holding the newest rows of this one. Columns are
    /// matched by metric name; a metric the old schema lacked is missing (NaN) in old rows.
    public func rebuilt(schema newSchema: MetricSchema, capacity newCapacity: Int) -> SampleWindow {
        var window = SampleWindow(schema: newSchema, capacity: newCapacity)
        let kept = min(count, newCapacity)
        let sources = newSchema.names.map { schema.index(of: $0) }
        for age in (count - kept)..<count {
            let base = window.head * newSchema.count
            for (column, source) in sources.enumerated() {
                window.storage[base + column] = source.map { value(row: age, column: $0) } ?? .nan
            }
            window.timestamps[window.head] = timestamp(row: age)
            window.head = (window.head + 1) % newCapacity
            window.count += 1
        }
        return window
    }
}
