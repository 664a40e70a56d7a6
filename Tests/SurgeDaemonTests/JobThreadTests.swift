import Glibc
import Synchronization
import Testing
@testable import SurgeDaemon

@Suite struct JobThreadTests {
    /// pthread_self of whatever thread runs the caller, as a comparable number.
    static func currentThread() -> UInt { UInt(pthread_self()) }

    static func currentThreadName() -> String? {
        guard let file = fopen("/proc/thread-self/comm", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 32)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    @Test func theLoopAndItsChildTasksRunOnTheOneThreadAcrossSleeps() async throws {
        let thread = try #require(JobThread.start(name: "surgewatch-tick"))
        defer { thread.stop() }
        let seen = try await withTaskExecutorPreference(thread) {
            #expect(Self.currentThreadName() == "surgewatch-tick")
            var threads: [UInt] = [Self.currentThread()]
            for _ in 0..<5 {
                try await thread.sleep(for: .milliseconds(2))
                threads.append(Self.currentThread())
                // The sources are read as child tasks: they inherit the preference.
                let children = await withTaskGroup(of: UInt.self) { group in
                    for _ in 0..<3 { group.addTask { Self.currentThread() } }
                    return await group.reduce(into: [UInt]()) { $0.append($1) }
                }
                threads += children
            }
            return threads
        }
        #expect(seen.count == 21)
        #expect(Set(seen).count == 1, "jobs ran on \(Set(seen).count) threads")
    }

    @Test func aSleepLastsAtLeastItsDuration() async throws {
        let thread = try #require(JobThread.start(name: "surgewatch-tick"))
        defer { thread.stop() }
        try await withTaskExecutorPreference(thread) {
            for milliseconds in [1, 20, 50] {
                let before = Self.monotonicSeconds()
                try await thread.sleep(for: .milliseconds(milliseconds))
                let slept = Self.monotonicSeconds() - before
                #expect(slept >= Double(milliseconds) / 1000, "slept \(slept) s for \(milliseconds) ms")
                // Generous: a shared machine may be slow to run us, but not by seconds.
                #expect(slept < Double(milliseconds) / 1000 + 2)
            }
            // Zero and negative durations return without waiting.
            let before = Self.monotonicSeconds()
            try await thread.sleep(for: .zero)
            try await thread.sleep(for: .milliseconds(-5))
            #expect(Self.monotonicSeconds() - before < 1)
        }
    }

    /// When a 60 s sleep on `thread` ends, on the monotonic clock, read on the tick thread
    /// itself: the tests' own tasks may wait seconds for a pool thread while other suites run.
    static func sleepSixtySeconds(on thread: JobThread) async -> (asleep: Double, woke: Double, cancelled: Bool) {
        await withTaskExecutorPreference(thread) {
            let asleep = monotonicSeconds()
            do {
                try await thread.sleep(for: .seconds(60))
                return (asleep, monotonicSeconds(), false)
            } catch {
                return (asleep, monotonicSeconds(), error is CancellationError)
            }
        }
    }

    @Test func cancellingTheTaskEndsALongSleepAtOnce() async throws {
        let thread = try #require(JobThread.start(name: "surgewatch-tick"))
        defer { thread.stop() }
        let sleeper = Task { await Self.sleepSixtySeconds(on: thread) }
        try await Task.sleep(for: .milliseconds(50))
        let cancelledAt = Self.monotonicSeconds()
        sleeper.cancel()
        let sleep = await sleeper.value
        #expect(sleep.cancelled)
        #expect(sleep.woke - cancelledAt < 5, "the 60 s sleep went on \(sleep.woke - cancelledAt) s after the cancel")
    }

    @Test func aTaskCancelledBeforeItSleepsDoesNotSleep() async throws {
        let thread = try #require(JobThread.start(name: "surgewatch-tick"))
        defer { thread.stop() }
        let sleeper = Task {
            // Cancelled by the time it sleeps: the handler runs at once, before the continuation.
            while !Task.isCancelled { await Task.yield() }
            return await Self.sleepSixtySeconds(on: thread)
        }
        sleeper.cancel()
        let sleep = await sleeper.value
        #expect(sleep.cancelled)
        #expect(sleep.woke - sleep.asleep < 5, "slept \(sleep.woke - sleep.asleep) s")
    }

    @Test func aJobAfterStopStillRuns() async throws {
        let thread = try #require(JobThread.start(name: "surgewatch-tick"))
        thread.stop()
        // Give the thread time to end; the preference then names an executor that has exited,
        // whose jobs go to the global executor.
        try await Task.sleep(for: .milliseconds(50))
        let value = await withTaskExecutorPreference(thread) {
            await withTaskGroup(of: Int.self) { group in
                group.addTask { 41 }
                return await group.reduce(1, +)
            }
        }
        #expect(value == 42)
    }

    /// Hands each job it is given to `thread` as due at `due` (what the runtime's hooks do with
    /// Task.sleep's jobs once GlobalJobs has taken over).
    final class DueLater: TaskExecutor {
        let thread: JobThread
        let due: Int64
        init(_ thread: JobThread, due: Int64) { self.thread = thread; self.due = due }
        func enqueue(_ job: consuming ExecutorJob) { thread.enqueue(UnownedJob(job), dueAt: due) }
    }

    final class Runs: Sendable {
        let list = Mutex<[(index: Int, due: Int64, at: Int64, name: String?)]>([])
    }

    @Test func jobsDueLaterRunOnceDueAndInTheOrderTheyComeDue() async throws {
        let thread = try #require(JobThread.start(name: "surgewatch-jobs"))
        defer { thread.stop() }
        let start = JobThread.monotonicNow()
        let ran = Runs()
        // Enqueued out of order: due in 60 ms, in 20 ms, then one already due.
        var tasks: [Task<Void, Never>] = []
        for (index, milliseconds) in [(0, 60), (1, 20), (2, -5)] {
            let due = start + Int64(milliseconds) * 1_000_000
            tasks.append(Task(executorPreference: DueLater(thread, due: due)) {
                let at = JobThread.monotonicNow()
                ran.list.withLock { $0.append((index, due, at, Self.currentThreadName())) }
            })
        }
        for task in tasks { await task.value }
        let runs = ran.list.withLock { $0 }
        #expect(runs.map(\.index) == [2, 1, 0])
        for run in runs {
            #expect(run.at >= run.due, "job \(run.index) ran \(Double(run.due - run.at) / 1e6) ms early")
            // Generous: a shared machine may be slow to run us, but not by seconds.
            #expect(run.at - run.due < 2_000_000_000, "job \(run.index) ran \(Double(run.at - run.due) / 1e6) ms late")
            #expect(run.name == "surgewatch-jobs")
        }
    }

    @Test func aJobDueLaterDoesNotHoldUpAJobDueNow() async throws {
        let thread = try #require(JobThread.start(name: "surgewatch-jobs"))
        defer { thread.stop() }
        let far = Task(executorPreference: DueLater(thread, due: JobThread.monotonicNow() + 60_000_000_000)) { }
        let start = JobThread.monotonicNow()
        let at = await withTaskExecutorPreference(thread) { JobThread.monotonicNow() }
        #expect(at - start < 2_000_000_000)
        far.cancel()  // it stays queued for 60 s; the thread is stopped (and the job dropped) with the test
    }
}
