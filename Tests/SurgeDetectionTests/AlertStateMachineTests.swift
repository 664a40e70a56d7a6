import Testing
import SurgeConfig
@testable import SurgeDetection

/// The alert state machine on its own: no I/O, time from a TraceClock, ids from a counter.
@Suite struct AlertStateMachineTests {
    let policy = AlertPolicy(fireProbability: 0.8, resolveProbability: 0.5, fireAfter: 2, resolveAfter: 3, horizonSeconds: 30,
                             fireAtOnceProbability: 0.95)

    final class Run {
        let clock = TraceClock(unixSeconds: 1_000)
        var machine: AlertStateMachine<TraceClock>
        var events: [AlertEvent] = []
        var tick = 0

        init(_ policy: AlertPolicy, restoring open: AlertStateMachine<TraceClock>.OpenAlert? = nil) {
            let counter = IDCounter()
            machine = AlertStateMachine(policy: policy, clock: clock, restoring: open, makeID: { counter.next() })
        }

        /// One tick per entry: p and whether the rule holds.
        @discardableResult
        func feed(_ ticks: [(Double?, Bool?)]) -> [AlertEvent] {
            var new: [AlertEvent] = []
            for (p, rule) in ticks {
                tick += 1
                clock.set(unixSeconds: 1_000 + Double(tick) * 10)
                new += machine.observe(AlertObservation(probability: p, ruleHolds: rule))
            }
            events += new
            return new
        }
    }

    final class IDCounter: @unchecked Sendable {
        private var value = 0
        func next() -> String { value += 1; return "alert-\(value)" }
    }

    @Test func predictedFiresOnlyAfterFireAfterTicksInARow() {
        let run = Run(policy)
        #expect(run.feed([(0.9, false)]).isEmpty)
        #expect(run.feed([(0.3, false), (0.85, false)]).isEmpty, "the streak restarts after a low tick")
        let fired = run.feed([(0.95, false)])
        #expect(fired.map(\.event) == [.fired])
        #expect(fired.first?.kind == .predicted)
        #expect(fired.first?.at == 1_040)
        #expect(fired.first?.horizonSeconds == 30)
        #expect(run.machine.open?.id == "alert-1")
    }

    @Test func aLeapFromCalmFiresAtOnceAClimbDoesNot() {
        var leaping = policy
        leaping.fireOnLeapProbability = 0.6
        let run = Run(leaping)
        // A climb through the band (0.5 ... 0.8) is no leap: p was not calm the tick before.
        #expect(run.feed([(0.3, false), (0.55, false), (0.7, false), (0.3, false)]).isEmpty)
        // From calm (below resolve_probability 0.5) to 0.6 or more in one tick: a surge's first tick.
        let fired = run.feed([(0.65, false)])
        #expect(fired.map(\.kind) == [.predicted])
        #expect(fired.first?.at == 1_050)
        run.feed([(0.1, false), (0.1, false), (0.1, false)])
        #expect(run.machine.open == nil)
        // No leap from an unknown p, nor to a p under the leap's threshold.
        #expect(run.feed([(nil, false), (0.7, false), (0.2, false), (0.59, false)]).isEmpty)
        // Off by default: the same leap waits for fire_after.
        let plain = Run(policy)
        #expect(plain.feed([(0.3, false), (0.65, false)]).isEmpty)
        #expect(SurgeConfig().alert.fireOnLeapProbability == 1)
    }

    @Test func aNearCertainPredictionFiresAtOnce() {
        let run = Run(policy)
        #expect(run.feed([(0.94, false)]).isEmpty, "below fire_at_once: wait for fire_after")
        run.feed([(0.1, false), (0.1, false), (0.1, false)])
        let fired = run.feed([(0.96, false)])
        #expect(fired.map(\.kind) == [.predicted], "p >= fire_at_once on one tick")
        #expect(fired.first?.at == 1_050)

        var waiting = policy
        waiting.fireAtOnceProbability = 1
        let patient = Run(waiting)
        #expect(patient.feed([(1.0, false)]).isEmpty, "fire_at_once = 1: always fire_after ticks, even at p = 1")
        #expect(patient.feed([(1.0, false)]).map(\.kind) == [.predicted])
    }

    @Test func flappingProbabilityDoesNotFlapAlerts() {
        let run = Run(policy)
        run.feed([(0.9, false), (0.9, false)])
        // Oscillating across both thresholds, never three calm ticks in a row.
        for _ in 0..<20 { run.feed([(0.3, false), (0.4, false), (0.9, false)]) }
        // Inside the hysteresis band: neither high nor calm.
        run.feed(Array(repeating: (0.65, false), count: 30))
        #expect(run.events.count == 1, "one fired event, no resolve, no second alert: \(run.events.map(\.event))")
    }

    @Test func resolvesAfterResolveAfterCalmTicks() {
        let run = Run(policy)
        run.feed([(0.9, false), (0.95, false), (0.7, false)])
        #expect(run.feed([(0.2, false), (0.1, false)]).isEmpty)
        let resolved = run.feed([(0.1, false)])
        #expect(resolved.map(\.event) == [.resolved])
        #expect(resolved.first?.alertID == "alert-1")
        #expect(resolved.first?.peakProbability == 0.95)
        #expect(resolved.first?.firedAt == 1_020)
        #expect(run.machine.open == nil)
        // A new episode is a new alert.
        let again = run.feed([(0.9, false), (0.9, false)])
        #expect(again.first?.alertID == "alert-2")
    }

    /// `[alert] hold`: while a hold condition holds, an open alert is not calm, however low p
    /// falls; a hold alone never opens one.
    @Test func aHoldKeepsAnOpenAlertButNeverOpensOne() {
        var machine = AlertStateMachine(policy: policy, clock: TraceClock(unixSeconds: 0), makeID: { "a" })
        func tick(_ p: Double, holding: Bool) -> Bool {
            _ = machine.observe(AlertObservation(probability: p, ruleHolds: false, holding: holding))
            return machine.open != nil
        }
        #expect(!tick(0.1, holding: true) && !tick(0.1, holding: true), "a hold opens nothing")
        #expect(!tick(0.9, holding: false) && tick(0.9, holding: false))
        #expect((0..<10).allSatisfy { _ in tick(0.05, holding: true) }, "held open while p is calm")
        #expect(tick(0.05, holding: false) && tick(0.05, holding: false))
        #expect(!tick(0.05, holding: false), "resolved after resolve_after calm ticks once the hold ends")
    }

    @Test func aBreachWithoutAPredictionCarriesNoProbability() {
        let run = Run(policy)
        let breached = run.feed([(nil, true)])
        #expect(breached.map(\.kind) == [.breached])
        #expect(breached.first?.probability == nil, "the model said nothing; not p = 0")
        #expect(AlertMessage.text(for: breached[0]) == "overload: SLO breached (no prediction yet)")
        let resolved = run.feed([(0.1, false), (0.1, false), (0.1, false)])
        #expect(resolved.map(\.event) == [.resolved])
        #expect(resolved.first?.probability == 0.1)
    }

    @Test func aPredictedAlertEscalatesToBreachedAsOneAlert() {
        let run = Run(policy)
        run.feed([(0.9, false), (0.9, false)])
        let escalated = run.feed([(0.97, true)])
        #expect(escalated.count == 1)
        #expect(escalated.first?.event == .fired)
        #expect(escalated.first?.kind == .breached)
        #expect(escalated.first?.escalatedFrom == .predicted)
        #expect(escalated.first?.alertID == "alert-1")
        #expect(escalated.first?.firedAt == 1_020, "the alert's start stays the predicted fire time")
        #expect(run.feed([(0.99, true), (0.99, true)]).isEmpty, "a breach that goes on fires nothing more")
        // Low p while the rule still holds is not calm.
        #expect(run.feed([(0.1, true), (0.1, true), (0.1, true)]).isEmpty)
        let resolved = run.feed([(0.1, false), (0.1, false), (0.1, false)])
        #expect(resolved.map(\.event) == [.resolved])
        #expect(resolved.first?.kind == .breached)
        #expect(resolved.first?.alertID == "alert-1")
        #expect(run.events.count == 3)
    }

    @Test func aBreachWithoutWarningFiresBreachedAtOnce() {
        let run = Run(policy)
        let fired = run.feed([(0.1, true)])
        #expect(fired.first?.kind == .breached)
        #expect(fired.first?.escalatedFrom == nil)
    }

    @Test func unknownTicksNeitherFireNorResolve() {
        let run = Run(policy)
        run.feed([(0.9, false), (0.9, false)])
        #expect(run.feed(Array(repeating: (nil, nil), count: 10)).isEmpty)
        // p unknown but the rule known false counts as calm.
        #expect(run.feed([(nil, false), (nil, false), (nil, false)]).map(\.event) == [.resolved])
    }

    @Test func aRestartInTheMiddleContinuesTheOpenAlert() {
        let before = Run(policy)
        before.feed([(0.9, false), (0.9, false), (0.95, true)])
        let open = before.machine.open
        #expect(open?.kind == .breached)
        let after = Run(policy, restoring: open)
        #expect(after.feed([(0.9, true), (0.9, true)]).isEmpty, "no second fire for the same episode")
        let resolved = after.feed([(0.1, false), (0.1, false), (0.1, false)])
        #expect(resolved.first?.alertID == open?.id)
        #expect(resolved.first?.firedAt == open?.firedAt)
        #expect(resolved.first?.peakProbability == 0.95)
    }
}
