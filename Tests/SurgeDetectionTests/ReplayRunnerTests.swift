#if canImport(Glibc)
import Glibc
#endif
import Testing
import SurgeConfig
import SurgeModel
import SurgeSampling
@testable import SurgeDetection

/// Replay with two threads must give the single-threaded replay's output bit for bit: with
/// learning off it predicts the trace's later part on a second thread (gaps and all), with
/// learning on it runs each mini-batch's halves side by side, as the daemon runs them in turn.
@Suite struct ReplayRunnerTests {
    let schema = MetricSchema(["a", "b", "c", "y"])

    func config() -> SurgeConfig {
        var config = SurgeConfig()
        config.model.features = ["a", "b", "c"]
        config.model.hidden = 8
        config.model.horizonTicks = 2
        config.window.ticks = 12
        config.overload.any = [try! OverloadCondition.parse("y > 0.5").get()]
        config.overload.all = []
        config.learning.online = false
        config.alert.fireProbability = 0.52
        config.alert.resolveProbability = 0.5
        return config
    }

    /// The second thread's stretch of rows in these tests: a 2,000-tick trace has eight.
    static let chunkRows = 256

    /// Waves with gaps of 1 to 6 ticks in every feature, several of them around a row where one
    /// of the second thread's stretches starts (or, in a short trace, 35 % of the way), so
    /// carried and imputed rows cross it; one starts where that row's window does, whose
    /// carried values come from before it.
    func trace(ticks: Int) -> Trace {
        var trace = Trace(schema: schema)
        var generator = SeededGenerator(seed: 9)
        let split = ticks > 3 * Self.chunkRows ? 3 * Self.chunkRows : Int(Double(ticks) * 0.35)
        for tick in 0..<ticks {
            var row = (0..<3).map { feature in 50 + 40 * sin(Double(tick + 7 * feature) / 15) + Double(generator.nextUnitFloat()) }
            for feature in 0..<3 {
                let gapStart = [split - 8, split - (config().window.ticks - 1), split + 1][feature]
                if (gapStart..<(gapStart + 2 + 2 * feature)).contains(tick) || generator.nextUnitFloat() < 0.03 { row[feature] = .nan }
            }
            row.append(tick % 97 > 90 ? 1 : 0)
            trace.append(timestamp: 1_700_000_000 + Double(tick) * 10, row: row)
        }
        return trace
    }

    func replay(_ trace: Trace, parallel: Bool, learning: Bool = false, referee: WeightsReferee.Policy? = nil, rate: Double? = nil,
                chunkRows: Int = Self.chunkRows, relative: Bool = false) throws -> ReplayResult {
        var config = config()
        config.learning.online = learning
        config.learning.minimumWindowsPerClass = 8
        config.learning.stepEveryTicks = 2
        config.learning.rate = rate
        var settings = DetectionPipeline<TraceClock>.Settings(config: config, tickSeconds: 10, untrained: false)
        settings.referee = referee
        var model = ModelCatalog.fresh(config)
        // Two features read against the host's level, which remembers every tick before.
        if relative { for index in 0..<2 { model.features[index].transform = .log1pRelative } }
        return try ReplayRunner.run(trace: trace, settings: settings, model: model, seed: 3, parallel: parallel,
                                    aheadChunkRows: chunkRows)
    }

    /// A model that reads counts against the host's level: each of the second thread's
    /// stretches starts from the levels the pipeline has there, not afresh.
    @Test(arguments: [(2_000, Self.chunkRows), (40, 16), (5, 2)])
    func predictingAheadChangesNothingWithHostLevels(ticks: Int, chunkRows: Int) throws {
        let trace = trace(ticks: ticks)
        let one = try replay(trace, parallel: false, chunkRows: chunkRows, relative: true)
        let two = try replay(trace, parallel: true, chunkRows: chunkRows, relative: true)
        #expect(one.probabilities == two.probabilities)
        #expect(one.alerting == two.alerting)
        #expect(one.events == two.events)
        if ticks == 2_000 {
            #expect(two.rowsPredictedAhead > 0, "the second thread's predictions were taken")
            let absolute = try replay(trace, parallel: false, chunkRows: chunkRows)
            #expect(absolute.probabilities != one.probabilities, "the levels change what the model reads")
        }
    }

    @Test(arguments: [(2_000, Self.chunkRows), (2_000, PredictionsAhead.chunkRows), (40, 16), (40, Self.chunkRows), (20, Self.chunkRows), (5, 2)])
    func predictingAheadChangesNothing(ticks: Int, chunkRows: Int) throws {
        let trace = trace(ticks: ticks)
        let one = try replay(trace, parallel: false), two = try replay(trace, parallel: true, chunkRows: chunkRows)
        #expect(one.probabilities.count == ticks && two.probabilities.count == ticks)
        for row in 0..<ticks where one.probabilities[row] != two.probabilities[row] {
            Issue.record("row \(row): one thread \(String(describing: one.probabilities[row])), two \(String(describing: two.probabilities[row]))")
            break
        }
        #expect(one.alerting == two.alerting)
        #expect(one.labels == two.labels)
        #expect(one.events == two.events)
        if ticks == 2_000 {
            // The thread starts on the last stretch at once, long before the pipeline gets there.
            #expect(two.rowsPredictedAhead > 0, "the second thread's predictions were taken")
            #expect(one.rowsPredictedAhead == 0)
            #expect(one.probabilities.compactMap { $0 }.count > 1_900, "the windows fill despite the gaps")
            #expect(one.events.count >= 4, "alerts fire and resolve, so the comparison covers them")
            #expect(Set(one.probabilities.compactMap { $0 }).count > 100, "the fresh model's predictions vary")
        }
    }

    @Test func learningWithTheHalvesSideBySideChangesNothing() throws {
        let trace = trace(ticks: 1_500)
        let one = try replay(trace, parallel: false, learning: true), two = try replay(trace, parallel: true, learning: true)
        #expect(one.learningSteps > 200, "learning ran through most of the trace")
        #expect(one.learningSteps == two.learningSteps)
        #expect(one.model.parameters.values.map(\.bitPattern) == two.model.parameters.values.map(\.bitPattern))
        #expect(one.probabilities == two.probabilities)
        #expect(one.alerting == two.alerting)
        #expect(one.events == two.events)
        let fresh = ModelCatalog.fresh(config())
        #expect(one.model.parameters != fresh.parameters, "the weights learned")
    }

    /// A model trained offline that learns online predicts with its trained weights, exactly as
    /// with learning off, until its learned weights do better on the record; from then on with
    /// the learned weights, exactly as when they always serve (learning does not depend on
    /// which weights serve).
    @Test func theRefereeServesTrainedWeightsUntilTheLearnedOnesNetMore() throws {
        // Feature a rises 4 ticks before each overload (y), which the untrained weights,
        // standing in for a model trained elsewhere, do not know and online learning finds.
        var trace = Trace(schema: schema)
        var generator = SeededGenerator(seed: 5)
        for tick in 0..<3_000 {
            let phase = tick % 50
            let noise = (0..<3).map { _ in Double(generator.nextUnitFloat()) * 5 }
            trace.append(timestamp: 1_700_000_000 + Double(tick) * 10,
                         row: [((36..<45).contains(phase) ? 80 : 20) + noise[0], 50 + noise[1], 50 + noise[2], (40..<45).contains(phase) ? 1 : 0])
        }
        var policy = WeightsReferee.Policy()
        policy.checkEvery = 100
        policy.margin = 1
        let off = try replay(trace, parallel: false)
        let refereed = try replay(trace, parallel: false, learning: true, referee: policy, rate: 3e-3)
        let learnedAlways = try replay(trace, parallel: false, learning: true, rate: 3e-3)
        let change = try #require(refereed.servingChanges.first, "the learned weights come to serve on this trace")
        #expect(change.verdict.serving == .learned && refereed.servingAtEnd != nil)
        #expect(change.verdict.learned.warned - change.verdict.learned.falseAlarms
                >= change.verdict.trained.warned - change.verdict.trained.falseAlarms + 1)
        #expect(Array(refereed.probabilities[...change.row]) == Array(off.probabilities[...change.row]),
                "the trained weights serve up to the change")
        let next = refereed.servingChanges.dropFirst().first?.row ?? trace.count - 1
        #expect(Array(refereed.probabilities[(change.row + 1)...next]) == Array(learnedAlways.probabilities[(change.row + 1)...next]),
                "the learned weights serve after it")
        #expect(refereed.model.parameters == learnedAlways.model.parameters, "learning went on the same whichever served")
        #expect(off.probabilities != learnedAlways.probabilities, "learning changed p, so the comparisons can tell")
    }
}
