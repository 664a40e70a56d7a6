import Testing
import SurgeConfig
import SurgeSampling
@testable import SurgeDetection

/// `alerts --record` lists the alerts no overload was in or followed (the false alarms), each
/// with how near the SLO rule came while it was open, read from the stored samples.
@Suite struct QuietAlertTests {
    /// ".": calm, "a": alert open; "x": overload label, "?": unknown.
    func quiet(_ alerting: String, _ labels: String, horizon: Int = 2, staleAfter: Int = 180) -> [QuietAlert] {
        let count = alerting.count
        let probabilities: [Double?] = alerting.enumerated().map { index, c in c == "a" ? 0.5 + Double(index) / 100 : nil }
        return QuietAlert.of(timestamps: (0..<count).map { Double($0) * 10 }, labels: labels.map { $0 == "?" ? nil : $0 == "x" },
                             alerting: alerting.map { $0 == "a" }, probabilities: probabilities, horizon: horizon, staleAfter: staleAfter)
    }

    @Test func theQuietAlertsAreTheScoresFalseAlarms() {
        // An alert with overload in it, one followed by overload within the horizon (2 ticks),
        // one with none in it or after it, and one at the end the horizon runs out on.
        let alerting = "..aaa.....aa.......aaa.......aa"
        let labels = "...x.........x................."
        let found = quiet(alerting, labels)
        #expect(found.map(\.firedAt) == [190, 290])
        #expect(found.map(\.lastOpen) == [210, 300])
        #expect(found.map(\.ticks) == [3, 2])
        #expect(found.first?.peakProbability == 0.71, "the highest p while it was open")
        #expect(found.map(\.falseAlarms) == [1, 1])
        let score = EpisodeScore.score(timestamps: (0..<alerting.count).map { Double($0) * 10 }, labels: labels.map { $0 == "x" },
                                       alerting: alerting.map { $0 == "a" }, horizon: 2, mergeGap: 3)
        #expect(score.falseAlarms == found.reduce(0) { $0 + $1.falseAlarms })
    }

    @Test func aLongQuietAlertCountsOncePerStaleSpanBegun() {
        #expect(quiet(".aaaaaaa.", ".........", staleAfter: 3).map(\.falseAlarms) == [3])
        #expect(quiet(".aaaaaa..", ".........", staleAfter: 3).map(\.falseAlarms) == [2])
        // Unknown labels are not overload: an alert over them is quiet too, as the score has it.
        #expect(quiet(".aa...", ".??...").count == 1)
    }

    let schema = MetricSchema(["psi", "y"])
    var rule: SurgeConfig.Overload {
        SurgeConfig.Overload(any: [OverloadCondition(metric: "psi", comparison: .greater, threshold: 50)], forTicks: 3)
    }

    @Test func theRuleIsFollowedFromTheTicksBeforeTheAlert() throws {
        // psi over 50 on ticks 3, 4 and 5: a run of 3 that breaks the rule on tick 5, had the
        // alert (ticks 4-6) been scored against it; the run began a tick before the alert.
        let psi: [Double] = [10, 20, 30, 60, 70, 40, 20]
        let times = psi.indices.map { Double($0) * 10 }
        let approach = try #require(RuleApproach.over(rule, schema: schema, times: times, columns: [psi, psi.map { _ in 0 }],
                                                      from: 40, to: 60, tickSeconds: 10))
        #expect(approach.longestRun == 2, "the tick before the alert counts in its run")
        #expect(approach.reached.first?.value == 70)
        #expect(approach.ticks == 3 && approach.brokenTicks == 0 && approach.complete)
        #expect(approach.text == "SLO rule not broken: psi up to 70 (rule > 50); it held 2 ticks in a row of the 3 that break it")

        // psi over 50 from the tick before the alert: with the ticks one after another, the
        // run reaches 3 on the alert's second tick; after a gap (the daemon was stopped), the
        // tick before the gap is not part of it.
        let before: [Double] = [10, 20, 60, 60, 70, 40, 20]
        let contiguous = try #require(RuleApproach.over(rule, schema: schema, times: times, columns: [before, before.map { _ in 0 }],
                                                        from: 30, to: 50, tickSeconds: 10))
        #expect(contiguous.longestRun == 3 && contiguous.brokenTicks == 1)
        let gapped = [0, 10, 20, 500, 510, 520, 530.0]
        let afterGap = try #require(RuleApproach.over(rule, schema: schema, times: gapped, columns: [before, before.map { _ in 0 }],
                                                      from: 500, to: 520, tickSeconds: 10))
        #expect(afterGap.longestRun == 2 && afterGap.brokenTicks == 0)
    }

    @Test func missingSamplesAreSaid() throws {
        let times = [0, 10, 20, 30.0]
        let psi: [Double] = [.nan, .nan, .nan, 5]
        let never = try #require(RuleApproach.over(rule, schema: schema, times: times, columns: [psi, [0, 0, 0, 0]], from: 0, to: 20, tickSeconds: 10))
        #expect(never.text == "SLO rule not broken: psi never known (rule > 50)")
        // The alert's first ticks not stored: said, with the first one seen.
        let late = try #require(RuleApproach.over(rule, schema: schema, times: [20, 30], columns: [[40, 45], [0, 0]], from: 0, to: 30, tickSeconds: 10))
        #expect(late.text == "SLO rule not broken: psi up to 45 (rule > 50) (seen from 1970-01-01T00:00:20Z, the samples before not stored)")
        // No sample within the alert at all.
        #expect(RuleApproach.over(rule, schema: schema, times: [0, 100], columns: [[1, 1], [0, 0]], from: 30, to: 60, tickSeconds: 10) == nil)
        #expect(RuleApproach.over(rule, schema: schema, times: [], columns: [[], []], from: 30, to: 60, tickSeconds: 10) == nil)
    }

    @Test func theListSaysEachAndWhatTheCountHasBeyondThem() throws {
        let approach = try #require(RuleApproach.over(rule, schema: schema, times: [0, 10], columns: [[30, 49.5], [0, 0]], from: 0, to: 10, tickSeconds: 10))
        var alerts: [(alert: QuietAlert, approach: RuleApproach?)] = []
        for index in 0..<12 {
            let fired = Double(index) * 3600
            let alert = QuietAlert(firedAt: fired, lastOpen: fired + 10, ticks: 2, falseAlarms: 1, peakProbability: index == 11 ? nil : 0.96)
            alerts.append((alert, index == 10 ? nil : approach))
        }
        let list = QuietAlertList(alerts: alerts, falseAlarms: 14, intervalSeconds: 10)
        let lines = list.lines(everyOne: "--json has every one")
        #expect(lines.count == 12)
        #expect(lines[0] == "alerts no overload was in or followed (the false alarms above), with how near the SLO rule came: 12; "
                + "2 false alarms more were quiet stretches of 30m inside alerts that covered overload")
        #expect(lines[1] == "  (2 earlier not listed; --json has every one)")
        #expect(lines[2] == "  1970-01-01T02:00:00Z, open 20s, p up to 0.96: SLO rule not broken: psi up to 49.5 (rule > 50)")
        #expect(lines[10] == "  1970-01-01T10:00:00Z, open 20s, p up to 0.96: no samples stored while it was open")
        #expect(lines[11] == "  1970-01-01T11:00:00Z, open 20s: SLO rule not broken: psi up to 49.5 (rule > 50)")
        #expect(QuietAlertList(alerts: Array(alerts.prefix(1)), falseAlarms: 1, intervalSeconds: 10).lines()
                == ["alerts no overload was in or followed (the false alarms above), with how near the SLO rule came: 1",
                    "  1970-01-01T00:00:00Z, open 20s, p up to 0.96: SLO rule not broken: psi up to 49.5 (rule > 50)"])
        #expect(QuietAlertList(alerts: [], falseAlarms: 0, intervalSeconds: 10).lines().isEmpty)
        #expect(QuietAlertList(alerts: Array(alerts.prefix(1)), falseAlarms: 2, intervalSeconds: 10).lines().first
                == "alerts no overload was in or followed (the false alarms above), with how near the SLO rule came: 1; "
                + "1 false alarm more was a quiet stretch of 30m inside alerts that covered overload")
        // Samples that break the rule where the stored verdicts had no overload: another rule.
        let broken = try #require(RuleApproach.over(rule, schema: schema, times: [0, 10, 20], columns: [[60, 70, 80], [0, 0, 0]],
                                                    from: 0, to: 20, tickSeconds: 10))
        let changed = QuietAlertList(alerts: [(alerts[0].alert, broken)], falseAlarms: 1, intervalSeconds: 10).lines()
        #expect(changed.last == "  1970-01-01T00:00:00Z, open 20s, p up to 0.96: SLO rule broken on 1 of the alert's 3 ticks: psi up to 80 (rule > 50) "
                + "(not overload by the verdicts stored then: the rule read here is not the one the daemon ran)")
        #expect(list.json.hasPrefix("[{\"fired_at\":\"1970-01-01T00:00:00Z\",\"last_open\":\"1970-01-01T00:00:10Z\",\"ticks\":2,"
                                    + "\"false_alarms\":1,\"peak_probability\":0.96,\"rule_approach\":{\"reached\":[{\"condition\":\"psi > 50\",\"value\":49.5}],"))
    }
}
