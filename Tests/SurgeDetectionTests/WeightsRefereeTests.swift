import Testing
import SurgeConfig
@testable import SurgeDetection

/// The referee serves the weights whose alerts did better on the host's own record.
@Suite struct WeightsRefereeTests {
    /// Fires at once at p 0.9, resolves after 3 calm ticks: a tick of high p is an alert.
    let alert = AlertPolicy(fireProbability: 0.8, resolveProbability: 0.2, fireAfter: 2, resolveAfter: 3,
                            horizonSeconds: 30, fireAtOnceProbability: 0.9)

    func referee(recordTicks: Int = 10_000, checkEvery: Int = 100, margin: Int = 2) -> WeightsReferee {
        var policy = WeightsReferee.Policy()
        policy.recordTicks = recordTicks
        policy.checkEvery = checkEvery
        policy.margin = margin
        return WeightsReferee(alert: alert, horizon: 3, policy: policy)
    }

    /// An overload of 5 ticks every 50 ticks, from tick 40 of each 50.
    static func overload(_ tick: Int) -> Bool { (40..<45).contains(tick % 50) }
    /// p of weights that see each overload coming: 0.95 for the 3 ticks before it and during it.
    static func foresight(_ tick: Int) -> Double { (37..<45).contains(tick % 50) ? 0.95 : 0.05 }

    /// Feeds ticks `range` and returns the verdicts, with the tick of each.
    func run(_ referee: inout WeightsReferee, _ range: Range<Int>, trained: (Int) -> Double, learned: (Int) -> Double,
             label: (Int) -> Bool = overload) -> [(tick: Int, verdict: WeightsReferee.Verdict)] {
        range.compactMap { tick in
            referee.observe(timestamp: Double(tick) * 10, trained: trained(tick), learned: learned(tick), label: label(tick),
                            holding: false).map { (tick, $0) }
        }
    }

    @Test func weightsThatAlertAlikeLeaveTheTrainedOnesServing() {
        var referee = referee()
        let verdicts = run(&referee, 0..<5000, trained: Self.foresight, learned: Self.foresight)
        #expect(verdicts.isEmpty && referee.serving == .trained)
    }

    @Test func learnedWeightsThatWarnServeOnceTheyLeadByTheMargin() throws {
        var referee = referee()
        // The trained weights see nothing coming (the rule alone alerts); the learned ones
        // warn 3 ticks ahead of each overload.
        let verdicts = run(&referee, 0..<1000, trained: { _ in 0.05 }, learned: Self.foresight)
        let first = try #require(verdicts.first)
        #expect(verdicts.count == 1 && first.verdict.serving == .learned && referee.serving == .learned)
        #expect(first.tick == 99, "the first check, at tick 100, already sees two warned overloads")
        #expect(first.verdict.learned.warned == 2 && first.verdict.trained.warned == 0)
        #expect(first.verdict.learned.falseAlarms == 0)
    }

    @Test func aLeadSmallerThanTheMarginIsNotEnough() {
        var referee = referee(margin: 3)
        // Two overloads in the first 100 ticks, then none: the learned weights lead by 2.
        let label: (Int) -> Bool = { $0 < 100 && Self.overload($0) }
        let verdicts = run(&referee, 0..<1000, trained: { _ in 0.05 }, learned: { $0 < 100 ? Self.foresight($0) : 0.05 },
                           label: label)
        #expect(verdicts.isEmpty && referee.serving == .trained)
    }

    @Test func falseAlarmsSendTheTrainedWeightsBackOnceTheOldWarningsLeaveTheRecord() throws {
        var referee = referee(recordTicks: 400)
        _ = run(&referee, 0..<400, trained: { _ in 0.05 }, learned: Self.foresight)
        #expect(referee.serving == .learned)
        // From tick 400 no overload comes, and the learned weights keep alerting at tick 20 of
        // every 50: false alarms. Once the warned overloads are older than the record's 400
        // ticks, the trained weights net more.
        let verdicts = run(&referee, 400..<1200, trained: { _ in 0.05 }, learned: { $0 % 50 == 20 ? 0.95 : 0.05 },
                           label: { _ in false })
        let back = try #require(verdicts.first)
        #expect(verdicts.count == 1 && back.verdict.serving == .trained && referee.serving == .trained)
        #expect(back.verdict.learned.falseAlarms > 0 && back.verdict.trained.falseAlarms == 0)
        #expect(back.verdict.learned.warned - back.verdict.learned.falseAlarms < 0)
    }

    @Test func theRecordHoldsOnlyItsLastTicks() {
        var referee = referee(recordTicks: 200)
        _ = run(&referee, 0..<1000, trained: { _ in 0.05 }, learned: Self.foresight)
        let (trained, learned) = referee.scores()
        #expect(trained.episodes == 4 && learned.episodes == 4, "200 ticks hold 4 overloads of the 20")
        #expect(abs(learned.days - 2000.0 / 86400) < 1e-9)
    }
}
