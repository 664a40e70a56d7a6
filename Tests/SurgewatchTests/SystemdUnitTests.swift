import Foundation
import Testing

/// The shipped unit as systemd sees it. `systemd-analyze verify` exits 0 even on unknown keys,
/// so any output at all is a failure.
@Suite struct SystemdUnitTests {
    static let unit = DaemonProcess.repository + "/systemd/surgewatch.service"

    /// The unit with ExecStart pointing at the binary just built, in a scratch directory.
    func unitForBuiltBinary() throws -> (directory: String, path: String) {
        let directory = NSTemporaryDirectory() + "surgewatch-unit-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let text = try String(contentsOfFile: Self.unit, encoding: .utf8)
            .replacingOccurrences(of: "ExecStart=/usr/local/bin/surgewatch ", with: "ExecStart=\(DaemonProcess.binary) ")
        let path = directory + "/surgewatch.service"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (directory, path)
    }

    func systemdAnalyze(_ arguments: [String]) throws -> (Int32, String) {
        try runTool("/usr/bin/systemd-analyze", arguments)
    }

    @Test func verifyPrintsNothing() throws {
        let (directory, path) = try unitForBuiltBinary()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (code, output) = try systemdAnalyze(["verify", path])
        #expect(code == 0)
        #expect(output.isEmpty, "systemd-analyze verify said:\n\(output)")
    }

    @Test func verifyCatchesAnUnknownKeyInThisSetup() throws {
        // Guards the guard: if verify stopped reporting unknown keys here, the test above
        // would pass for nothing.
        let (directory, path) = try unitForBuiltBinary()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let broken = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "NoNewPrivileges=yes", with: "NoNewPrivilege=yes")
        try broken.write(toFile: path, atomically: true, encoding: .utf8)
        let (_, output) = try systemdAnalyze(["verify", path])
        #expect(output.contains("NoNewPrivilege"))
    }

    @Test func exposureScoreIsAtMostThree() throws {
        let (directory, path) = try unitForBuiltBinary()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (_, output) = try systemdAnalyze(["security", "--offline=yes", path])
        let line = try #require(output.split(separator: "\n").first { $0.contains("Overall exposure level") }, "\(output)")
        let score = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }, "\(line)")
        #expect(score <= 3.0, "\(line)")
    }

    @Test func unitDeclaresWhatTheDaemonReliesOn() throws {
        let text = try String(contentsOfFile: Self.unit, encoding: .utf8)
        for line in ["Type=notify", "WatchdogSec=", "StateDirectory=surgewatch", "ConfigurationDirectory=surgewatch",
                     "ExecReload=/bin/kill -HUP $MAINPID", "DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes"] {
            #expect(text.contains(line), "missing \(line)")
        }
        #expect(!text.contains("PrivateNetwork=yes"), "would hide the host's /proc/net from the sampler")
        #expect(!text.contains("ProcSubset=pid"), "would hide /proc/stat, /proc/net and /proc/pressure")
    }

    @Test func installScriptStagesEverything() throws {
        let stage = NSTemporaryDirectory() + "surgewatch-stage-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: stage) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: DaemonProcess.repository + "/scripts/install")
        process.arguments = ["--destdir", stage, "--binary", DaemonProcess.binary]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let files = ["/usr/local/bin/surgewatch", "/etc/systemd/system/surgewatch.service",
                     "/etc/surgewatch/surgewatch.toml", "/usr/local/share/doc/surgewatch/README.md", "/usr/local/share/doc/surgewatch/without-psi.toml",
                     "/usr/local/share/doc/surgewatch/OPERATING.md", "/usr/local/share/doc/surgewatch/shop-example.toml",
                     "/usr/local/share/doc/surgewatch/prometheus-alerts.yml",
                     "/usr/local/lib/systemd/catalog/surgewatch.catalog"]
        for file in files {
            #expect(FileManager.default.fileExists(atPath: stage + file), "\(file) not installed")
        }
        #expect(FileManager.default.isExecutableFile(atPath: stage + "/usr/local/bin/surgewatch"))
        // The unit the script wrote verifies clean once its ExecStart points into the stage.
        let staged = try String(contentsOfFile: stage + "/etc/systemd/system/surgewatch.service", encoding: .utf8)
            .replacingOccurrences(of: "ExecStart=/usr/local/bin/surgewatch ", with: "ExecStart=\(stage)/usr/local/bin/surgewatch ")
        try staged.write(toFile: stage + "/surgewatch.service", atomically: true, encoding: .utf8)
        let (code, output) = try systemdAnalyze(["verify", stage + "/surgewatch.service"])
        #expect(code == 0 && output.isEmpty, "\(output)")
        // A second install keeps the operator's config.
        try "# mine\n".write(toFile: stage + "/etc/surgewatch/surgewatch.toml", atomically: true, encoding: .utf8)
        let again = Process()
        again.executableURL = process.executableURL
        again.arguments = process.arguments
        again.standardOutput = FileHandle.nullDevice
        try again.run()
        again.waitUntilExit()
        #expect(try String(contentsOfFile: stage + "/etc/surgewatch/surgewatch.toml", encoding: .utf8) == "# mine\n")
        #expect(FileManager.default.fileExists(atPath: stage + "/etc/surgewatch/surgewatch.toml.new"))

        // --uninstall removes what the script installed and keeps, naming them, the operator's
        // config and the host's history.
        try FileManager.default.createDirectory(atPath: stage + "/var/lib/surgewatch", withIntermediateDirectories: true)
        let (removed, said) = try runTool(DaemonProcess.repository + "/scripts/install", ["--destdir", stage, "--uninstall"])
        #expect(removed == 0, "\(said)")
        for file in files where file != "/etc/surgewatch/surgewatch.toml" {
            #expect(!FileManager.default.fileExists(atPath: stage + file), "\(file) left behind")
        }
        #expect(!FileManager.default.fileExists(atPath: stage + "/usr/local/share/doc/surgewatch"))
        #expect(!FileManager.default.fileExists(atPath: stage + "/etc/surgewatch/surgewatch.toml.new"))
        #expect(try String(contentsOfFile: stage + "/etc/surgewatch/surgewatch.toml", encoding: .utf8) == "# mine\n")
        #expect(said == "removed surgewatch from /usr/local and its unit and catalog\n"
                + "kept \(stage)/etc/surgewatch (the config); remove it by hand if it is no longer wanted\n"
                + "kept \(stage)/var/lib/surgewatch (the database and checkpoints: the host's history); remove it by hand if it is no longer wanted\n",
                "\(said)")
    }
}
