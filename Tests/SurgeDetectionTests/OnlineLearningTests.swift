import Testing
import SurgeConfig
import SurgeModel
import SurgeSampling
@testable import SurgeDetection

@Suite struct OnlineLearningTests {
    static let shape = LSTMShape(features: 1, hidden: 8, layers: 1)

    /// Class 1: a rising window; class 0: a falling one (T = 4, F = 1).
    static func window(_ label: Int, _ jitter: Float) -> [Float] {
        label == 1 ? [-1 + jitter, 0, 1, 2 - jitter] : [2 - jitter, 1, 0, -1 + jitter]
    }

    /// Fast learning on small rings, so that a short burst of wrong labels can move the weights.
    static var burstPolicy: LearningPolicy {
        var policy = LearningPolicy()
        policy.stepEvery = 1
        policy.learningRate = 0.03
        policy.capacityPerClass = 16
        policy.normalThinning = 1
        policy.minimumPerClass = 8
        policy.guardEvery = 10
        return policy
    }

    func p(_ model: LSTMClassifier, _ window: [Float]) -> Float {
        let ws = LSTMWorkspace(shape: Self.shape, batch: 1, steps: 4)
        model.forward(window, workspace: ws)
        return ws.probabilities[1]
    }

    @Test func rollsBackWhenAPoisonedStreamMakesTheHeldOutLossWorse() {
        let policy = Self.burstPolicy
        let learner = OnlineLearner(model: LSTMClassifier(parameters: .initialized(Self.shape, seed: 3)), windowTicks: 4, policy: policy)
        for tick in 0..<400 {
            let label = tick % 2
            Self.window(label, Float(tick % 7) * 0.05).withUnsafeBufferPointer { learner.offer($0, label: label) }
            _ = learner.tick()
        }
        #expect(learner.rollbacks == 0, "clean data does not trigger the guard")
        #expect(p(learner.model, Self.window(1, 0)) > 0.9 && p(learner.model, Self.window(0, 0)) < 0.1)
        // A burst of inverted labels (a rule misfiring during a deploy).
        var events: [OnlineLearner.Event] = []
        for tick in 0..<60 {
            let label = tick % 2
            Self.window(1 - label, 0).withUnsafeBufferPointer { learner.offer($0, label: label) }
            if let event = learner.tick() { events.append(event) }
        }
        #expect(learner.rollbacks >= 1, "guard events: \(events)")
        #expect(learner.model.parameters == learner.lastGood || learner.steps % policy.guardEvery != 0)
        #expect(p(LSTMClassifier(parameters: learner.lastGood), Self.window(1, 0)) > 0.5, "the good weights still know the pattern")
    }

    @Test func withoutTheGuardTheSameBurstUnlearnsThePattern() {
        var policy = Self.burstPolicy
        policy.rollbackMargin = 1000
        let learner = OnlineLearner(model: LSTMClassifier(parameters: .initialized(Self.shape, seed: 3)), windowTicks: 4, policy: policy)
        for tick in 0..<460 {
            let label = tick % 2
            let shown = tick < 400 ? label : 1 - label
            Self.window(shown, tick < 400 ? Float(tick % 7) * 0.05 : 0).withUnsafeBufferPointer { learner.offer($0, label: label) }
            _ = learner.tick()
        }
        #expect(learner.rollbacks == 0)
        #expect(p(learner.model, Self.window(1, 0)) < 0.5, "the poison wins when nothing guards against it")
    }

    /// A batch whose loss or gradient is not finite leaves the weights as they were: the step
    /// is skipped, said as such, and not counted. (The pipeline never offers such a window, as
    /// a value that is not finite is missing before scaling; this is the step's own defence.)
    @Test func aStepWhoseLossIsNotFiniteIsSkippedWithTheWeightsUntouched() {
        var policy = Self.burstPolicy
        policy.capacityPerClass = 8
        policy.minimumPerClass = 8
        let initial = LSTMParameters.initialized(Self.shape, seed: 3)
        let learner = OnlineLearner(model: LSTMClassifier(parameters: initial), windowTicks: 4, policy: policy)
        var events: [OnlineLearner.Event] = []
        for tick in 0..<40 {
            var window = Self.window(tick % 2, 0)
            window[tick % 4] = tick % 3 == 0 ? .nan : .infinity
            window.withUnsafeBufferPointer { learner.offer($0, label: tick % 2) }
            if let event = learner.tick() { events.append(event) }
        }
        #expect(learner.finishedSteps > 10, "the steps ran")
        #expect(events.count == learner.finishedSteps && events.allSatisfy { $0 == .skippedNonFinite }, "\(events)")
        #expect(learner.steps == 0 && learner.lastLoss == nil)
        #expect(learner.model.parameters == initial && learner.lastGood == initial, "no weight moved")
    }

    @Test func learnsNothingBeforeBothClassesAreSeen() {
        var policy = LearningPolicy()
        policy.stepEvery = 1
        let initial = LSTMParameters.initialized(Self.shape, seed: 5)
        let learner = OnlineLearner(model: LSTMClassifier(parameters: initial), windowTicks: 4, policy: policy)
        for tick in 0..<100 {
            Self.window(0, Float(tick % 5) * 0.1).withUnsafeBufferPointer { learner.offer($0, label: 0) }
            #expect(learner.tick() == nil)
        }
        #expect(learner.steps == 0 && learner.model.parameters == initial,
                "normal windows alone would teach a pretrained model that overload never comes")
    }

    /// A trained model (built-in, a model file, a checkpoint) learns its output layer only; a
    /// fresh one every layer. Learned on the rising/falling windows, the first keeps its LSTM
    /// weights bit for bit and still comes to tell the two apart.
    @Test func aTrainedModelLearnsItsOutputLayerOnly() {
        #expect(LearningPolicy(SurgeConfig().learning, untrained: false).outputLayerOnly)
        #expect(!LearningPolicy(SurgeConfig().learning, untrained: true).outputLayerOnly)
        // `layers = "all"`: a trained model learns every layer too (a host it does not fit).
        var everyLayer = SurgeConfig().learning
        everyLayer.layers = .all
        #expect(!LearningPolicy(everyLayer, untrained: false).outputLayerOnly)
        #expect(!LearningPolicy(everyLayer, untrained: true).outputLayerOnly)
        let initial = LSTMParameters.initialized(Self.shape, seed: 3)
        let head = Self.shape.tensors.first { $0.role == .headWeight }!.offset
        for outputLayerOnly in [true, false] {
            var policy = Self.burstPolicy
            policy.outputLayerOnly = outputLayerOnly
            let learner = OnlineLearner(model: LSTMClassifier(parameters: initial), windowTicks: 4, policy: policy)
            for tick in 0..<400 {
                let label = tick % 2
                Self.window(label, Float(tick % 7) * 0.05).withUnsafeBufferPointer { learner.offer($0, label: label) }
                _ = learner.tick()
            }
            let learned = learner.model.parameters.values
            #expect(learner.steps > 100)
            #expect((learned[..<head] == initial.values[..<head]) == outputLayerOnly, "LSTM layers frozen: \(outputLayerOnly)")
            #expect(learned[head...] != initial.values[head...], "the output layer learns either way")
            #expect(p(learner.model, Self.window(1, 0)) > 0.5 && p(learner.model, Self.window(0, 0)) < 0.5)
        }
    }
}

@Suite struct PipelineLearningTests {
    let schema = MetricSchema(["x", "y"])

    func config(rule: String = "y > 0.5") -> SurgeConfig {
        var config = SurgeConfig()
        config.model.features = ["x"]
        config.model.hidden = 4
        config.model.layers = 1
        config.model.horizonTicks = 2
        config.window.ticks = 5
        config.overload.any = [try! OverloadCondition.parse(rule).get()]
        config.overload.all = []
        return config
    }

    func pipeline(_ config: SurgeConfig, untrained: Bool = false, execution: OnlineLearner.Execution = .inline) throws -> DetectionPipeline<TraceClock> {
        var learning = LearningPolicy()
        learning.stepEvery = 1
        learning.minimumPerClass = 1
        var settings = DetectionPipeline<TraceClock>.Settings(config: config, tickSeconds: 10, learning: learning, untrained: untrained)
        settings.learningExecution = execution
        return try DetectionPipeline(settings: settings, schema: schema, model: ModelCatalog.fresh(config), clock: TraceClock(), makeID: { "id" })
    }

    func sample(_ tick: Int, _ x: Double, _ y: Double) -> Sample {
        Sample(timestamp: Double(tick) * 10, tick: tick, schema: schema, values: [x, y])
    }

    @Test func learnsOnlyFromWindowsWhoseTargetIsKnown() throws {
        let config = config()
        let unknownLabels = try pipeline(config)
        let before = unknownLabels.model.parameters
        for tick in 1...200 { _ = unknownLabels.ingest(sample(tick, Double(tick % 10), .nan)) }
        #expect(unknownLabels.learner!.replay.added == [0, 0], "the rule's metric is missing: no labels, nothing to learn")
        #expect(unknownLabels.model.parameters == before)

        let imputed = try pipeline(config)
        for tick in 1...200 { _ = imputed.ingest(sample(tick, .nan, (10..<13).contains(tick % 20) ? 1 : 0)) }
        #expect(imputed.learner!.replay.added == [0, 0], "windows of invented inputs are not learned from")
        #expect(imputed.model.parameters == before)

        let known = try pipeline(config)
        var results: [DetectionPipeline<TraceClock>.TickResult] = []
        for tick in 1...200 { results.append(known.ingest(sample(tick, Double(tick % 20) / 10, (10..<13).contains(tick % 20) ? 1 : 0))) }
        #expect(known.learner!.replay.added[0] > 0 && known.learner!.replay.added[1] > 0)
        #expect(known.learner!.steps > 0 && known.model.parameters != before)
        #expect(results[3].probability == nil && results[4].probability != nil, "predictions start with the first full window")
        #expect(results[3].state == "warming_up")
    }

    /// A fresh model's probabilities are noise: not reported, and no alert waits on them, until
    /// online learning has passed the guard once; the SLO rule alone opens and closes alerts.
    @Test func anUntrainedModelSpeaksOnlyAfterTheGuardHasScoredIt() throws {
        var config = config()
        config.alert.resolveAfter = 1
        let fresh = try pipeline(config, untrained: true)
        let guardEvery = fresh.settings.learning.guardEvery
        var results: [DetectionPipeline<TraceClock>.TickResult] = []
        for tick in 1...200 {
            results.append(fresh.ingest(sample(tick, Double(tick % 20) / 10, (10..<13).contains(tick % 20) ? 1 : 0)))
            if fresh.learner!.steps < guardEvery { #expect(results.last!.probability == nil) }
        }
        #expect(fresh.learner!.steps >= guardEvery)
        #expect(results.last!.probability != nil, "after the guard's first score the model is heard")
        // Before the model speaks, breaches open and close on the rule alone.
        let early = results.prefix { $0.probability == nil }
        let opened = early.flatMap(\.events).filter { $0.kind == .breached && $0.event == .fired }.count
        let resolved = early.flatMap(\.events).filter { $0.event == .resolved }.count
        #expect(opened >= 2 && resolved >= opened - 1, "opened \(opened), resolved \(resolved)")

        var learningOff = config
        learningOff.learning.online = false
        let silent = try pipeline(learningOff, untrained: true)
        #expect((1...50).allSatisfy { silent.ingest(sample($0, 1, 0)).probability == nil }, "never trained, never trusted")
    }
}
