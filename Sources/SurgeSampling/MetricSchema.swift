/// The ordered metric names of a running configuration. Samples store their values in this
/// order, so a tick costs one array, not a dictionary, and columns can be looked up once.
public struct MetricSchema: Equatable, Sendable {
    public let names: [String]
    private let positions: [String: Int]

    public init(_ names: [String]) {
        self.names = names
        var positions: [String: Int] = [:]
        for (index, name) in names.enumerated() where positions[name] == nil {
            positions[name] = index
        }
        self.positions = positions
    }

    public func index(of name: String) -> Int? { positions[name] }
    public var count: Int { names.count }

    public static func == (lhs: MetricSchema, rhs: MetricSchema) -> Bool { lhs.names == rhs.names }
}

/// One tick's readings. A missing value (source down, counter reset, first tick of a rate, a
/// feature the kernel lacks) is NaN in `values`, never zero.
public struct Sample: Sendable {
    /// Wall-clock time of the tick, Unix seconds.
    public var timestamp: Double
    /// 1-based tick number since the daemon (or replay) started.
    public var tick: Int
    public var schema: MetricSchema
    public var values: [Double]

    public init(timestamp: Double, tick: Int, schema: MetricSchema, values: [Double]) {
        precondition(values.count == schema.count, "a sample needs one value per schema name")
        self.timestamp = timestamp
        self.tick = tick
        self.schema = schema
        self.values = values
    }

    public func value(_ name: String) -> Double? {
        guard let index = schema.index(of: name) else { return nil }
        let value = values[index]
        return value.isNaN ? nil : value
    }

    public var missingCount: Int { values.reduce(0) { $0 + ($1.isNaN ? 1 : 0) } }
}
