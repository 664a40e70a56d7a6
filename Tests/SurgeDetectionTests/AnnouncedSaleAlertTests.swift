import Testing
import SurgeConfig
import SurgeSampling
@testable import SurgeDetection

/// `[schedule]` in the state machine: in an announced sale's window a predicted alert fires at
/// once at the schedule's lower p; outside every window nothing changes.
@Suite struct AnnouncedSaleAlertTests {
    let start = 2_000.0
    var policy: AlertPolicy {
        AlertPolicy(fireProbability: 0.8, resolveProbability: 0.2, fireAfter: 2, resolveAfter: 3, horizonSeconds: 30,
                    fireAtOnceProbability: 0.95, saleFireProbability: 0.7)
    }

    /// One tick per p, 10 s apart from t = 1,000; the ticks in `window` carry the sale's start.
    func events(_ policy: AlertPolicy, _ ps: [Double], window: Range<Int>) -> [(tick: Int, event: AlertEvent)] {
        let clock = TraceClock(unixSeconds: 1_000)
        var machine = AlertStateMachine(policy: policy, clock: clock, makeID: { "alert" })
        var out: [(Int, AlertEvent)] = []
        for (tick, p) in ps.enumerated() {
            clock.set(unixSeconds: 1_000 + Double(tick) * 10)
            let observation = AlertObservation(probability: p, ruleHolds: false, saleStart: window.contains(tick) ? start : nil)
            out += machine.observe(observation).map { (tick, $0) }
        }
        return out
    }

    @Test func inTheWindowTheLowerThresholdFiresAtOnce() {
        let ps = [0.1, 0.1, 0.72, 0.75, 0.1, 0.1, 0.1, 0.1]
        let fired = events(policy, ps, window: 2..<4)
        #expect(fired.map(\.tick) == [2, 6], "fired on the first tick at 0.7 or more, resolved after three calm ticks")
        #expect(fired.first?.event.kind == .predicted)
        #expect(fired.first?.event.saleStart == start)
        #expect(fired.last?.event.event == .resolved)
        #expect(fired.last?.event.saleStart == nil, "the sale is named where the alert fired")
    }

    @Test func outsideTheWindowTheSameProbabilitiesFireNothing() {
        let ps = [0.1, 0.1, 0.72, 0.75, 0.1, 0.1, 0.1, 0.1]
        #expect(events(policy, ps, window: 0..<0).isEmpty)
        #expect(events(policy, ps, window: 4..<8).isEmpty, "the window has passed before p rises")
    }

    @Test func withoutASchedulePolicyTheWindowChangesNothing() {
        var plain = policy
        plain.saleFireProbability = 1
        #expect(events(plain, [0.1, 0.72, 0.75, 0.76, 0.1], window: 0..<5).isEmpty)
    }

    @Test func afterTheWindowTheUsualPolicyDecidesAndNamesNoSale() {
        // 0.6 in the window is under the sale's 0.7; after it, 0.85 twice fires by [alert].
        let fired = events(policy, [0.1, 0.6, 0.85, 0.85], window: 0..<2)
        #expect(fired.map(\.tick) == [3])
        #expect(fired.first?.event.saleStart == nil)
    }

    /// `[schedule] fire_when` on the tick before the start: the alert fires there at any p, and
    /// stays open while the level holds in the window; then [alert]'s calm ticks resolve it.
    @Test func aLevelBeforeTheStartFiresAtAnyProbabilityAndHoldsTheAlert() {
        let clock = TraceClock(unixSeconds: 1_000)
        var machine = AlertStateMachine(policy: policy, clock: clock, makeID: { "alert" })
        // Ticks 0-1 outside the window (a level there means nothing), 2-4 in it with the level
        // on 2 and 3, then calm ticks.
        var fired: [(Int, AlertEvent)] = []
        for tick in 0..<9 {
            clock.set(unixSeconds: 1_000 + Double(tick) * 10)
            let inWindow = (2...4).contains(tick)
            let observation = AlertObservation(probability: 0.05, ruleHolds: false, saleStart: inWindow ? start : nil,
                                               saleLevel: tick <= 3)
            fired += machine.observe(observation).map { (tick, $0) }
        }
        #expect(fired.map(\.0) == [2, 6], "fired on the level's first tick in the window, calm from tick 4, resolved on the third")
        #expect(fired.first?.1.kind == .predicted)
        #expect(fired.first?.1.saleStart == start)
        #expect(AlertObservation(probability: 0.05, ruleHolds: false, saleLevel: true).saleLevel == false,
                "outside every window a level is no level")
    }

    /// The grid's fast path scores the level as the machine does: it must not skip a tick
    /// whose level holds as idle.
    @Test func theGridSeriesAgreesWithTheMachineOnALevel() {
        let ps: [Double?] = [0.05, 0.05, 0.05, 0.05, 0.3, 0.05, 0.05, 0.05, 0.05]
        let starts: [Double?] = [nil, nil, start, start, start, nil, nil, nil, nil]
        let levels = [false, false, false, true, false, false, false, false, false]
        let series = alertSeries(probabilities: ps, labels: ps.map { _ in false }, policy: policy, saleStarts: starts, saleLevels: levels)
        #expect(series == [false, false, false, true, true, true, true, false, false], "p 0.3 on tick 4 is not calm")
        #expect(!alertSeries(probabilities: ps, labels: ps.map { _ in false }, policy: policy, saleStarts: starts).contains(true))
    }

    /// The pipeline asks `fire_when` on the last tick before the start alone (x is past the
    /// level on an earlier tick of the window too), and the alert names the condition.
    @Test func thePipelineFiresOnTheLevelOfTheTickBeforeTheStart() throws {
        var config = PipelineLearningTests().config()  // a small model over x, rule y > 0.5
        config.learning.online = false
        config.alert.fireProbability = 0.999
        config.alert.fireAtOnceProbability = 1
        config.schedule.sales = [.once(unixSeconds: 200)]
        config.schedule.fireProbability = 1  // p alone never fires in the window
        config.schedule.fireWhen = [OverloadCondition(metric: "x", comparison: .greaterOrEqual, threshold: 5)]
        let clock = TraceClock(unixSeconds: 0)
        let schema = MetricSchema(["x", "y"])
        let pipeline = try DetectionPipeline(settings: .init(config: config, tickSeconds: 10, untrained: false), schema: schema,
                                             model: ModelCatalog.fresh(config), clock: clock)
        var fired: [AlertEvent] = []
        for tick in 0..<30 {
            clock.set(unixSeconds: Double(tick) * 10)
            let x: Double = tick == 15 || tick == 19 ? 6 : 1
            fired += pipeline.ingest(Sample(timestamp: Double(tick) * 10, tick: tick + 1, schema: schema, values: [x, 0])).events
                .filter { $0.event == .fired }
        }
        #expect(fired.map(\.at) == [190], "the tick before the start at 200; not tick 15, earlier in the window")
        #expect(fired.first?.kind == .predicted)
        #expect(fired.first?.saleStart == 200)
        #expect(fired.first?.saleLevel == "x >= 5")
    }

    @Test func aConfigWithoutSalesLeavesThePolicyAsItWas() throws {
        let none = AlertPolicy(SurgeConfig().alert, schedule: SurgeConfig.Schedule())
        #expect(none.saleFireProbability == 1)
        let announced = AlertPolicy(SurgeConfig().alert, schedule: SurgeConfig.Schedule(sales: [.once(unixSeconds: 0)], fireProbability: 0.65))
        #expect(announced.saleFireProbability == 0.65)
    }
}
