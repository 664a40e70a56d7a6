import Testing
import SurgeConfig
@testable import SurgeDetection

/// `[alert] settle_probability` / `settle_after`: a long alert whose p hovers in the band after
/// its hot spell resolves after a calm stretch, where the band alone would hold it open.
@Suite struct SettlingAlertTests {
    let settling = AlertPolicy(fireProbability: 0.75, resolveProbability: 0.2, fireAfter: 2, resolveAfter: 3, horizonSeconds: 30,
                               fireAtOnceProbability: 0.96, settleProbability: 0.4, settleAfter: 5)

    /// Feeds (p, rule) ticks; returns the ticks (0-based) of each event, as "fired 1", "resolved 8".
    func events(_ policy: AlertPolicy, _ ticks: [(Double?, Bool?)], holding: Set<Int> = []) -> [String] {
        let clock = TraceClock(unixSeconds: 0)
        var machine = AlertStateMachine(policy: policy, clock: clock, makeID: { "a" })
        var out: [String] = []
        for (index, tick) in ticks.enumerated() {
            clock.set(unixSeconds: Double(index) * 10)
            for event in machine.observe(AlertObservation(probability: tick.0, ruleHolds: tick.1, holding: holding.contains(index))) {
                out.append("\(event.event.rawValue) \(index)")
            }
        }
        return out
    }

    static let hot: [(Double?, Bool?)] = [(0.8, false), (0.8, false)]

    @Test func settlesAfterSettleAfterTicksBelowTheLevel() {
        let hovering = Self.hot + Array(repeating: (0.3, false), count: 6)
        #expect(events(settling, hovering) == ["fired 1", "resolved 6"], "the fifth tick below 0.4 settles it")
        var off = settling
        off.settleProbability = 0
        #expect(events(off, Self.hot + Array(repeating: (0.3, false), count: 200)) == ["fired 1"],
                "without it the band holds the alert open however long p hovers")
    }

    @Test func aTickAtOrAboveTheLevelStartsTheStretchAgain() {
        let ticks = Self.hot + [(0.3, false), (0.3, false), (0.3, false), (0.3, false), (0.4, false)]
            + Array(repeating: (0.35, false), count: 5)
        #expect(events(settling, ticks) == ["fired 1", "resolved 11"])
    }

    @Test func neitherTheRuleNorAHoldLetsItSettle() {
        // The rule holding escalates the alert and restarts the stretch; so does a hold's tick.
        let breach = Self.hot + [(0.3, false), (0.3, false), (0.3, true)] + Array(repeating: (0.3, false), count: 5)
        #expect(events(settling, breach) == ["fired 1", "fired 4", "resolved 9"])
        let held = Self.hot + Array(repeating: (0.3, false), count: 8)
        #expect(events(settling, held, holding: [4]) == ["fired 1", "resolved 9"])
    }

    @Test func theResolveBandStillResolvesFirst() {
        #expect(events(settling, Self.hot + [(0.1, false), (0.1, false), (0.1, false)]) == ["fired 1", "resolved 4"])
    }

    @Test func theFastPathAgreesAndTheRankingLeavesItOut() {
        // The grid's fast path (idle ticks skipped) against every tick, on a hovering series.
        var probabilities: [Double?] = [], labels: [Bool?] = []
        for spell in 0..<40 {
            probabilities += [0.9, 0.9] + Array(repeating: 0.25 + Double(spell % 5) * 0.05, count: 3 + spell % 9) + [0.05, 0.05]
            labels += Array(repeating: false, count: 2 + 3 + spell % 9 + 2)
            labels[labels.count - 3] = spell % 7 == 0
        }
        var machine = AlertStateMachine(policy: settling, clock: TraceClock(), makeID: { "" })
        let everyTick = probabilities.indices.map { index -> Bool in
            _ = machine.observe(AlertObservation(probability: probabilities[index], ruleHolds: labels[index]))
            return machine.open != nil
        }
        #expect(alertSeries(probabilities: probabilities, labels: labels, policy: settling) == everyTick)
        var unsettled = settling
        unsettled.settleProbability = 0
        #expect(alertSeries(probabilities: probabilities, labels: labels, policy: unsettled) != everyTick, "the settle changed something")

        var config = SurgeConfig()
        config.alert.settleProbability = 0.4
        #expect(AlertPolicy(config.alert).settleProbability == 0.4)
        #expect(PolicyGrid.candidates(config).allSatisfy { 
            $0.policy.settleProbability == 0.4 || $0.policy.resolveProbability >= 0.4 || $0.policy.fireProbability <= 0.4 },
                "each grid line keeps the config's settle, as a line copied into [alert] would")
        #expect(PolicyGrid.candidates(config).allSatisfy { $0.policy.settleProbability > 0 || $0.text.hasSuffix(", settle_probability = 0") },
                "where it does not fit the line's band, the line turns it off in words [alert] accepts")
        #expect(OfflineTrainer(config: config, options: .init()).rankingConfig.alert.settleProbability == 0,
                "a recipe's kept epoch does not move with the daemon's settle")
    }
}
