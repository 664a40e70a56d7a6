import Testing
import SurgeConfig
import SurgeModel
import SurgeSampling
@testable import SurgeDetection

@Suite struct EvaluationTests {
    func score(_ labels: String, _ alerts: String, horizon: Int = 1, staleAfter: Int = 180) -> EpisodeScore {
        let l: [Bool?] = labels.map { $0 == "x" ? true : ($0 == "?" ? nil : false) }
        let a = alerts.map { $0 == "a" }
        return EpisodeScore.score(timestamps: l.indices.map { Double($0) * 10 }, labels: l, alerting: a,
                                  horizon: horizon, mergeGap: 2, staleAfter: staleAfter)
    }

    @Test func earlyCaughtLateAndFalse() {
        //                  episode 1 (t=4)   episode 2 (t=14)
        let s = score("....xx........xxx.......", ".aaaaaa........aaaa..aa.")
        #expect(s.episodes == 2 && s.caught == 2 && s.caughtEarly == 1)
        #expect(s.leadSeconds == [30], "opened at tick 1, episode at tick 4")
        #expect(s.alerts == 3 && s.falseAlarms == 1, "the alert at ticks 21-22 saw no overload")
    }

    @Test func closeRunsAreOneEpisodeAndUnknownIsNotOverload() {
        let s = score("..xx.xx...x?x", "aaaaaaaaaaaaa")
        #expect(s.episodes == 2, "ticks 2-6 merge across a one-tick gap; 10-12 across the unknown tick")
    }

    @Test func anAlertLeftOpenIsStaleAndCountsAsManyFalseAlarms() {
        let s = score(String(repeating: ".", count: 40) + "x", String(repeating: "a", count: 41), staleAfter: 10)
        #expect(s.caughtEarly == 0, "open for 40 ticks before the episode: not a warning")
        #expect(s.falseAlarms == 3, "pieces 0-9, 10-19, 20-29 had no overload within the horizon")
        #expect(s.continuing == 0 && s.warned == 0, "no earlier overload under that alert: it warned of nothing")
        #expect(s.afterBreachSeconds.isEmpty, "still open when the trace ends: no time after the breach to tell")
    }

    /// An alert that covered a breach and closed a few ticks after it is not a false alarm,
    /// wherever it opened; one that lingers a full `staleAfter` after the breach is, once per
    /// full `staleAfter`. (Cut into pieces from its opening, as until session 50, the alert
    /// opened 2 ticks ahead and closed 5 after counted one: its last piece held no overload.)
    @Test func aTailAfterTheBreachCountsOnlyWhenItLingersAFullStaleAfter() {
        let labels = String(repeating: ".", count: 20) + "xxxxx" + String(repeating: ".", count: 60)
        for lead in 1...9 {
            for tail in 0...25 {
                let alerts = String(repeating: ".", count: 20 - lead) + String(repeating: "a", count: lead + 5 + tail)
                    + String(repeating: ".", count: 60 - tail)
                let s = score(labels, alerts, staleAfter: 10)
                #expect(s.caughtEarly == 1 && s.alerts == 1)
                #expect(s.falseAlarms == tail / 10, "lead \(lead), tail \(tail)")
                #expect(s.afterBreachSeconds == [Double(tail) * 10], "open \(tail) ticks of 10 s after the breach")
            }
        }
    }

    /// Between two breaches one alert covers, the quiet run counts once per full
    /// `staleAfter`; an alert that warned of nothing counts once per `staleAfter` begun.
    @Test func quietRunsInsideAnAlertAndWrongAlertsCountByTheirLength() {
        // Breaches at 5-6 and 32-33: ticks 7-30 are quiet (31 is within the horizon of 32).
        let held = score(".....xx" + String(repeating: ".", count: 25) + "xx....",
                         "...aaaa" + String(repeating: "a", count: 25) + "aaa...", staleAfter: 10)
        #expect(held.episodes == 2 && held.warned == 2)
        #expect(held.falseAlarms == 2, "24 quiet ticks: two full runs of 10")
        #expect(held.afterBreachSeconds == [10], "closed the tick after the last breached one")
        let wrong = score(String(repeating: ".", count: 40), ".." + String(repeating: "a", count: 25) + String(repeating: ".", count: 13),
                          staleAfter: 10)
        #expect(wrong.falseAlarms == 3, "25 ticks that warned of nothing: 10, 10 and 5 begun")
    }

    /// One alert held open through a hot spell: the second breach is neither early (the alert
    /// is 13 ticks old, stale after 10) nor missed; a flapping alert would have scored it early.
    @Test func aBreachInsideAnAlertStillOpenFromAnEarlierOneIsContinuing() {
        //                  early (t=2)        continuing (t=14)
        let held = score("..xx..........xx.....", ".aaaaaaaaaaaaaaaaaa..", staleAfter: 10)
        #expect(held.episodes == 2 && held.caughtEarly == 1 && held.continuing == 1 && held.warned == 2)
        #expect(held.leadSeconds == [10], "a continuing episode has no lead of its own")
        #expect(held.warnedFraction == 1 && held.earlyFraction == 0.5)
        let flapping = score("..xx..........xx.....", ".aaaaaa......aaaaaa..", staleAfter: 10)
        #expect(flapping.caughtEarly == 2 && flapping.continuing == 0)
    }

    /// The grid's policies never fire on a leap: under a config that does, each line turns it
    /// off, so that a line copied into [alert] is the policy it scored; the summary says it.
    @Test func theGridSaysItsPoliciesDoNotLeap() {
        var config = SurgeConfig()
        #expect(PolicyGrid.candidates(config).allSatisfy { !$0.text.contains("leap") && $0.policy.fireOnLeapProbability == 1 })
        config.alert.fireOnLeapProbability = 0.8
        #expect(PolicyGrid.candidates(config).allSatisfy { $0.text.hasSuffix(", fire_on_leap_probability = 1") && $0.policy.fireOnLeapProbability == 1 })
        #expect(config.alert.firing == "fire at p >= 0.95 for 2 ticks or 0.96 once or 0.8 straight after p < 0.2")
        #expect(AlertPolicy(config.alert).fireOnLeapProbability == 0.8)
    }

    /// alertSeries skips the idle ticks; the state machine shown every tick must agree, on
    /// random series with gaps (nil p, nil labels) under several policies.
    @Test func skippingIdleTicksChangesNoAlert() {
        var generator = SeededGenerator(seed: 13)
        func draw() -> Double { Double(generator.nextUnitFloat()) }
        let policies = [
            AlertPolicy(fireProbability: 0.8, resolveProbability: 0.2, fireAfter: 2, resolveAfter: 3, horizonSeconds: 0, fireAtOnceProbability: 0.95),
            AlertPolicy(fireProbability: 1, resolveProbability: 0.5, fireAfter: 2, resolveAfter: 3, horizonSeconds: 0, fireAtOnceProbability: 1),
            AlertPolicy(fireProbability: 0.5, resolveProbability: 0.3, fireAfter: 1, resolveAfter: 1, horizonSeconds: 0, fireAtOnceProbability: 1),
            AlertPolicy(fireProbability: 0.9, resolveProbability: 0.1, fireAfter: 3, resolveAfter: 6, horizonSeconds: 0, fireAtOnceProbability: 0.97),
            // A leap depends on the tick before, skipped or not.
            AlertPolicy(fireProbability: 0.9, resolveProbability: 0.2, fireAfter: 2, resolveAfter: 3, horizonSeconds: 0,
                        fireAtOnceProbability: 0.95, fireOnLeapProbability: 0.35),
            // Announced sales: in their windows a lower p fires, so those ticks are not idle.
            AlertPolicy(fireProbability: 0.9, resolveProbability: 0.2, fireAfter: 3, resolveAfter: 3, horizonSeconds: 0,
                        fireAtOnceProbability: 1, saleFireProbability: 0.3),
        ]
        for policy in policies {
            for _ in 0..<20 {
                // Runs of calm, hovering and high p, so that alerts open, hold and resolve.
                var probabilities: [Double?] = [], labels: [Bool?] = [], sales: [Double?] = []
                while probabilities.count < 600 {
                    let level = [0.05, 0.4, 0.85, 0.99][Int(draw() * 4) % 4]
                    let sale: Double? = draw() < 0.2 ? Double(probabilities.count) : nil
                    for _ in 0..<(1 + Int(draw() * 8)) {
                        let u = draw()
                        probabilities.append(u < 0.05 ? nil : min(1, max(0, level + (draw() - 0.5) * 0.2)))
                        labels.append(u > 0.97 ? nil : (level > 0.9 && draw() < 0.5))
                        sales.append(sale)
                    }
                }
                var machine = AlertStateMachine(policy: policy, clock: TraceClock(), makeID: { "" })
                let everyTick = probabilities.indices.map { index -> Bool in
                    _ = machine.observe(AlertObservation(probability: probabilities[index], ruleHolds: labels[index], saleStart: sales[index]))
                    return machine.open != nil
                }
                let series = alertSeries(probabilities: probabilities, labels: labels, policy: policy, saleStarts: sales)
                #expect(series == everyTick, "\(policy)")
                #expect(series.contains(true) && series.contains(false))
            }
        }
    }

    @Test func baselineHysteresisFiresOnTheRuleAndAfterAWarningRun() {
        let warn = [false, true, true, false, false, false, false, false]
        let labels: [Bool?] = [false, false, false, false, false, false, true, false]
        let series = alertSeries(warn: warn, labels: labels, fireAfter: 2, resolveAfter: 2)
        #expect(series == [false, false, true, true, false, false, true, true])
    }
}

@Suite struct PolicyGridTests {
    /// Probabilities that rise two ticks before each of two breaches: the config's policy warns
    /// both early, and the grid's best says so with settings that parse as `[alert]` keys.
    @Test func theGridNamesItsBestPolicyAsConfigSettings() {
        var labels = [Bool?](repeating: false, count: 400), probabilities = [Double?](repeating: 0.05, count: 400)
        for start in [100, 300] {
            for tick in start..<start + 5 { labels[tick] = true }
            for tick in start - 3..<start + 5 { probabilities[tick] = 0.97 }
        }
        let timestamps = (0..<400).map { Double($0) * 10 }
        let lines = PolicyGrid.report(timestamps: timestamps, labels: labels, probabilities: probabilities, config: SurgeConfig())
        #expect(lines.first?.hasPrefix("the config's policy:  2 episodes, 2 early (100 %), 0.0 false alarms/day") == true, "\(lines)")
        #expect(lines.count == 4, "the config's, the best, the quietest at 70 % early and at 70 % warned: \(lines)")
        #expect(lines[1].hasPrefix("best early - false alarms:  2 episodes, 2 early (100 %)"), "\(lines)")
        #expect(lines[1].hasSuffix("[fire_probability = 0.1, fire_after = 1, fire_at_once_probability = 1, resolve_probability = 0.06]"),
                "the first of the tied best, in config words: \(lines)")

        // No episode: the two rises are false alarms (two in 4,000 s: 43.2 a day), and the grid
        // has nothing to choose by.
        let calm = PolicyGrid.report(timestamps: timestamps, labels: [Bool?](repeating: false, count: 400),
                                     probabilities: probabilities, config: SurgeConfig())
        #expect(calm == ["the config's policy:  0 episodes, 43.2 false alarms/day",
                         "no overload episode in these ticks: nothing to choose a policy by"])
    }

    /// A third episode announced only at p 0.5, and a blip of 0.5 with nothing after it: fire
    /// thresholds up to 0.5 warn three early with one false alarm, 0.6 and up two with none.
    /// Both net two; the tie goes to fewer false alarms, as for the baselines.
    @Test func aTieGoesToFewerFalseAlarms() {
        var labels = [Bool?](repeating: false, count: 800), probabilities = [Double?](repeating: 0.05, count: 800)
        for (start, p) in [(100, 0.97), (300, 0.97), (500, 0.5)] {
            for tick in start..<start + 5 { labels[tick] = true }
            for tick in start - 3..<start + 5 { probabilities[tick] = p }
        }
        for tick in 700..<705 { probabilities[tick] = 0.5 }
        let lines = PolicyGrid.report(timestamps: (0..<800).map { Double($0) * 10 }, labels: labels, probabilities: probabilities,
                                      config: SurgeConfig())
        #expect(lines[1].hasPrefix("best early - false alarms:  3 episodes, 2 early (67 %), 0.0 false alarms/day"), "\(lines)")
        #expect(lines[1].hasSuffix("[fire_probability = 0.6, fire_after = 1, fire_at_once_probability = 1, resolve_probability = 0.36]"),
                "\(lines)")
        #expect(lines[2].hasPrefix("fewest false alarms at >= 70 % early:  3 episodes, 3 early (100 %)"), "\(lines)")
    }

    /// Two breaches a hundred ticks apart, p dipping to 0.35 between them with a spike to 0.99
    /// that nothing follows, and a calm stretch at p 0.9 that nothing follows either. Only a
    /// fire threshold above 0.9 stays quiet in the calm, and only a resolve threshold under the
    /// dip holds one alert through the spike: the best is a wide band the tied grid lacks.
    @Test func theGridTriesWiderResolveBands() {
        var labels = [Bool?](repeating: false, count: 1_000), probabilities = [Double?](repeating: 0.05, count: 1_000)
        for tick in 105..<197 { probabilities[tick] = 0.35 }
        for tick in Array(97..<105) + Array(140..<142) + Array(197..<205) { probabilities[tick] = 0.99 }
        for tick in Array(100..<105) + Array(200..<205) { labels[tick] = true }
        for tick in 500..<511 { probabilities[tick] = 0.9 }
        // The policy the default was until session 46 (0.9 for 2 ticks or 0.95 once) holds
        // through the spike but fires in the calm stretch.
        var config = SurgeConfig()
        (config.alert.fireProbability, config.alert.fireAtOnceProbability) = (0.9, 0.95)
        let lines = PolicyGrid.report(timestamps: (0..<1_000).map { Double($0) * 10 }, labels: labels, probabilities: probabilities,
                                      config: config)
        #expect(lines[0].hasPrefix("the config's policy:  2 episodes, 2 early (100 %), 8.64 false alarms/day"), "\(lines)")
        #expect(lines[1] == "best early - false alarms:  2 episodes, 2 early (100 %), 0.0 false alarms/day, median lead 530 s  "
                + "[fire_probability = 0.95, fire_after = 1, fire_at_once_probability = 1, resolve_probability = 0.30]", "\(lines)")
    }

    /// A hot spell: warned once, then one alert holds through a second breach 185 ticks later
    /// (past the 180 after which an alert no longer warns, yet under 180 ticks without overload
    /// between the two, so no false alarm). No policy warns 70 % early by the strict count; by
    /// early + continuing every one that fires on the warning does.
    @Test func theGridAlsoChoosesByWarnedEpisodes() {
        var labels = [Bool?](repeating: false, count: 600), probabilities = [Double?](repeating: 0.05, count: 600)
        for tick in Array(100..<105) + Array(285..<290) { labels[tick] = true }
        for tick in 97..<295 { probabilities[tick] = 0.97 }
        let lines = PolicyGrid.report(timestamps: (0..<600).map { Double($0) * 10 }, labels: labels, probabilities: probabilities,
                                      config: SurgeConfig())
        #expect(lines[2] == "no policy of the grid warns 70 % of episodes early", "\(lines)")
        #expect(lines[3].hasPrefix("fewest false alarms at >= 70 % warned (early + continuing):  "
                                   + "2 episodes, 1 early (50 %) + 1 continuing = 2 warned (100 %), 0.0 false alarms/day"), "\(lines)")
    }
}

@Suite struct WarningLevelBaselineTests {
    /// CPU pressure idles at 30 and climbs twice through 38, 42, 46 to overload; between the
    /// climbs it sits at 40.2 for two ticks and nothing follows. Only a level in (40.2, 42]
    /// warns both climbs a tick ahead (fireAfter 2: 42 and 46) without the false alarm; the
    /// lowest such fraction, 0.81, is the one kept.
    @Test func findsTheLevelThatWarnsAheadWithoutTheFalseAlarm() {
        let climb: [Double] = [30, 38, 42, 46, 55, 60, 60, 30]
        let quiet = [Double](repeating: 30, count: 200)
        let values = quiet + climb + quiet + [40.2, 40.2] + quiet + climb + quiet
        var trace = Trace(schema: MetricSchema(["psi_cpu_some_avg10", "tcp_listen_overflows_per_s"]))
        for (tick, value) in values.enumerated() { trace.append(timestamp: Double(tick) * 10, row: [value, 0]) }
        var overload = SurgeConfig().overload
        overload.any = [OverloadCondition(metric: "psi_cpu_some_avg10", comparison: .greater, threshold: 50),
                        OverloadCondition(metric: "tcp_listen_overflows_per_s", comparison: .greater, threshold: 0)]
        let labels: [Bool?] = values.map { $0 > 50 }
        let results = Baselines.all(trace: trace, labels: labels, overload: overload, horizon: 3, fireAfter: 2, resolveAfter: 3)
        let level = results.first { $0.name == "warning level" }
        #expect(level?.score.episodes == 2)
        #expect(level?.score.caughtEarly == 2)
        #expect(level?.score.falseAlarms == 0)
        #expect(level?.detail == "psi_cpu_some_avg10 >= 40.50 (0.81 of the limit)")
    }

    /// A level chosen on an earlier trace is scored as chosen: there the climbs pass 44 and a
    /// plateau sits at 43, so 0.87 (43.5) is best; on the scored trace the climbs pass 42, so
    /// 43.5 warns one tick ahead, too late for `fireAfter` 2, while hindsight finds 0.81.
    @Test func aLevelChosenOnAnEarlierTraceIsScoredAsChosen() {
        func trace(_ values: [Double]) -> Trace {
            var trace = Trace(schema: MetricSchema(["psi_cpu_some_avg10"]))
            for (tick, value) in values.enumerated() { trace.append(timestamp: Double(tick) * 10, row: [value]) }
            return trace
        }
        let quiet = [Double](repeating: 30, count: 200)
        let earlierClimb: [Double] = [30, 38, 44, 46, 55, 60, 60, 30], laterClimb: [Double] = [30, 38, 42, 46, 55, 60, 60, 30]
        let earlier = quiet + earlierClimb + quiet + [43, 43] + quiet + earlierClimb + quiet
        let later = quiet + laterClimb + quiet + [40.2, 40.2] + quiet + laterClimb + quiet
        var overload = SurgeConfig().overload
        overload.any = [OverloadCondition(metric: "psi_cpu_some_avg10", comparison: .greater, threshold: 50)]
        let tuning = Baselines.Tuning(name: "earlier.csv", trace: trace(earlier), overload: overload)
        #expect(tuning.labels == earlier.map { $0 > 50 }, "the tuning trace is labelled by the rule")
        let results = Baselines.all(trace: trace(later), labels: later.map { $0 > 50 }, overload: overload, horizon: 3,
                                    fireAfter: 2, resolveAfter: 3, tuning: tuning)
        let levels = results.filter { $0.name == "warning level" }
        #expect(levels.count == 2)
        #expect(levels.first?.chosenOn == nil && levels.first?.detail == "psi_cpu_some_avg10 >= 40.50 (0.81 of the limit)")
        #expect(levels.first?.score.caughtEarly == 2)
        #expect(levels.last?.chosenOn == "earlier.csv")
        #expect(levels.last?.detail == "psi_cpu_some_avg10 >= 43.50 (0.87 of the limit), chosen on earlier.csv")
        #expect(levels.last?.score.episodes == 2 && levels.last?.score.caughtEarly == 0 && levels.last?.score.falseAlarms == 0)
        #expect(results.filter { $0.name == "holt forecast" }.count == 2, "each family once in hindsight, once as chosen")
        #expect(!results.contains { $0.name == "cpu threshold" }, "no cpu_busy column, no CPU threshold")
        #expect(!results.contains { $0.name == "listen queue" }, "no tcp_listen_queue_ratio column, no queue threshold")
    }

    /// A hot spell: CPU at 0.95 before each of two breaches, hovering at 0.845 between them with
    /// a spike to 0.95 that nothing follows, and later a calm stretch at 0.845 that nothing
    /// follows either. A threshold alone either fires in the calm stretch (at 0.84 or below) or
    /// resolves in the hover and fires again at the spike: one false alarm each way. Held
    /// while CPU stays at a band of its threshold, one alert covers the spell, and the calm
    /// stretch stays below the threshold: both breaches early, no false alarm.
    @Test func aResolveBandHoldsAThresholdAlertThroughAHotSpell() {
        let quiet = [Double](repeating: 0.2, count: 200)
        let breach = [Double](repeating: 0.97, count: 5)
        let hover = [Double](repeating: 0.845, count: 14)
        let spell = [0.95, 0.95, 0.95] + breach + hover + [0.95, 0.95] + hover + [0.95, 0.95, 0.95] + breach
        let values = quiet + spell + quiet + [Double](repeating: 0.845, count: 10) + quiet
        var trace = Trace(schema: MetricSchema(["cpu_busy"]))
        for (tick, value) in values.enumerated() { trace.append(timestamp: Double(tick) * 10, row: [value]) }
        var overload = SurgeConfig().overload
        overload.any = [OverloadCondition(metric: "cpu_busy", comparison: .greater, threshold: 0.96)]
        let results = Baselines.all(trace: trace, labels: values.map { $0 > 0.96 }, overload: overload, horizon: 3,
                                    fireAfter: 2, resolveAfter: 3)
        let cpu = results.first { $0.name == "cpu threshold" }
        #expect(cpu?.score.episodes == 2 && cpu?.score.caughtEarly == 2 && cpu?.score.falseAlarms == 0, "\(String(describing: cpu))")
        #expect(cpu?.detail == "cpu_busy >= 0.85, held while >= 0.77", "the first threshold above the hover, held below it")

        // The hold keeps an open alert, but never opens one.
        let held = alertSeries(warn: [false, true, true, false, false, false, false, false, false],
                               hold: [false, false, false, true, true, false, false, false, true],
                               labels: [Bool?](repeating: false, count: 9), fireAfter: 2, resolveAfter: 2)
        #expect(held == [false, false, true, true, true, true, false, false, false])
    }

    /// The listen queue fills before it overflows: the lowest threshold above the quiet-time
    /// bump (0.1 for two ticks, which would be a false alarm) warns both climbs early.
    @Test func aListenQueueThresholdWarnsBeforeTheOverflow() {
        var trace = Trace(schema: MetricSchema(["tcp_listen_queue_ratio", "tcp_listen_overflows_per_s"]))
        let quiet = [(Double, Double)](repeating: (0, 0), count: 200)
        let climb: [(Double, Double)] = [(0.2, 0), (0.5, 0), (0.8, 0), (1, 5), (1, 9), (0.3, 0), (0, 0)]
        let rows = quiet + climb + quiet + [(0.1, 0), (0.1, 0)] + quiet + climb + quiet
        for (tick, row) in rows.enumerated() { trace.append(timestamp: Double(tick) * 10, row: [row.0, row.1]) }
        var overload = SurgeConfig().overload
        overload.any = [OverloadCondition(metric: "tcp_listen_overflows_per_s", comparison: .greater, threshold: 0)]
        let results = Baselines.all(trace: trace, labels: rows.map { $0.1 > 0 }, overload: overload, horizon: 3,
                                    fireAfter: 2, resolveAfter: 3)
        let queue = results.first { $0.name == "listen queue" }
        #expect(queue?.detail == "tcp_listen_queue_ratio >= 0.11")
        #expect(queue?.score.episodes == 2 && queue?.score.caughtEarly == 2 && queue?.score.falseAlarms == 0)
    }

    @Test func aLimitOfZeroHasNoLevelAndLessThanRulesRiseTowardNormal() {
        let overflows = OverloadCondition(metric: "tcp_listen_overflows_per_s", comparison: .greater, threshold: 0)
        var overload = SurgeConfig().overload
        overload.any = [overflows]
        var trace = Trace(schema: MetricSchema(["tcp_listen_overflows_per_s"]))
        for tick in 0..<10 { trace.append(timestamp: Double(tick) * 10, row: [0]) }
        var visited = 0
        WarningLevelBaseline.forEachCandidate(trace: trace, overload: overload) { _ in visited += 1 }
        #expect(visited == 0)

        let up = OverloadCondition(metric: "probe_up", comparison: .less, threshold: 0.5)
        let level = WarningLevelBaseline.warningCondition(up, fraction: 0.8)
        #expect(level.comparison == .lessOrEqual && abs(level.threshold - 0.6) < 1e-12)
    }
}
