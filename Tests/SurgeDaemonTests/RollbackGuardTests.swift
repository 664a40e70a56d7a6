import Foundation
import InMemoryLogging
import Logging
import SurgeConfig
import SurgeDetection
import SurgeModel
import SurgeSampling
import SurgeStore
import Testing
@testable import SurgeDaemon

/// Online learning's guard in the daemon's own stage, with the policy the config gives it:
/// steps that make the held-out loss worse by the margin are rolled back, each said once, and
/// the next tick predicts with the last good weights. (OnlineLearningTests covers the guard
/// itself, on a poisoned stream.)
@Suite struct RollbackGuardTests {
    let schema = MetricSchema(["x", "y"])

    /// CheckpointTests' small model over x with the rule `y > 0.5`; a fresh model, learning
    /// every tick at `rate`.
    func config(rate: Double?) -> SurgeConfig {
        var config = CheckpointTests().config
        config.learning.stepEveryTicks = 1
        config.learning.rate = rate
        return config
    }

    struct Run {
        var learner: OnlineLearner
        /// The warnings the stage logged for rollbacks.
        var said: [String]
        /// Each rollback's tick: the weights that predicted on it and the good ones just before.
        var rollbacks: [(serving: LSTMParameters, good: LSTMParameters)]
    }

    /// 1,500 ticks 10 s apart, x climbing over 20 ticks and falling back, y saying overload as
    /// it tops its climb; each learning step done before the next tick, which collects it and
    /// logs what the guard decided, as in the daemon when a step takes less than a tick.
    func run(rate: Double?) throws -> Run {
        let directory = NSTemporaryDirectory() + "surgewatch-rollback-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let handler = InMemoryLogHandler()
        let config = config(rate: rate)
        let stage = try DetectionStage(config: config, schema: schema,
                                       source: ModelSource(model: ModelCatalog.fresh(config), origin: "a fresh model", untrained: true),
                                       store: try SurgeStore(path: directory + "/surgewatch.db"), alerts: AlertFanOut([]), history: nil,
                                       logger: Logger(label: "test") { _ in handler })
        let learner = try #require(stage.pipeline.learner)
        var rollbacks: [(LSTMParameters, LSTMParameters)] = []
        for tick in 1...1500 {
            let phase = tick % 20, before = learner.rollbacks, good = learner.lastGood
            _ = stage.ingest(Sample(timestamp: Double(tick) * 10, tick: tick, schema: schema,
                                    values: [Double(phase) / 10, (17..<20).contains(phase) ? 1 : 0]))
            if learner.rollbacks > before { rollbacks.append((stage.pipeline.model.parameters, good)) }
            learner.waitForRunningStep()
        }
        let said = handler.entries.filter { $0.level == .warning && $0.message.description.hasPrefix("online learning rolled back: ") }
        return Run(learner: learner, said: said.map(\.message.description), rollbacks: rollbacks)
    }

    @Test func aRateTooHighIsRolledBackToTheLastGoodWeightsAndSaid() throws {
        // The fresh model's own rate: learning improves the held-out loss, nothing is rolled back.
        let steady = try run(rate: nil)
        #expect(steady.learner.policy.learningRate == 1e-3 && steady.learner.policy.guardEvery == 25)
        #expect(steady.learner.steps > 800 && steady.learner.rollbacks == 0 && steady.said.isEmpty,
                "\(steady.learner.steps) steps, \(steady.learner.rollbacks) rollbacks: \(steady.said)")
        // Twenty times that (`[learning] rate = 0.02`): some runs of 25 steps overshoot.
        let hasty = try run(rate: 0.02)
        #expect(!hasty.rollbacks.isEmpty && hasty.learner.rollbacks == hasty.rollbacks.count)
        #expect(hasty.said.count == hasty.rollbacks.count, "each rollback said once: \(hasty.said)")
        #expect(hasty.said.allSatisfy { $0.contains("loss on held-out windows ") && $0.hasSuffix(" for the last good weights") }, "\(hasty.said)")
        // (Compared outside #expect, which would print every weight of both.)
        let restored = hasty.rollbacks.filter { $0.serving == $0.good }.count
        #expect(restored == hasty.rollbacks.count, "the tick after each rollback predicts with the last good weights")
        #expect(hasty.learner.steps > 800, "learning went on after each rollback (\(hasty.learner.steps) steps)")
    }
}
