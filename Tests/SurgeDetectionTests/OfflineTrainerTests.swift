import Testing
import SurgeConfig
import SurgeSampling
@testable import SurgeDetection

/// Which epoch `train` keeps. A validation loss over normal windows alone is lowest for the
/// epoch that predicts overload least, so it must not rank epochs then.
@Suite struct OfflineTrainerTests {
    static var config: SurgeConfig {
        var config = SurgeConfig()
        config.window.ticks = 8
        config.model.features = ["cpu_busy"]
        config.model.horizonTicks = 1
        config.model.hidden = 8
        config.model.layers = 1
        config.overload.any = [OverloadCondition(metric: "cpu_busy", comparison: .greater, threshold: 0.6)]
        config.overload.forTicks = 1
        return config
    }

    /// CPU at 0.2 with a burst to 0.9 every 50 ticks, up to tick `burstsUntil`.
    static func trace(ticks: Int, burstsUntil: Int) -> Trace {
        var trace = Trace(schema: MetricSchema(["cpu_busy"]))
        for tick in 0..<ticks {
            let burst = tick < burstsUntil && tick % 50 >= 40
            trace.append(timestamp: Double(tick) * 10, row: [burst ? 0.9 : 0.2 + 0.01 * Double(tick % 7)])
        }
        return trace
    }

    static func train(_ trace: Trace, selection: OfflineTrainer.Selection = .episodes)
        -> (OfflineTrainer.Result, [OfflineTrainer.EpochReport]) {
        var options = OfflineTrainer.Options()
        options.epochs = 4
        options.seed = 5
        options.selection = selection
        var reports: [OfflineTrainer.EpochReport] = []
        let result = OfflineTrainer(config: config, options: options).train([trace]) { reports.append($0) }
        return (result, reports)
    }

    @Test func validationWithoutOverloadKeepsTheLastEpoch() {
        // 2,000 ticks: the last 20 % (validation) hold no burst.
        let (result, reports) = Self.train(Self.trace(ticks: 2000, burstsUntil: 1500))
        #expect(reports.count == 4)
        #expect(reports.allSatisfy { $0.validationLoss != nil }, "validation loss is still reported")
        guard case .lastEpoch(4, let reason) = result.choice else {
            Issue.record("kept \(result.choice)")
            return
        }
        #expect(reason.contains("no overload"))
    }

    /// An episode at the very start of the validation part is scored (the rule held there)
    /// but no validation window has it ahead: the reason says so rather than "no overload"
    /// beside "1 episode".
    @Test func anEpisodeBeforeTheFirstValidationWindowIsNamedInTheReason() {
        // Bursts every 50 ticks up to tick 1500, and one at ticks 1601-1603: inside the
        // validation part (ticks 1600 on), before its first complete window of 8.
        let bursts = Self.trace(ticks: 2000, burstsUntil: 1500)
        var trace = Trace(schema: bursts.schema)
        for tick in 0..<bursts.count {
            trace.append(timestamp: bursts.timestamps[tick], row: [(1601...1603).contains(tick) ? 0.9 : bursts.values[tick]])
        }
        let (result, _) = Self.train(trace)
        #expect(result.validationEpisodes == [1])
        guard case .lastEpoch(4, let reason) = result.choice else {
            Issue.record("kept \(result.choice)")
            return
        }
        #expect(reason == "no validation window has overload ahead of it within the horizon (the validation parts' 1 overload episode "
                + "has no complete window before it: too early in its part, or values missing), so their loss cannot rank the epochs", "\(reason)")
    }

    @Test func validationWithBothClassesKeepsTheLowestLossWhenAskedTo() throws {
        let (result, reports) = Self.train(Self.trace(ticks: 2000, burstsUntil: 2000), selection: .loss)
        let losses = reports.compactMap(\.validationLoss)
        #expect(losses.count == 4)
        let lowest = try #require(losses.indices.min { losses[$0] < losses[$1] })
        #expect(result.choice == .lowestValidationLoss(epoch: lowest + 1))
    }

    @Test func validationWithEpisodesKeepsTheMostEarlyWarningsLessFalseAlarms() throws {
        let (result, reports) = Self.train(Self.trace(ticks: 2000, burstsUntil: 2000))
        let scores = try reports.map { try #require($0.validation) }
        #expect(scores.allSatisfy { $0.episodes == 8 }, "eight bursts in the last 400 ticks")
        let merits = scores.map { $0.caughtEarly - $0.falseAlarms }
        let losses = reports.map { $0.validationLoss! }
        let best = try #require(merits.indices.max { merits[$0] != merits[$1] ? merits[$0] < merits[$1] : losses[$0] > losses[$1] })
        #expect(result.choice == .bestValidationEpisodes(epoch: best + 1), "merits \(merits), losses \(losses)")
    }

    @Test func theRankingPrefersEarlyWarningsToALowerLoss() {
        func score(early: Int, falseAlarms: Int) -> EpisodeScore {
            var score = EpisodeScore()
            score.episodes = 10
            score.caughtEarly = early
            score.falseAlarms = falseAlarms
            return score
        }
        let epochs: [(loss: Float, score: EpisodeScore)] = [
            (0.30, score(early: 6, falseAlarms: 1)),   // merit 5
            (0.10, score(early: 4, falseAlarms: 0)),   // merit 4, lowest loss
            (0.20, score(early: 7, falseAlarms: 2)),   // merit 5, lower loss than epoch 1
            (0.15, score(early: 9, falseAlarms: 6)),   // merit 3
        ]
        var byEpisodes = OfflineTrainer.EpochRanking(selection: .episodes)
        var byLoss = OfflineTrainer.EpochRanking(selection: .loss)
        for (index, epoch) in epochs.enumerated() {
            _ = byEpisodes.offer(epoch: index + 1, loss: epoch.loss, score: epoch.score)
            _ = byLoss.offer(epoch: index + 1, loss: epoch.loss, score: epoch.score)
        }
        #expect(byEpisodes.best?.epoch == 3, "merit 5 twice: the lower loss")
        #expect(byEpisodes.byEpisodes)
        #expect(byLoss.best?.epoch == 2)
        #expect(!byLoss.byEpisodes)
        var noEpisodes = OfflineTrainer.EpochRanking(selection: .episodes)
        _ = noEpisodes.offer(epoch: 1, loss: 0.2, score: EpisodeScore())
        _ = noEpisodes.offer(epoch: 2, loss: 0.1, score: EpisodeScore())
        #expect(noEpisodes.best?.epoch == 2 && !noEpisodes.byEpisodes, "no validation episodes: the loss decides")
    }

    /// The epochs are ranked with alerts resolving at 0.5 at least, whatever band the daemon
    /// resolves at, so the config's operating band does not choose the model.
    @Test func theRankingResolvesAtItsOwnBand() {
        func rankingResolve(fire: Double = 0.8, resolve: Double, floor: Double? = nil) -> Double {
            var config = Self.config
            config.alert.fireProbability = fire
            config.alert.resolveProbability = resolve
            var options = OfflineTrainer.Options()
            if let floor { options.rankingResolveProbability = floor }
            let ranking = OfflineTrainer(config: config, options: options).rankingConfig
            #expect(!ranking.learning.online, "validation replays do not learn")
            #expect(ranking.alert.fireProbability == fire && ranking.alert.fireAfter == config.alert.fireAfter)
            return ranking.alert.resolveProbability
        }
        #expect(rankingResolve(resolve: 0.2) == 0.5, "a wide band is narrowed for the ranking")
        #expect(rankingResolve(resolve: 0.6) == 0.6, "a narrower band is the config's own")
        #expect(rankingResolve(fire: 0.5, resolve: 0.3) == 0.3, "never at or above the fire threshold")
        #expect(rankingResolve(resolve: 0.2, floor: 0.1) == 0.2)
        #expect(rankingResolve(resolve: 0.2, floor: 0.3) == 0.3)
    }

    /// Thinning keeps every overload window, every normal window within `near` ticks of one,
    /// and every k-th of the rest.
    @Test func thinningKeepsTheNearMisses() {
        var data = OfflineTrainer.Dataset()
        for tick in 0..<1000 {
            data.windows += [Float](repeating: Float(tick), count: 8)  // window 8 × 1 feature
            data.labels.append(tick == 500 ? 1 : 0)
            data.ticks.append(tick)
        }
        let trainer = OfflineTrainer(config: Self.config, options: OfflineTrainer.Options())
        let plain = trainer.thinned(data, limit: 100)
        #expect(plain.labels.filter { $0 == 1 }.count == 1)
        #expect(plain.count == 100, "every 10th of the 999 normal windows (99), and the overload one")
        let near = trainer.thinned(data, limit: 100, near: 20)
        let kept = Set(near.ticks)
        #expect((480...520).allSatisfy(kept.contains), "the 40 near misses and the overload window")
        #expect(near.count == 41 + 959 / 10)
        #expect(near.windows.count == near.count * 8 && near.windows[8 * near.ticks.firstIndex(of: 490)!] == 490,
                "windows stay with their labels")
    }

    /// `maximumNormalWindows` bounds the normal windows an epoch sees; overload windows are all
    /// kept, and the result says how many of each there were.
    @Test func theNormalWindowLimitBoundsAnEpoch() {
        var options = OfflineTrainer.Options()
        options.epochs = 1
        options.validationFraction = 0
        let trace = Self.trace(ticks: 1000, burstsUntil: 1000)
        var counts: [Int: (Int, Int, Int)] = [:]
        for limit in [50, 100_000] {
            options.maximumNormalWindows = limit
            let result = OfflineTrainer(config: Self.config, options: options).train([trace]) { _ in }
            counts[limit] = (result.trainingWindows, result.overloadWindows, result.normalWindowsBeforeThinning)
        }
        let (few, overload, normalBefore) = counts[50]!, (all, sameOverload, sameNormalBefore) = counts[100_000]!
        #expect(overload == sameOverload && overload > 150, "all overload windows in both")
        #expect(few - overload <= 50 && few - overload >= 45, "normal windows thinned to at most 50: \(few - overload)")
        #expect(all - overload > 700, "and not thinned under a high limit: \(all - overload)")
        #expect(normalBefore == all - overload && sameNormalBefore == all - overload,
                "the result counts the normal windows before thinning, thinned or not: \(normalBefore), \(sameNormalBefore)")
    }

    @Test func noValidationKeepsTheLastEpoch() {
        var options = OfflineTrainer.Options()
        options.epochs = 2
        options.validationFraction = 0
        let result = OfflineTrainer(config: Self.config, options: options).train([Self.trace(ticks: 600, burstsUntil: 600)]) { _ in }
        #expect(result.choice == .lastEpoch(epoch: 2, reason: "no validation windows"))
    }

    /// Each trace's validation part is counted on its own, so `train` can say which one the
    /// ranking barely sees (the built-in recipe's flash-sale trace held 2 episodes there).
    @Test func eachTracesValidationEpisodesAreCountedAndAThinOneIsNamed() {
        var options = OfflineTrainer.Options()
        options.epochs = 1
        // Bursts every 50 ticks: 8 in the last 400 ticks of the first trace; the second
        // trace's last 120 ticks hold its bursts from tick 480 on, so 1 (ticks 490-499).
        let traces = [Self.trace(ticks: 2000, burstsUntil: 2000), Self.trace(ticks: 600, burstsUntil: 500)]
        let result = OfflineTrainer(config: Self.config, options: options).train(traces) { _ in }
        #expect(result.validationEpisodes == [8, 1])
        let lines = result.validationLines(names: ["busy.csv", "calm.csv"])
        #expect(lines == [
            "overload episodes in the validation parts: 8 in busy.csv, 1 in calm.csv",
            "note: the validation part of calm.csv holds only 1 overload episode: the epochs are ranked mostly on the other traces; a longer trace or a larger --validation gives it more",
        ])

        var alone = result
        alone.validationEpisodes = [0]
        #expect(alone.validationLines(names: ["quiet.csv"]).last
            == "note: the validation part of quiet.csv holds no overload episodes: too few to rank the epochs on; a longer trace or a larger --validation gives it more")
        alone.validationEpisodes = [2, 3]
        #expect(alone.validationLines(names: ["a.csv", "b.csv"]).dropFirst().allSatisfy { $0.contains("too few to rank the epochs on") },
                "when every part is thin, none is said to rest on the others")
        alone.validationEpisodes = [nil]
        #expect(alone.validationLines(names: ["short.csv"]).isEmpty, "no validation part, nothing to say")
    }
}
