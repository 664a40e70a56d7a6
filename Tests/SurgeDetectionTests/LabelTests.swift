import Testing
import SurgeConfig
import SurgeSampling
@testable import SurgeDetection

@Suite struct LabelTests {
    let schema = MetricSchema(["p99", "errors", "cpu"])

    func sample(_ values: [Double]) -> Sample { Sample(timestamp: 0, tick: 1, schema: schema, values: values) }

    func overload(any: [String], all: [String] = [], forTicks: Int = 1) -> SurgeConfig.Overload {
        var rule = SurgeConfig().overload
        rule.any = any.map { try! OverloadCondition.parse($0).get() }
        rule.all = all.map { try! OverloadCondition.parse($0).get() }
        rule.forTicks = forTicks
        return rule
    }

    @Test func anyAllAndUnknown() {
        let rule = OverloadRule(overload(any: ["p99 > 1000"], all: ["errors > 0.01", "cpu >= 0.9"]), schema: schema)
        #expect(rule.holdsNow(sample([1500, 0, 0])) == true)
        #expect(rule.holdsNow(sample([10, 0.02, 0.95])) == true)
        #expect(rule.holdsNow(sample([10, 0.02, 0.5])) == false)
        #expect(rule.holdsNow(sample([.nan, 0, 0])) == nil, "p99 unknown and the all-group false: unknown")
        #expect(rule.holdsNow(sample([1500, .nan, .nan])) == true, "one clause of any holding decides")
        #expect(rule.holdsNow(sample([10, 0.02, .nan])) == nil)
    }

    @Test func forTicksNeedsARunAndUnknownBreaksIt() {
        var rule = OverloadRule(overload(any: ["p99 > 1000"], forTicks: 3), schema: schema)
        let labels = [2000, 2000, 2000, 2000, 10, 2000, .nan, 2000, 2000, 2000].map { rule.label(sample([$0, 0, 0])) }
        #expect(labels == [false, false, true, true, false, false, nil, false, false, true])
    }

    func run(_ pending: inout PendingTargets, label: Bool?, window: [Float]?) -> [([Float], Int)] {
        var out: [([Float], Int)] = []
        if let window {
            window.withUnsafeBufferPointer { buffer in
                pending.advance(label: label, window: buffer) { out.append((Array($0), $1)) }
            }
        } else {
            pending.advance(label: label, window: nil) { out.append((Array($0), $1)) }
        }
        return out
    }

    @Test func targetIsOverloadWithinTheHorizonKnownHTicksLater() {
        var pending = PendingTargets(horizon: 3, windowSize: 2)
        // Window t carries [t, -t]; labels: overload at tick 5 only.
        var emitted: [(tick: Int, window: [Float], target: Int)] = []
        for tick in 0..<10 {
            for (window, target) in run(&pending, label: tick == 5, window: [Float(tick), Float(-tick)]) {
                emitted.append((tick, window, target))
            }
            #expect(pending.waiting <= 3)
        }
        #expect(emitted.map(\.tick) == [3, 4, 5, 6, 7, 8, 9], "each window is labelled exactly H ticks after it ends")
        #expect(emitted.map { $0.window[0] } == [0, 1, 2, 3, 4, 5, 6], "the copy is the window as it was, not as it slid on")
        #expect(emitted.map { $0.window[1] } == [0, -1, -2, -3, -4, -5, -6])
        #expect(emitted.map(\.target) == [0, 0, 1, 1, 1, 0, 0], "windows ending at 2, 3, 4 have tick 5 in (t, t+3]")
    }

    @Test func unknownTicksDropATargetUnlessOverloadIsSeen() {
        var pending = PendingTargets(horizon: 2, windowSize: 1)
        var targets: [Int] = []
        let labels: [Bool?] = [false, nil, false, false, true, nil, false, false]
        for (tick, label) in labels.enumerated() {
            targets += run(&pending, label: label, window: [Float(tick)]).map { Int($0.0[0]) * 10 + $0.1 }
        }
        // Window 0 sees {nil, false}: dropped. 1 sees {false, false}: 0. 2: {false, true}: 1.
        // 3: {true, nil}: 1. 4: {nil, false}: dropped. 5: {false, false}: 0.
        #expect(targets == [10, 21, 31, 50])
    }

    @Test func horizonZeroLabelsTheWindowItself() {
        var pending = PendingTargets(horizon: 0, windowSize: 1)
        #expect(run(&pending, label: true, window: [4]).map(\.1) == [1])
        #expect(run(&pending, label: nil, window: [5]).isEmpty)
        #expect(run(&pending, label: false, window: nil).isEmpty, "no window (not learnable): nothing to label")
    }
}
