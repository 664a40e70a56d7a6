import Testing
import SurgeConfig
import SurgeSampling
@testable import SurgeDetection

/// An alert's resolved event says how the SLO rule went while it was open: a warning no breach
/// followed, how near the rule came (each condition's nearest value, the longest run it held);
/// a breach, on how many of its ticks the rule broke and each condition's worst value.
@Suite struct RuleApproachTests {
    let schema = MetricSchema(["x", "y"])

    /// Rule y > 0.5 for 3 ticks; a predicted alert fires on the pending tick whatever p, and
    /// resolves after 3 calm ticks (the fresh model's p is under the resolve level).
    func config() -> SurgeConfig {
        var config = PipelineLearningTests().config()
        config.overload.forTicks = 3
        config.learning.online = false
        config.alert.fireProbability = 0.9999
        config.alert.fireAtOnceProbability = 1
        config.alert.resolveProbability = 0.9998
        config.alert.firePendingProbability = 0
        return config
    }

    func pipeline(restoring open: AlertStateMachine<TraceClock>.OpenAlert? = nil, history: SampleWindow? = nil,
                  clock: TraceClock) throws -> DetectionPipeline<TraceClock> {
        try DetectionPipeline(settings: .init(config: config(), tickSeconds: 10, untrained: false), schema: schema,
                              model: ModelCatalog.fresh(config()), clock: clock, restoring: open, history: history, makeID: { "a" })
    }

    /// Every event of `ys` (x = 1), ticks 10 s apart from `start`.
    func events(_ ys: [Double], into pipeline: DetectionPipeline<TraceClock>, clock: TraceClock, start: Int = 0) -> [(tick: Int, event: AlertEvent)] {
        ys.enumerated().flatMap { offset, y in
            let tick = start + offset
            clock.set(unixSeconds: Double(tick) * 10)
            return pipeline.ingest(Sample(timestamp: Double(tick) * 10, tick: tick, schema: schema, values: [1, y])).events.map { (tick, $0) }
        }
    }

    @Test func aWarningThatEndsWithoutABreachSaysHowNearTheRuleCame() throws {
        let clock = TraceClock(unixSeconds: 0)
        // Held on ticks 4 and 5 (pending on 5: the alert fires), then 0.45 on tick 7, below the rule.
        let all = events([0, 0, 0, 0, 0.9, 0.7, 0.2, 0.45, 0.1, 0.1, 0.1, 0.1], into: try pipeline(clock: clock), clock: clock)
        #expect(all.map(\.tick) == [5, 8], "fired on the pending tick, resolved on the third calm tick")
        let resolved = try #require(all.last?.event)
        #expect(resolved.event == .resolved && resolved.kind == .predicted)
        let approach = try #require(resolved.ruleApproach)
        #expect(approach.reached.map(\.value) == [0.7], "tick 4's 0.9 came before the alert: not counted")
        #expect(approach.longestRun == 2, "the run the alert fired on, ticks 4 and 5")
        #expect(approach.forTicks == 3 && approach.since == 50 && approach.complete)
        #expect(resolved.note == "SLO rule not broken: y up to 0.70 (rule > 0.50); it held 2 ticks in a row of the 3 that break it")
        #expect(AlertMessage.text(for: resolved).hasSuffix("peak p=" + AlertMessage.fixed(resolved.peakProbability, 2) + "): " + resolved.note!))
        #expect(approach.ticks == 3 && approach.brokenTicks == 0)
        #expect(approach.json == "{\"reached\":[{\"condition\":\"y > 0.5\",\"value\":0.7}],\"longest_run\":2,\"for_ticks\":3,"
                + "\"ticks\":3,\"broken_ticks\":0,\"since\":\"1970-01-01T00:00:50Z\",\"complete\":true}")
    }

    /// After a breach the same figures say how bad it got: the warning's ticks and the
    /// escalation's are one alert's.
    @Test func aBreachSaysOnHowManyTicksTheRuleBrokeAndHowFar() throws {
        let clock = TraceClock(unixSeconds: 0)
        let all = events([0, 0, 0, 0, 0.9, 0.7, 0.8, 0.1, 0.1, 0.1, 0.1], into: try pipeline(clock: clock), clock: clock)
        #expect(all.map(\.event.kind) == [.predicted, .breached, .breached], "fired, escalated, resolved")
        let resolved = try #require(all.last?.event)
        #expect(resolved.event == .resolved)
        let approach = try #require(resolved.ruleApproach)
        #expect(approach.ticks == 4 && approach.brokenTicks == 1 && approach.longestRun == 3, "\(approach)")
        #expect(resolved.note == "SLO rule broken on 1 of the alert's 4 ticks: y up to 0.80 (rule > 0.50)")
    }

    /// A breach with no warning before it starts its own count.
    @Test func aBreachWithNoWarningCountsFromItsOwnTick() throws {
        var config = config()
        config.alert.firePendingProbability = 1
        let clock = TraceClock(unixSeconds: 0)
        let pipeline = try DetectionPipeline(settings: .init(config: config, tickSeconds: 10, untrained: false), schema: schema,
                                             model: ModelCatalog.fresh(config), clock: clock, makeID: { "b" })
        let all = events([0, 0, 0.6, 0.6, 0.6, 0.6, 0.2, 0.1, 0.1, 0.1], into: pipeline, clock: clock)
        #expect(all.map(\.tick) == [4, 8], "\(all)")
        let approach = try #require(all.last?.event.ruleApproach)
        #expect(approach.since == 40 && approach.ticks == 4 && approach.brokenTicks == 2 && approach.complete, "\(approach)")
    }

    /// The next alert starts from nothing: the first one's values are not carried into it.
    @Test func eachAlertCountsItsOwnTicks() throws {
        let clock = TraceClock(unixSeconds: 0)
        let all = events([0, 0.9, 0.9, 0.2, 0.1, 0.1, 0.1, 0, 0.6, 0.6, 0.3, 0.1, 0.1, 0.1], into: try pipeline(clock: clock), clock: clock)
        let resolved = all.filter { $0.event.event == .resolved }.map(\.event)
        #expect(resolved.count == 2, "\(all)")
        #expect(resolved.map { $0.ruleApproach?.reached.first?.value } == [0.9, 0.6])
    }

    /// A restart (or SIGHUP) in the middle: the alert goes on, and the window's ticks since it
    /// fired are read back; the ticks before the window starts are said to be missing.
    @Test func anAlertThatGoesOnThroughARestartReadsTheWindowItHas() throws {
        var history = SampleWindow(schema: schema, capacity: 5)
        // Values a Float holds exactly, as a window keeps them.
        for (tick, y) in [0.0, 0.75, 0.875, 0.25].enumerated() {
            history.append(Sample(timestamp: Double(tick) * 10, tick: tick, schema: schema, values: [1, y]))
        }
        let clock = TraceClock(unixSeconds: 40)
        let open = AlertStateMachine<TraceClock>.OpenAlert(id: "a", kind: .predicted, firedAt: 20, peakProbability: 0.96)
        let whole = events([0.1, 0.1, 0.1], into: try pipeline(restoring: open, history: history, clock: clock), clock: clock, start: 4)
        let approach = try #require(whole.last?.event.ruleApproach)
        #expect(approach.reached.first?.value == 0.875 && approach.longestRun == 2 && approach.complete,
                "ticks 2 and 3 were in the window; the run began on tick 1")
        #expect(whole.last?.event.alertID == "a")

        let lateClock = TraceClock(unixSeconds: 40)
        let earlier = AlertStateMachine<TraceClock>.OpenAlert(id: "a", kind: .predicted, firedAt: -100, peakProbability: 0.96)
        let partial = events([0.1, 0.1, 0.1], into: try pipeline(restoring: earlier, history: history, clock: lateClock), clock: lateClock, start: 4)
        let seen = try #require(partial.last?.event.ruleApproach)
        #expect(!seen.complete && seen.since == 0)
        #expect(seen.text.hasSuffix(" (seen from 1970-01-01T00:00:00Z, after a restart)"), "\(seen.text)")
    }

    @Test func theTextReadsEachConditionInItsUnits() throws {
        let conditions = ["psi_cpu_some_avg10 > 50", "tcp_listen_overflows_per_s > 0", "cpu_idle_ratio <= 0.05", "http_p99_ms >= 1000"]
            .map { try! OverloadCondition.parse($0).get() }
        let approach = RuleApproach(reached: zip(conditions, [46.2, 0, 0.12, nil]).map { RuleApproach.Reached(condition: $0, value: $1) },
                                    longestRun: 0, forTicks: 1, ticks: 5, brokenTicks: 0, since: 0, complete: true)
        #expect(approach.text == "SLO rule not broken: psi_cpu_some_avg10 up to 46.2% (rule > 50%), tcp_listen_overflows_per_s up to 0/s (rule > 0/s), "
                + "cpu_idle_ratio down to 12% (rule <= 5%), http_p99_ms never known (rule >= 1000ms)")
        #expect(approach.json.contains("{\"condition\":\"http_p99_ms >= 1000\",\"value\":null}"))
        var broken = approach
        broken.brokenTicks = 1
        broken.ticks = 1
        #expect(broken.text.hasPrefix("SLO rule broken on 1 of the alert's 1 tick: psi_cpu_some_avg10 up to 46.2% (rule > 50%), "), "\(broken.text)")
    }
}
