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

    /// Waves with gaps of 1 to 6 ticks in every feature, several of them around the row where
    /// the second thread takes over (35 % of the trace), so carried and imputed rows cross it;
    /// one starts where that row's window does, whose carried values come from before it.
    func trace(ticks: Int) -> Trace {
        var trace = Trace(schema: schema)
        var generator = SeededGenerator(seed: 9)
        let split = Int(Double(ticks) * (1 - PredictionsAhead.aheadShare))
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

    func replay(_ trace: Trace, parallel: Bool, learning: Bool = false) throws -> ReplayResult {
        var config = config()
        config.learning.online = learning
        config.learning.minimumWindowsPerClass = 8
        config.learning.stepEveryTicks = 2
        return try ReplayRunner.run(trace: trace, settings: .init(config: config, tickSeconds: 10, untrained: false), model: ModelCatalog.fresh(config),
                                    seed: 3, parallel: parallel)
    }

    @Test(arguments: [2_000, 40, 5])
    func predictingAheadChangesNothing(ticks: Int) throws {
        let trace = trace(ticks: ticks)
        let one = try replay(trace, parallel: false), two = try replay(trace, parallel: true)
        #expect(one.probabilities.count == ticks && two.probabilities.count == ticks)
        for row in 0..<ticks where one.probabilities[row] != two.probabilities[row] {
            Issue.record("row \(row): one thread \(String(describing: one.probabilities[row])), two \(String(describing: two.probabilities[row]))")
            break
        }
        #expect(one.alerting == two.alerting)
        #expect(one.labels == two.labels)
        #expect(one.events == two.events)
        if ticks == 2_000 {
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
}
