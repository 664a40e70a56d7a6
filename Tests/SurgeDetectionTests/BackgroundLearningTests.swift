import Dispatch
import Testing
import SurgeModel
import Synchronization
@testable import SurgeDetection

/// The daemon runs learning steps on a thread of their own (`OnlineLearner.Execution.background`).
@Suite struct BackgroundLearningTests {
    static let shape = OnlineLearningTests.shape

    /// A step held at its start, as a step of a large model or window would take seconds: the
    /// ticks go on with the weights they had, the steps that fall due wait for it, and its
    /// weights are taken once it is done. Were a tick to wait for the step, the hold would
    /// time out on the ticking thread and more than one step would run during the ticks.
    @Test func aRunningStepDelaysNoTick() {
        let initial = LSTMParameters.initialized(Self.shape, seed: 3)
        let learner = OnlineLearner(model: LSTMClassifier(parameters: initial), windowTicks: 4,
                                    policy: OnlineLearningTests.burstPolicy, execution: .background)
        let hold = StepHold()
        learner.engine.beforeEachStep = { hold.enter() }
        for tick in 0..<100 {
            let label = tick % 2
            OnlineLearningTests.window(label, Float(tick % 7) * 0.05).withUnsafeBufferPointer { learner.offer($0, label: label) }
            #expect(learner.collect() == nil)
            _ = learner.tick()
        }
        #expect(hold.entered <= 1, "one step started (its thread may not have reached the hold yet), and it is still held")
        #expect(!hold.timedOut)
        #expect(learner.steps == 0 && learner.model.parameters == initial, "the ticks predict with the weights they had")
        #expect(learner.ticksBehind > 50, "steps fell due while it ran: \(learner.ticksBehind)")

        hold.release()
        learner.finishRunningStep()
        #expect(learner.steps == 1 && learner.model.parameters != initial && hold.entered == 1)
        let afterOne = learner.model.parameters
        _ = learner.tick()   // the step that waited starts at once
        learner.finishRunningStep()
        #expect(learner.steps == 2 && learner.model.parameters != afterOne && hold.entered == 2)
    }

    /// At the default sizes a step takes a millisecond against a 10 s tick: in the background
    /// it then gives the very weights, predictions and guard decisions of a step run inline
    /// (replay's way), only the decision is reported one tick later.
    @Test func stepsThatFinishWithinTheirTickGiveTheInlineResults() throws {
        let setup = PipelineLearningTests()
        let inline = try setup.pipeline(setup.config()), background = try setup.pipeline(setup.config(), execution: .background)
        var inlineEvents: [OnlineLearner.Event] = [], backgroundEvents: [OnlineLearner.Event] = []
        var differing = 0
        for tick in 1...400 {
            let sample = setup.sample(tick, Double(tick % 20) / 10, (10..<13).contains(tick % 20) ? 1 : 0)
            let a = inline.ingest(sample), b = background.ingest(sample)
            if a.probability != b.probability || a.alerting != b.alerting { differing += 1 }
            inlineEvents += a.learning.map { [$0] } ?? []
            backgroundEvents += b.learning.map { [$0] } ?? []
            background.learner!.waitForRunningStep()
        }
        if let last = background.learner!.finishRunningStep() { backgroundEvents.append(last) }
        #expect(differing == 0)
        #expect(inline.learner!.steps > 300 && background.learner!.steps == inline.learner!.steps)
        #expect(inlineEvents.count >= 10 && backgroundEvents == inlineEvents)
        #expect(background.model.parameters == inline.model.parameters)
    }
}

/// Holds the first step that enters until released (at most 10 s, so a wrong implementation
/// fails instead of hanging); later steps pass.
final class StepHold: Sendable {
    private let gate = DispatchSemaphore(value: 0)
    private let state = Mutex<(entered: Int, timedOut: Bool)>((0, false))

    func enter() {
        let first = state.withLock { state -> Bool in
            state.entered += 1
            return state.entered == 1
        }
        guard first else { return }
        if gate.wait(timeout: .now() + 10) == .timedOut { state.withLock { $0.timedOut = true } }
    }

    func release() { gate.signal() }
    var entered: Int { state.withLock { $0.entered } }
    var timedOut: Bool { state.withLock { $0.timedOut } }
}
