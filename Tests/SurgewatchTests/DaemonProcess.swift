import Foundation
import Synchronization

/// The real `surgewatch` binary run as a child process, its stdout and stderr collected as they
/// arrive so tests can wait for a line.
final class DaemonProcess: Sendable {
    /// `surgewatch` sits beside this test target's resource bundle in the build directory.
    static let binary: String = Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("surgewatch").path
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    let process = Process()
    private let stdoutText = OutputBuffer()
    private let stderrText = OutputBuffer()

    /// `executable`: another program to start (a shell that sets up the daemon's process first).
    init(_ arguments: [String], environment extra: [String: String] = [:], executable: String = DaemonProcess.binary) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "NOTIFY_SOCKET")
        environment.removeValue(forKey: "WATCHDOG_USEC")
        environment.removeValue(forKey: "JOURNAL_STREAM")
        environment.merge(extra) { $1 }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        // Close-on-exec on all four ends: a daemon another test starts meanwhile would inherit
        // them otherwise and hold this child's pipes open past its exit. The child's own stdout
        // and stderr are dup2 copies, which do not keep the flag.
        for pipe in [out, err] {
            for handle in [pipe.fileHandleForReading, pipe.fileHandleForWriting] {
                _ = fcntl(handle.fileDescriptor, F_SETFD, FD_CLOEXEC)
            }
        }
        process.standardOutput = out
        process.standardError = err
        stdoutText.startReading(out.fileHandleForReading)
        stderrText.startReading(err.fileHandleForReading)
        try process.run()
        // Foundation keeps the parent's copy of each pipe's write end open: closed here, the
        // pipes reach their end when the child exits, which `waitForExit` waits for.
        try out.fileHandleForWriting.close()
        try err.fileHandleForWriting.close()
    }

    var stdout: String { stdoutText.text }
    var stderr: String { stderrText.text }
    var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits until `condition` holds for stdout+stderr, or the timeout passes.
    @discardableResult
    func waitFor(_ timeout: Duration = .seconds(10), _ condition: (DaemonProcess) -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(self) { return true }
            usleep(20_000)
        }
        return condition(self)
    }

    /// How long the child took to exit, not counting the drain of its pipes; nil past `timeout`.
    func timeToExit(_ timeout: Duration, since start: ContinuousClock.Instant) -> Duration? {
        while process.isRunning && ContinuousClock.now < start + timeout { usleep(2_000) }
        return process.isRunning ? nil : ContinuousClock.now - start
    }

    /// Waits for exit; nil when it did not exit in time (then it is killed).
    func waitForExit(_ timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        // The readers run on threads of their own: an exited child's last lines may still be in
        // the pipes, so wait for both to reach their end (a fixed pause lost them under load).
        let drained = ContinuousClock.now + .seconds(5)
        while !(stdoutText.ended && stderrText.ended) && ContinuousClock.now < drained { usleep(2_000) }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Runs to completion and returns (exit code, stdout, stderr).
    static func run(_ arguments: [String], timeout: Duration = .seconds(30)) throws -> (Int32?, String, String) {
        let daemon = try DaemonProcess(arguments)
        let code = daemon.waitForExit(timeout)
        return (code, daemon.stdout, daemon.stderr)
    }
}

/// Runs a system tool to completion; its stdout and stderr together, and its exit status.
/// `environment`: variables set for it beside the test's own.
func runTool(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// `runTool` for a script that starts background processes (servers, a namespace's init): its
/// output goes to a file, not a pipe, since those processes inherit the descriptors and a pipe
/// would not reach its end before the last of them is gone.
func runScriptLeavingServers(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let log = NSTemporaryDirectory() + "surgewatch-script-\(UUID().uuidString.prefix(8)).log"
    guard FileManager.default.createFile(atPath: log, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
    defer { try? FileManager.default.removeItem(atPath: log) }
    let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.standardOutput = output
    process.standardError = output
    try process.run()
    process.waitUntilExit()
    try output.close()
    return (process.terminationStatus, try String(contentsOfFile: log, encoding: .utf8))
}

/// Text collected from a pipe on another thread, and whether the pipe has reached its end.
/// What a child wrote to one pipe, read by a thread of its own with blocking reads until the
/// pipe's end. Not Foundation's `readabilityHandler`: with several tests starting children at
/// once it stopped being called with data still in the pipe, and a command that wrote 60 KiB
/// and exited was read as its first 8 or 16 (DaemonProcessTests, session 59). The bytes are
/// decoded when read, so a character split between two reads is not mangled.
final class OutputBuffer: Sendable {
    private let content = Mutex((bytes: [UInt8](), ended: false))

    func startReading(_ handle: FileHandle) {
        let descriptor = handle.fileDescriptor
        Thread.detachNewThread { [self] in
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = read(descriptor, &chunk, chunk.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                content.withLock { $0.bytes += chunk[..<count] }
            }
            // The handle owns the descriptor: kept alive until the end is read.
            withExtendedLifetime(handle) { content.withLock { $0.ended = true } }
        }
    }

    var text: String { content.withLock { String(decoding: $0.bytes, as: UTF8.self) } }
    var ended: Bool { content.withLock { $0.ended } }
}

/// A scratch directory with a config file the test can rewrite.
final class Scratch {
    let directory = NSTemporaryDirectory() + "surgewatch-e2e-\(UUID().uuidString.prefix(8))"
    var config: String { directory + "/surgewatch.toml" }
    var state: String { directory + "/state" }

    init(config text: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try write(config: text)
    }

    func write(config text: String) throws {
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        // Readable by others whatever the umask the tests run under: check-config warns otherwise.
        chmod(config, 0o644)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }
}

/// A private mount namespace (root and unshare): where tests mount what they need, a private
/// journald's sockets or a small tmpfs, without touching the machine's own mounts.
enum MountNamespace {
    static let available: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return false }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        probe.arguments = ["--mount", "true"]
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }()
}
