#if canImport(Glibc)
import Glibc
#endif
import SurgeSampling
import Synchronization

/// An online-learning step running on a thread of its own, so that the tick that started it,
/// and the ticks after it, never wait for it (a larger model or window can make a step take
/// seconds, longer than a tick).
final class StepInFlight: Sendable {
    private let box = OutcomeBox()
    private let thread: pthread_t
    private let joined = Atomic<Bool>(false)

    /// Starts `job` on `engine` in a new thread; nil when no thread could be made.
    init?(engine: LearningStepEngine, job: LearningJob) {
        let box = self.box
        guard let thread = PlainThread.start({ box.publish(engine.run(job)) }) else { return nil }
        self.thread = thread
    }

    /// The outcome once the step is done, else nil at once.
    func take() -> LearningOutcome? {
        guard let outcome = box.value else { return nil }
        join()
        return outcome
    }

    /// Waits for the step (shutdown's last checkpoint, tests).
    func wait() -> LearningOutcome {
        join()
        return box.value!
    }

    private func join() {
        if !joined.exchange(true, ordering: .acquiringAndReleasing) { pthread_join(thread, nil) }
    }

    /// Dropped while the step runs (the pipeline replaced on reload): the thread finishes on
    /// its own and frees what it holds.
    deinit {
        if !joined.load(ordering: .acquiring) { pthread_detach(thread) }
    }
}

private final class OutcomeBox: Sendable {
    private let outcome = Mutex<LearningOutcome?>(nil)
    func publish(_ value: LearningOutcome) { outcome.withLock { $0 = value } }
    var value: LearningOutcome? { outcome.withLock { $0 } }
}
