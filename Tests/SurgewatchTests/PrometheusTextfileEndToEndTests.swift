import Foundation
import Glibc
import Testing
import TestSupport

/// `[prometheus] textfile` with a real node_exporter (Debian's prometheus-node-exporter, which
/// scripts/test unpacks beside the build when it is not installed): the daemon, under the
/// unit's UMask=0077, writes a file the textfile collector reads and serves, and removes it at
/// stop, so the series go with the daemon.
@Suite struct PrometheusTextfileEndToEndTests {
    static let exporter = TestTools.path("usr/bin/prometheus-node-exporter")

    @Test func nodeExporterServesTheDaemonsStateWhileItRuns() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.exporter) else {
            Issue.record("needs \(Self.exporter): scripts/test-tools unpacks it")
            return
        }
        let scratch = try Scratch(config: "")
        let directory = scratch.directory + "/textfile"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = directory + "/surgewatch.prom"
        try scratch.write(config: DaemonEndToEndTests.config(procRoot: DaemonEndToEndTests.fixtures + "/t2")
                          + "[prometheus]\ntextfile = \"\(file)\"\n")

        let port = try LoopbackPort.unused()
        let exporter = Process()
        exporter.executableURL = URL(fileURLWithPath: Self.exporter)
        exporter.arguments = ["--web.listen-address=127.0.0.1:\(port)", "--collector.disable-defaults", "--collector.textfile",
                              "--collector.textfile.directory=\(directory)"]
        exporter.standardOutput = FileHandle.nullDevice
        exporter.standardError = FileHandle.nullDevice
        try exporter.run()
        defer { exporter.terminate(); exporter.waitUntilExit() }

        // The unit's UMask=0077, which would make the file unreadable by the collector's user.
        let daemon = try DaemonProcess(["-c", "umask 077; exec \"$0\" \"$@\"", DaemonProcess.binary, "run",
                                        "--config", scratch.config, "--state-dir", scratch.state, "--tick-output", "none"],
                                       executable: "/bin/sh")
        #expect(daemon.waitFor(.seconds(20)) { _ in FileManager.default.fileExists(atPath: file) }, "\(daemon.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o644, "readable by the collector's user: \(String(mode ?? 0, radix: 8))")

        var scrape = ""
        let served = daemon.waitFor(.seconds(20)) { _ in
            scrape = (try? runTool("/usr/bin/curl", ["-s", "http://127.0.0.1:\(port)/metrics"]).output) ?? ""
            return scrape.contains("surgewatch_ticks_total")
        }
        #expect(served, "\(scrape.suffix(2000))")
        #expect(scrape.contains("\nsurgewatch_alert_open{kind=\"predicted\"} 0\n"), "\(scrape.suffix(2000))")
        #expect(scrape.contains("\nsurgewatch_horizon_seconds 3\n"), "3 ticks of 1 s: \(scrape.suffix(2000))")
        #expect(scrape.contains("\nnode_textfile_scrape_error 0\n"), "the collector read the file cleanly: \(scrape.suffix(2000))")

        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(.seconds(10)) == 0, "\(daemon.stderr)")
        #expect(!FileManager.default.fileExists(atPath: file), "removed at stop")
        let after = try runTool("/usr/bin/curl", ["-s", "http://127.0.0.1:\(port)/metrics"]).output
        #expect(after.contains("node_textfile_scrape_error 0") && !after.contains("surgewatch_"), "\(after.suffix(2000))")
    }

    /// A textfile that cannot be written (its directory is not there yet) is a failing
    /// source: logged and counted, while the ticks go on. Once the directory is made the file
    /// appears, counts the failures, and the log says the target works again.
    @Test func aTextfileThatCannotBeWrittenIsLoggedAndTheTicksGoOn() throws {
        let scratch = try Scratch(config: "")
        let directory = scratch.directory + "/later"
        let file = directory + "/surgewatch.prom"
        try scratch.write(config: DaemonEndToEndTests.config(procRoot: DaemonEndToEndTests.fixtures + "/t2")
                          + "[prometheus]\ntextfile = \"\(file)\"\n")
        let daemon = try DaemonProcess(["run", "--config", scratch.config, "--state-dir", scratch.state, "--tick-output", "text"])
        #expect(daemon.waitFor(.seconds(20)) { $0.stderr.contains("source prometheus textfile failed: \(file).tmp: No such file or directory") },
                "\(daemon.stderr)")
        let ticks = daemon.stdoutLines.count
        #expect(daemon.waitFor(.seconds(20)) { $0.stdoutLines.count >= ticks + 2 }, "ticks go on: \(daemon.stderr)")

        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        #expect(daemon.waitFor(.seconds(20)) { _ in FileManager.default.fileExists(atPath: file) }, "\(daemon.stderr)")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let counted = text.split(separator: "\n").first { $0.hasPrefix("surgewatch_source_failures_total ") }
        #expect((counted.flatMap { Int($0.split(separator: " ")[1]) } ?? 0) >= 1, "the failures are counted: \(text)")
        #expect(daemon.waitFor(.seconds(10)) { $0.stderr.contains("source prometheus textfile works again after failing in ") }, "\(daemon.stderr)")

        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(.seconds(10)) == 0, "\(daemon.stderr)")
        #expect(!FileManager.default.fileExists(atPath: file), "removed at stop")
    }

    /// check-config warns of a textfile whose directory is not there (exit 0: it may be made
    /// before the start), but not of the unit's /run/surgewatch, which systemd makes at start;
    /// and of one elsewhere, which the shipped unit may not write (node_exporter's Debian
    /// directory, /var/lib/prometheus/node-exporter, is where operators would point it).
    @Test func checkConfigWarnsOfATextfileDirectoryThatIsNotThere() throws {
        let scratch = try Scratch(config: "[prometheus]\ntextfile = \"/nonexistent-surgewatch/dir/surgewatch.prom\"\n")
        let (code, _, err) = try DaemonProcess.run(["check-config", scratch.config])
        #expect(code == 0)
        #expect(err == "warning: \(scratch.config): prometheus.textfile: /nonexistent-surgewatch/dir is not a directory here, so the daemon "
                + "could not write /nonexistent-surgewatch/dir/surgewatch.prom (the unit's /run/surgewatch, which systemd makes at start, needs nothing)\n")
        try scratch.write(config: "[prometheus]\ntextfile = \"/run/surgewatch/surgewatch.prom\"\n")
        let (fineCode, _, fineErr) = try DaemonProcess.run(["check-config", scratch.config])
        #expect(fineCode == 0 && !fineErr.contains("prometheus.textfile"), "\(fineErr)")
        try scratch.write(config: "[prometheus]\ntextfile = \"\(scratch.directory)/surgewatch.prom\"\n")
        let (elsewhereCode, _, elsewhereErr) = try DaemonProcess.run(["check-config", scratch.config])
        #expect(elsewhereCode == 0)
        #expect(elsewhereErr == "warning: \(scratch.config): prometheus.textfile: \(scratch.directory): the shipped unit writes only its own /run/surgewatch "
                + "(ProtectSystem=strict, DynamicUser=yes): point node_exporter's --collector.textfile.directory there, or give the unit this "
                + "directory in a drop-in (ReadWritePaths=)\n", "\(elsewhereErr)")
    }

    /// config/prometheus-alerts.yml, the rules the README offers for the textfile's series, is
    /// valid and fires as its test says (`promtool test rules`: the predicted alert, its
    /// escalation, a daemon that stops ticking). Debian's prometheus package has promtool;
    /// scripts/test unpacks it when it is not installed.
    @Test func theOfferedAlertRulesPassPromtool() throws {
        let promtool = TestTools.path("usr/bin/promtool")
        guard FileManager.default.isExecutableFile(atPath: promtool) else {
            Issue.record("needs \(promtool): scripts/test-tools unpacks it")
            return
        }
        let checked = try runTool(promtool, ["check", "rules", DaemonProcess.repository + "/config/prometheus-alerts.yml"])
        #expect(checked.status == 0 && checked.output.contains("SUCCESS: 3 rules found"), "\(checked.output)")
        let tested = try runTool(promtool, ["test", "rules", DaemonProcess.repository + "/Tests/SurgewatchTests/Fixtures/prometheus-alerts-test.yml"])
        #expect(tested.status == 0 && tested.output.contains("SUCCESS"), "\(tested.output)")
    }
}
