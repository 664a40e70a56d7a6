import Foundation
import Testing

/// A kernel with PSI built in and turned off at boot (CONFIG_PSI_DEFAULT_DISABLED, as RHEL 8's
/// 4.18 and kernel-ml's 5.4 ship) keeps /proc/pressure, and each read of its files fails with
/// EOPNOTSUPP (Netdata issue 7531). The daemon took that for three failing reads a tick: a
/// warning a minute for ever, and a failure counter that the textfile's readers alert on. This
/// machine's kernel has PSI on, so strace's fault injection gives the real binary that answer
/// at its read(2) of each pressure file, kept open across ticks as on any host.
@Suite(.serialized) struct PSITurnedOffTests {
    static let strace = "/usr/bin/strace"

    /// strace's arguments that make every read(2) of /proc/pressure's files fail as such a kernel's do.
    static func refusingPressureReads(under procRoot: String) -> [String] {
        ["-qq", "-f", "-o", "/dev/null", "-e", "trace=openat,read", "-e", "inject=read:error=EOPNOTSUPP"]
            + ["cpu", "memory", "io"].flatMap { ["-P", "\(procRoot)/pressure/\($0)"] }
    }

    static let offReason = "as on a kernel with PSI built in and turned off at boot (CONFIG_PSI_DEFAULT_DISABLED, as RHEL 8's kernels ship, "
        + "or psi=0): psi=1 on the kernel command line turns it on"

    @Test func checkConfigNamesPSITurnedOff() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.strace), "scripts/test installs strace")
        let scratch = try Scratch(config: "[sampling]\nproc_root = \"/proc\"\n")
        let check = try DaemonProcess(Self.refusingPressureReads(under: "/proc") + [DaemonProcess.binary, "check-config", scratch.config],
                                      executable: Self.strace)
        #expect(check.waitForExit(.seconds(30)) == 0, "\(check.stderr)")
        #expect(check.stderr.contains("warning: \(scratch.config): psi_cpu_some_avg10 will stay missing: /proc/pressure/cpu refuses reads "
                                      + "(Operation not supported), \(Self.offReason). The model would read its training mean"), "\(check.stderr)")
        // The same config without the injection: this kernel's PSI reads, and nothing is said.
        let (code, _, err) = try DaemonProcess.run(["check-config", scratch.config])
        #expect(code == 0 && !err.contains("psi_"), "\(err)")
    }

    @Test func theDaemonSaysPSIOffOnceAndCountsNoFailure() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.strace), "scripts/test installs strace")
        let scratch = try Scratch(config: "")
        let textfile = scratch.directory + "/surgewatch.prom"
        try scratch.write(config: DaemonEndToEndTests.config(procRoot: "/proc", window: 4, features: "[\"cpu_busy\", \"psi_cpu_some_avg10\"]")
                                  + "[prometheus]\ntextfile = \"\(textfile)\"\n")
        let daemon = try DaemonProcess(Self.refusingPressureReads(under: "/proc")
                                       + [DaemonProcess.binary, "run", "--config", scratch.config, "--state-dir", scratch.state, "--tick-output", "none"],
                                       executable: Self.strace)
        // Past the first full window (4 ticks), where the daemon says what the missing feature costs.
        let sixTicks = daemon.waitFor(.seconds(60)) { _ in
            ((try? String(contentsOfFile: textfile, encoding: .utf8)) ?? "").contains("\nsurgewatch_ticks_total 6\n")
        }
        #expect(sixTicks, "\(daemon.stderr)")
        let exposition = (try? String(contentsOfFile: textfile, encoding: .utf8)) ?? ""
        #expect(exposition.contains("\nsurgewatch_source_failures_total 0\n"), "\(exposition)")
        #expect(exposition.contains("\nsurgewatch_features_missing 1\n"), "\(exposition)")
        // To the daemon itself: strace, sent SIGTERM, detaches from it and leaves it running.
        let children = (try? String(contentsOfFile: "/proc/\(daemon.process.processIdentifier)/task/\(daemon.process.processIdentifier)/children",
                                    encoding: .utf8)) ?? ""
        let traced = children.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(traced.count == 1, "strace runs the daemon alone: \(children)")
        for pid in traced { kill(pid, SIGTERM) }
        #expect(daemon.waitForExit(.seconds(30)) == 0, "\(daemon.stderr)")
        let log = daemon.stderr
        for file in ["cpu", "memory", "io"] {
            let said = "/proc/pressure/\(file) refuses reads (Operation not supported), pressure metrics stay missing: \(Self.offReason)"
            #expect(log.components(separatedBy: said).count == 2, "said once, at the first tick: \(log)")
        }
        #expect(!log.contains("failed"), "\(log)")
        #expect(log.contains("psi_cpu_some_avg10 (a model feature, in [overload]) has been missing at every one of the first 4 ticks"), "\(log)")
        #expect(log.contains("/proc/pressure is absent, or refuses reads, on a kernel built without PSI"), "\(log)")
    }
}
