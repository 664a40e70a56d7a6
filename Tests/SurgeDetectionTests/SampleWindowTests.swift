import Testing
import SurgeSampling
@testable import SurgeDetection

@Suite struct SampleWindowTests {
    let schema = MetricSchema(["a", "b", "c"])

    func sample(_ tick: Int, _ values: [Double]) -> Sample {
        Sample(timestamp: Double(tick) * 10, tick: tick, schema: schema, values: values)
    }

    @Test func keepsTheNewestRowsOldestFirst() {
        var window = SampleWindow(schema: schema, capacity: 3)
        #expect(window.count == 0 && !window.isFull)
        for tick in 1...5 {
            window.append(sample(tick, [Double(tick), Double(tick) * 10, .nan]))
        }
        #expect(window.isFull && window.count == 3)
        #expect(window.features([0, 1]) == [3, 30, 4, 40, 5, 50])
        #expect(window.timestamp(row: 0) == 30 && window.timestamp(row: 2) == 50)
        #expect(window.value(row: 2, column: 2).isNaN, "missing stays NaN, never zero")
    }

    @Test func partialWindowIsContiguousToo() {
        var window = SampleWindow(schema: schema, capacity: 4)
        window.append(sample(1, [1, 2, 3]))
        window.append(sample(2, [4, 5, 6]))
        #expect(window.features([2, 0]) == [3, 1, 6, 4])
    }

    @Test func wrapsManyTimesWithoutDrift() {
        var window = SampleWindow(schema: schema, capacity: 7)
        for tick in 1...1000 { window.append(sample(tick, [Double(tick), 0, 0])) }
        #expect(window.features([0]) == (994...1000).map(Float.init))
    }

    @Test func rebuildKeepsHistoryAcrossSchemaAndLengthChanges() {
        var window = SampleWindow(schema: schema, capacity: 4)
        for tick in 1...4 { window.append(sample(tick, [Double(tick), Double(-tick), 0])) }
        let newSchema = MetricSchema(["b", "d", "a"])
        let shorter = window.rebuilt(schema: newSchema, capacity: 2)
        #expect(shorter.count == 2)
        #expect(shorter.value(row: 0, column: 0) == -3)
        #expect(shorter.value(row: 1, column: 2) == 4)
        #expect(shorter.value(row: 1, column: 1).isNaN, "a metric the old schema lacked is missing")
        var longer = window.rebuilt(schema: schema, capacity: 6)
        #expect(longer.count == 4 && !longer.isFull)
        longer.append(sample(5, [5, -5, 0]))
        #expect(longer.features([0]) == [1, 2, 3, 4, 5])
    }
}
