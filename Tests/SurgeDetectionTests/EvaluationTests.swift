import Testing
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
    }

    @Test func baselineHysteresisFiresOnTheRuleAndAfterAWarningRun() {
        let warn = [false, true, true, false, false, false, false, false]
        let labels: [Bool?] = [false, false, false, false, false, false, true, false]
        let series = alertSeries(warn: warn, labels: labels, fireAfter: 2, resolveAfter: 2)
        #expect(series == [false, false, true, true, false, false, true, true])
    }
}
