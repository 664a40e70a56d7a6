import Testing
import SurgeConfig
import SurgeSampling
@testable import SurgeDetection

/// `[alert] fire_on_pending_probability`: with `[overload] for_ticks` ≥ 2, a predicted alert
/// fires on the tick where the rule's condition has held `for_ticks` − 1 ticks in a row, when p
/// is at or above the level; the breach a tick later escalates that alert.
@Suite struct PendingRuleAlertTests {
    let schema = MetricSchema(["x", "y"])

    func rule(forTicks: Int) -> OverloadRule {
        OverloadRule(SurgeConfig.Overload(any: [try! OverloadCondition.parse("y > 0.5").get()], forTicks: forTicks), schema: schema)
    }

    /// Per tick of `ys` (nil: missing): (label, pending).
    func verdicts(_ rule: OverloadRule, _ ys: [Double?]) -> [(label: Bool?, pending: Bool)] {
        var rule = rule
        return ys.enumerated().map { tick, y in
            let label = rule.label(Sample(timestamp: Double(tick) * 10, tick: tick, schema: schema, values: [0, y ?? .nan]))
            return (label, rule.isPending)
        }
    }

    @Test func theRuleIsPendingOneTickBeforeItHolds() {
        let ys: [Double?] = [0, 1, 1, 1, 1, 0, 1, 1, 0, 1, nil, 1, 1]
        let three = verdicts(rule(forTicks: 3), ys)
        #expect(three.map(\.pending) == [false, false, true, false, false, false, false, true, false, false, false, false, true],
                "two ticks of three held; a missing value breaks the run")
        #expect(three.map(\.label) == [false, false, false, true, true, false, false, false, false, false, nil, false, false])
        #expect(!verdicts(rule(forTicks: 1), ys).contains { $0.pending }, "a rule that holds at once gives no tick of warning")
        #expect(rule(forTicks: 3).pendingDescription == "y > 0.5 held 2 of 3 ticks")
        let both = SurgeConfig.Overload(any: [try! OverloadCondition.parse("y > 0.5").get()],
                                        all: [try! OverloadCondition.parse("x > 1").get(), try! OverloadCondition.parse("x < 9").get()], forTicks: 4)
        #expect(OverloadRule(both, schema: schema).pendingDescription == "y > 0.5 or (x > 1 and x < 9) held 3 of 4 ticks")
    }

    func policy(pending: Double) -> AlertPolicy {
        AlertPolicy(fireProbability: 0.9, resolveProbability: 0.2, fireAfter: 2, resolveAfter: 3, horizonSeconds: 30,
                    fireAtOnceProbability: 0.95, firePendingProbability: pending)
    }

    /// One tick per (p, label, pending), 10 s apart.
    func events(_ policy: AlertPolicy, _ ticks: [(p: Double, label: Bool, pending: Bool)]) -> [(tick: Int, event: AlertEvent)] {
        let clock = TraceClock(unixSeconds: 0)
        var machine = AlertStateMachine(policy: policy, clock: clock, makeID: { "alert" })
        var out: [(Int, AlertEvent)] = []
        for (tick, observed) in ticks.enumerated() {
            clock.set(unixSeconds: Double(tick) * 10)
            out += machine.observe(AlertObservation(probability: observed.p, ruleHolds: observed.label, rulePending: observed.pending))
                .map { (tick, $0) }
        }
        return out
    }

    @Test func aPendingTickFiresAtTheLevelAndTheBreachEscalates() {
        let ticks: [(p: Double, label: Bool, pending: Bool)] = [(0.1, false, false), (0.75, false, true), (0.8, true, false), (0.1, false, false),
                                                             (0.1, false, false), (0.1, false, false), (0.1, false, false)]
        let fired = events(policy(pending: 0.7), ticks)
        #expect(fired.map(\.tick) == [1, 2, 5])
        #expect(fired.map(\.event.kind) == [.predicted, .breached, .breached])
        #expect(fired[1].event.escalatedFrom == .predicted, "one alert that escalates, not two")
        #expect(fired.map(\.event.event) == [.fired, .fired, .resolved])
        #expect(events(policy(pending: 0.8), ticks).first?.tick == 2, "p 0.75 is below the level: the breach fires it")
        #expect(events(policy(pending: 1), ticks).first?.tick == 2, "off: the same p fires nothing before the breach")
        let notPending = ticks.map { (p: $0.p, label: $0.label, pending: false) }
        #expect(events(policy(pending: 0.7), notPending).first?.tick == 2, "p 0.75 alone is below fire_probability")
    }

    /// The grid's fast path skips idle ticks: a pending tick at a low p is not idle.
    @Test func theGridSeriesAgreesWithTheMachineOnAPendingTick() {
        let ps: [Double?] = [0.05, 0.05, 0.05, 0.6, 0.05, 0.05, 0.05, 0.05]
        let labels: [Bool?] = ps.map { _ in false }
        let pending = [false, false, false, true, false, false, false, false]
        #expect(alertSeries(probabilities: ps, labels: labels, policy: policy(pending: 0.5), rulePending: pending)
                == [false, false, false, true, true, true, false, false])
        #expect(!alertSeries(probabilities: ps, labels: labels, policy: policy(pending: 1), rulePending: pending).contains(true))
        #expect(!alertSeries(probabilities: ps, labels: labels, policy: policy(pending: 0.7), rulePending: pending).contains(true))
    }

    /// The pipeline's fired events over `ys` (x stays 1), with the rule y > 0.5 for 3 ticks
    /// and a fire level p never reaches.
    func pipelineFired(_ ys: [Double], pending: Double) throws -> [(tick: Int, event: AlertEvent)] {
        let config = pendingConfig(pending)
        let clock = TraceClock(unixSeconds: 0)
        let pipeline = try DetectionPipeline(settings: .init(config: config, tickSeconds: 10, untrained: false), schema: schema,
                                             model: ModelCatalog.fresh(config), clock: clock)
        var fired: [(tick: Int, event: AlertEvent)] = []
        for (tick, y) in ys.enumerated() {
            clock.set(unixSeconds: Double(tick) * 10)
            let sample = Sample(timestamp: Double(tick) * 10, tick: tick + 1, schema: schema, values: [1, y])
            fired += pipeline.ingest(sample).events.filter { $0.event == .fired }.map { (tick, $0) }
        }
        return fired
    }

    func pendingConfig(_ pending: Double) -> SurgeConfig {
        var config = PipelineLearningTests().config()  // a small model over x, rule y > 0.5
        config.overload.forTicks = 3
        config.learning.online = false
        config.alert.fireProbability = 0.999
        config.alert.fireAtOnceProbability = 1
        config.alert.firePendingProbability = pending
        return config
    }

    /// fire_on_pending_probability = 0 fires on the rule's word alone, names the rule in the
    /// event and the message, and the series the policy grid scores marks the same ticks.
    @Test func thePipelineFiresOnAPendingRuleAndNamesIt() throws {
        let ys: [Double] = [0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
        let fired = try pipelineFired(ys, pending: 0)
        #expect(fired.map(\.tick) == [5, 6], "predicted on the second tick of three, escalated on the third")
        let predicted = try #require(fired.first?.event)
        #expect(predicted.kind == .predicted)
        #expect(predicted.rulePending == "y > 0.5 held 2 of 3 ticks")
        let message = AlertMessage.text(for: predicted)
        #expect(message.hasPrefix("overload predicted within 20s (p=") && message.contains("; SLO rule y > 0.5 held 2 of 3 ticks)"), "\(message)")
        #expect(fired[1].event.rulePending == nil, "the breach names no pending rule")
        #expect(try pipelineFired(ys, pending: 1).map(\.tick) == [6], "off: the breach alone")
        #expect(try pipelineFired(ys, pending: 0.999).map(\.tick) == [6], "p under the level: the breach alone")

        var trace = Trace(schema: schema)
        for (tick, y) in ys.enumerated() { trace.append(timestamp: Double(tick) * 10, row: [1, y]) }
        let nothing: [Double?] = ys.map { _ in nil }
        let series = HoldSearch.series(trace: trace, labels: nothing.map { _ in nil }, probabilities: nothing, config: pendingConfig(0))
        #expect(series.rulePending.enumerated().filter(\.element).map(\.offset) == [5])
        #expect(HoldSearch.series(trace: trace, labels: [], probabilities: [], config: pendingConfig(1)).rulePending == series.rulePending,
                "read with the level off too, for PendingLevelSearch")
        var holdsAtOnce = pendingConfig(1)
        holdsAtOnce.overload.forTicks = 1
        #expect(HoldSearch.series(trace: trace, labels: [], probabilities: [], config: holdsAtOnce).rulePending.isEmpty)
    }

    /// Three breaches each announced by a pending tick at p 0.75, three fall-backs at p 0.4:
    /// levels up to 0.4 warn of every breach and raise a false alarm at each fall-back, 0.5 to
    /// 0.7 warn of the breaches alone, 0.8 and above of none. The lowest of the best is named.
    @Test func theSearchNamesTheLevelThatSeparatesBreachesFromFallBacks() {
        var timestamps: [Double] = [], labels: [Bool?] = [], ps: [Double?] = [], pending: [Bool] = []
        for unit in 0..<6 {
            let breaks = unit % 2 == 0
            for tick in 0..<40 {
                timestamps.append(Double(timestamps.count) * 10)
                labels.append(breaks && (tick == 11 || tick == 12))
                ps.append(tick == 10 ? (breaks ? 0.75 : 0.4) : 0.05)
                pending.append(tick == 10)
            }
        }
        let series = PolicyGrid.Series(timestamps: timestamps, labels: labels, probabilities: ps, rulePending: pending)
        var config = pendingConfig(1)
        let lines = PendingLevelSearch.report(series: [series], config: config)
        #expect(lines.count == 3, "\(lines)")
        #expect(lines.first?.hasPrefix("the config's policy firing on no pending tick:  3 episodes, 0 early (0 %)") == true, "\(lines)")
        #expect(lines.dropFirst().first?.hasPrefix("suggested for [alert] a tick before the rule holds:  3 episodes, 3 early (100 %), 0.0 false alarms/day") == true, "\(lines)")
        #expect(lines.dropFirst().first?.hasSuffix("[fire_on_pending_probability = 0.50]") == true, "\(lines)")
        #expect(lines.last == "levels that net within 1 of it: 0.50, 0.60, 0.70")
        config.alert.firePendingProbability = 0.3
        let own = PendingLevelSearch.report(series: [series], config: config)
        #expect(own.dropFirst().first?.hasPrefix("with the config's level:  3 episodes, 3 early (100 %), 108.0 false alarms/day") == true,
                "three false alarms in 240 ticks: \(own)")
        config.overload.forTicks = 1
        #expect(PendingLevelSearch.report(series: [series], config: config).isEmpty, "no run to wait for")
        let unread = PolicyGrid.Series(timestamps: timestamps, labels: labels, probabilities: ps)
        #expect(PendingLevelSearch.report(series: [unread], config: pendingConfig(1)).isEmpty, "the stored history says nothing of the run")
    }
}
