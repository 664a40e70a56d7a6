import Testing
import SurgeConfig
@testable import SurgeDetection

@Suite struct PolicyTableTests {
    /// Every policy of the grid is what its text sets when copied into `[alert]`.
    /// A config that fires a tick before the rule holds (eval/alibaba.toml) keeps that level in
    /// every policy of its grid, as `PolicyGrid` does, and the text names it.
    @Test(arguments: [1.0, 0.7])
    func everyPolicyReadsBackFromItsConfigLines(pendingLevel: Double) throws {
        var alert = SurgeConfig().alert
        alert.firePendingProbability = pendingLevel
        let grid = PolicyTable.fireGrid(alert)
        #expect(grid.count == 600, "5 fire levels × 1-4 ticks × 5 at-once levels × 6 leap levels")
        #expect(grid.contains { $0.policy == AlertPolicy(alert) }, "the default policy is one of them")
        for (text, policy) in grid {
            #expect(text.contains("fire_on_pending_probability = 0.7") == (pendingLevel < 1), "\(text)")
            // The level needs a rule held for two ticks or more (eval/alibaba.toml's is three).
            let rule = pendingLevel < 1 ? "[overload]\nany = [\"cpu_busy > 0.6\"]\nfor_ticks = 3\n" : ""
            let lines = rule + "[alert]\n" + text.split(separator: ",").map { $0.trimmingPrefix(" ") }.joined(separator: "\n") + "\n"
            let config = try ConfigLoader.parse(lines, file: "grid.toml")
            #expect(AlertPolicy(config.alert) == policy, "\(text)")
        }
    }

    /// Row "sudden": two traces, each with two breaches that p announces one tick ahead, leaping
    /// from 0.05 to 0.9. Row "blips": the same leap three times with nothing after. A policy
    /// that fires on one tick at 0.9 warns all four breaches and raises three false alarms (net
    /// 1); one that waits warns none and raises none (net 0).
    static func rows() -> [PolicyTable.Row] {
        func series(breaches: [Int], blips: [Int]) -> PolicyGrid.Series {
            var labels = [Bool?](repeating: false, count: 400), probabilities = [Double?](repeating: 0.05, count: 400)
            for start in breaches {
                probabilities[start - 1] = 0.9
                for tick in start..<start + 5 { labels[tick] = true; probabilities[tick] = 0.99 }
            }
            for tick in blips { probabilities[tick] = 0.9 }
            return PolicyGrid.Series(timestamps: (0..<400).map { Double($0) * 10 }, labels: labels, probabilities: probabilities)
        }
        return [PolicyTable.Row(name: "sudden", series: [series(breaches: [100, 300], blips: []), series(breaches: [100, 300], blips: [])],
                                horizon: 3, mergeGap: 3),
                PolicyTable.Row(name: "blips", series: [series(breaches: [], blips: [50, 150, 250])], horizon: 3, mergeGap: 3)]
    }

    @Test func scoresAddUpOverEachRowsTraces() throws {
        let rows = Self.rows(), own = AlertPolicy(SurgeConfig().alert)
        let table = PolicyTable(rows: rows, own: ("own", own), grid: PolicyTable.fireGrid(SurgeConfig().alert))
        #expect(table.entries.count == 601 && table.own.text == "own")
        let sudden = table.own.scores[0]
        #expect(sudden.episodes == 4 && sudden.caught == 4 && sudden.caughtEarly == 0, "waiting two ticks, the default warns none: \(sudden)")
        var bySeries = EpisodeScore()
        for part in rows[0].series {
            bySeries.add(EpisodeScore.score(timestamps: part.timestamps, labels: part.labels,
                                            alerting: alertSeries(probabilities: part.probabilities, labels: part.labels, policy: own),
                                            horizon: 3, mergeGap: 3))
        }
        #expect(sudden == bySeries)
        #expect(table.own.net == 0 && table.own.worstWarnedFraction == 0 && table.own.worstFalseAlarmsPerDay == 0)

        let leap = try #require(table.entries.first { $0.policy.fireAfter == 2 && $0.policy.fireOnLeapProbability == 0.8 })
        #expect(leap.scores[0].caughtEarly == 4 && leap.scores[1].falseAlarms == 3 && leap.net == 1, "\(leap.scores)")
        // Three false alarms in 4,000 s.
        #expect(abs(leap.worstFalseAlarmsPerDay - 3 / (4_000.0 / 86_400)) < 1e-9)
    }

    /// A row whose config sets a fire policy of its own (the shop's SLO rows) is scored under
    /// it in the config's line; the grid's policies score every row alike.
    @Test func aRowsOwnPolicyScoresItInTheConfigsLine() throws {
        var rows = Self.rows()
        var single = AlertPolicy(SurgeConfig().alert)
        single.fireAfter = 1
        single.fireProbability = 0.9
        rows[0].ownPolicy = single
        let table = PolicyTable(rows: rows, own: ("own", AlertPolicy(SurgeConfig().alert)), grid: PolicyTable.fireGrid(SurgeConfig().alert))
        #expect(table.own.scores[0].caughtEarly == 4, "the row's own policy fires on the tick at 0.9: \(table.own.scores[0])")
        #expect(table.own.scores[1].falseAlarms == 0, "the other row under the config's, which waits: \(table.own.scores[1])")
        let plain = PolicyTable(rows: Self.rows(), own: ("own", AlertPolicy(SurgeConfig().alert)), grid: PolicyTable.fireGrid(SurgeConfig().alert))
        #expect(table.entries.dropFirst().map(\.scores) == plain.entries.dropFirst().map(\.scores), "the grid does not see it")
    }

    @Test func choosesByNetByTheWorstRowAndByTheTargets() throws {
        let table = PolicyTable(rows: Self.rows(), own: ("own", AlertPolicy(SurgeConfig().alert)), grid: PolicyTable.fireGrid(SurgeConfig().alert))
        // Best net: the first in the grid's order that fires on a single tick at 0.9.
        let best = try #require(table.best())
        #expect(best.net == 1 && best.text == "fire_probability = 0.7, fire_after = 1, fire_at_once_probability = 0.95, fire_on_leap_probability = 1.0")
        // At most one false alarm a day: only the policies that wait, all warning none; the first.
        let quiet = try #require(table.best(worstRowOf: PolicyTable.meets(falseAlarmsPerDay: 1, warnedFraction: 0)))
        #expect(quiet.worstWarnedFraction == 0 && quiet.net == 0)
        #expect(quiet.text == "fire_probability = 0.7, fire_after = 2, fire_at_once_probability = 0.95, fire_on_leap_probability = 1.0")
        #expect(table.best(netOf: PolicyTable.meets()) == nil, "none both warns and stays quiet")
        let loud = try #require(table.best(netOf: PolicyTable.meets(falseAlarmsPerDay: 100)))
        #expect(loud.text == best.text)
    }
}
