import Foundation
import Synchronization
import Testing

/// The built binary with a model big enough (hidden 512) that one online-learning step takes
/// seconds in this build, learning after every 1 s tick: the ticks keep their second, because
/// the steps run on a thread of their own. Run in the tick, each step would stretch it by
/// seconds and 40 ticks would span well over a minute. (40, not 30: with both cores busy a
/// first step can take most of 30 s, and the notice waits for it to finish.)
@Suite struct LearningBesideTheTicksTests {
    @Test func aLearningStepLongerThanATickDelaysNoTick() throws {
        let host = try FlippingHost(model: "hidden = 512")
        let flipper = host.startFlipping()
        defer { flipper.stop() }
        let daemon = try DaemonProcess(["run", "--config", host.scratch.config, "--state-dir", host.scratch.state, "--max-ticks", "40"])
        #expect(daemon.waitForExit(.seconds(120)) == 0, "\(daemon.stderr)")
        // Said once the slow step is done, with what it cost (seconds of CPU in this build).
        #expect(daemon.stderr.contains("online learning is slower than one step every 1 ticks (a step takes "),
                "a step was still running when the next fell due: \(daemon.stderr)")
        // Each tick line starts with its time (whole seconds): the first and the last of 40.
        let times = daemon.stdoutLines.compactMap { ISO8601DateFormatter().date(from: String($0.prefix { $0 != " " })) }
        #expect(times.count == 40, "\(daemon.stdout)")
        let span = (times.last ?? .distantPast).timeIntervalSince(times.first ?? .distantPast)
        #expect(span >= 38 && span <= 45, "40 ticks one second apart spanned \(Int(span)) s")
    }
}

/// A host whose CPU pressure flips: its /proc is a symlink to one fixture tree or the other
/// (t1 and t2 differ in CPU pressure, 0.09 % and 2.21 %), and its config's rule holds on the
/// higher, with a window of 5 ticks and learning after every tick from two windows of each
/// class. Switched every second, the rule's verdict flips, so windows of both classes arrive
/// and online learning starts within seconds. `model`: the [model] sizes, as config lines.
final class FlippingHost {
    let link = NSTemporaryDirectory() + "surgewatch-proc-\(UUID().uuidString.prefix(8))"
    let scratch: Scratch

    init(model: String) throws {
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: DaemonEndToEndTests.fixtures + "/t1")
        scratch = try Scratch(config: """
            [sampling]
            interval = "1s"
            proc_root = "\(link)"
            [window]
            ticks = 5
            [model]
            features = ["load1", "psi_cpu_some_avg10"]
            horizon_ticks = 1
            \(model)
            [learning]
            min_windows_per_class = 2
            step_every_ticks = 1
            [overload]
            any = ["psi_cpu_some_avg10 > 1"]
            """)
    }

    /// Starts the switching, once a second; `stop()` it before the test ends.
    func startFlipping() -> SymlinkFlipper {
        SymlinkFlipper(link: link, targets: [DaemonEndToEndTests.fixtures + "/t2", DaemonEndToEndTests.fixtures + "/t1"])
    }

    deinit { try? FileManager.default.removeItem(atPath: link) }
}

/// Points a symlink at each target in turn, once a second, by an atomic rename, so a reader
/// never finds it missing.
final class SymlinkFlipper: Sendable {
    private let running = Mutex(true)
    private let finished = DispatchSemaphore(value: 0)

    init(link: String, targets: [String]) {
        Thread.detachNewThread { [self] in
            var next = 0
            while running.withLock({ $0 }) {
                Thread.sleep(forTimeInterval: 1)
                let staged = link + ".next"
                try? FileManager.default.removeItem(atPath: staged)
                if (try? FileManager.default.createSymbolicLink(atPath: staged, withDestinationPath: targets[next])) != nil {
                    rename(staged, link)
                }
                next = (next + 1) % targets.count
            }
            finished.signal()
        }
    }

    func stop() {
        running.withLock { $0 = false }
        finished.wait()
    }
}
