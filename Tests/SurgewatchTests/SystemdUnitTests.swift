import Foundation
import Testing

/// The shipped unit as systemd sees it. `systemd-analyze verify` exits 0 even on unknown keys,
/// so any output at all is a failure.
@Suite struct SystemdUnitTests {
    static let unit = DaemonProcess.repository + "/systemd/surgewatch.service"

    /// The unit with ExecStart pointing at the binary just built, in a scratch directory, with
    /// the manual its Documentation= names in `directory/man` as installed (man8/surgewatch.8).
    func unitForBuiltBinary() throws -> (directory: String, path: String) {
        let directory = NSTemporaryDirectory() + "surgewatch-unit-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory + "/man/man8", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: DaemonProcess.repository + "/docs/surgewatch.8", toPath: directory + "/man/man8/surgewatch.8")
        let text = try String(contentsOfFile: Self.unit, encoding: .utf8)
            .replacingOccurrences(of: "ExecStart=/usr/local/bin/surgewatch ", with: "ExecStart=\(DaemonProcess.binary) ")
        let path = directory + "/surgewatch.service"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (directory, path)
    }

    /// verify runs `man` on each man: page of Documentation= and says when one is not found;
    /// `manPath` is where man looks.
    func systemdAnalyze(_ arguments: [String], manPath: String? = nil) throws -> (Int32, String) {
        try runTool("/usr/bin/systemd-analyze", arguments, environment: manPath.map { ["MANPATH": $0] } ?? [:])
    }

    @Test func verifyPrintsNothing() throws {
        let (directory, path) = try unitForBuiltBinary()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (code, output) = try systemdAnalyze(["verify", path], manPath: directory + "/man")
        #expect(code == 0)
        #expect(output.isEmpty, "systemd-analyze verify said:\n\(output)")
    }

    /// The unit names its manual (systemctl help surgewatch opens it), and verify checks it is
    /// there: without the page it says so.
    @Test func verifyLooksForTheManual() throws {
        let (directory, path) = try unitForBuiltBinary()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("Documentation=man:surgewatch(8) "))
        try FileManager.default.removeItem(atPath: directory + "/man/man8/surgewatch.8")
        let (_, output) = try systemdAnalyze(["verify", path], manPath: directory + "/man")
        #expect(output.contains("man surgewatch(8)"), "\(output)")
    }

    @Test func verifyCatchesAnUnknownKeyInThisSetup() throws {
        // Guards the guard: if verify stopped reporting unknown keys here, the test above
        // would pass for nothing.
        let (directory, path) = try unitForBuiltBinary()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let broken = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "NoNewPrivileges=yes", with: "NoNewPrivilege=yes")
        try broken.write(toFile: path, atomically: true, encoding: .utf8)
        let (_, output) = try systemdAnalyze(["verify", path], manPath: directory + "/man")
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
                     "/usr/local/lib/systemd/catalog/surgewatch.catalog", "/usr/local/share/man/man8/surgewatch.8",
                     "/usr/local/share/bash-completion/completions/surgewatch", "/usr/local/share/zsh/site-functions/_surgewatch",
                     "/usr/local/share/fish/vendor_completions.d/surgewatch.fish"]
        for file in files {
            #expect(FileManager.default.fileExists(atPath: stage + file), "\(file) not installed")
        }
        #expect(FileManager.default.isExecutableFile(atPath: stage + "/usr/local/bin/surgewatch"))
        // The unit the script wrote verifies clean once its ExecStart points into the stage.
        let staged = try String(contentsOfFile: stage + "/etc/systemd/system/surgewatch.service", encoding: .utf8)
            .replacingOccurrences(of: "ExecStart=/usr/local/bin/surgewatch ", with: "ExecStart=\(stage)/usr/local/bin/surgewatch ")
        try staged.write(toFile: stage + "/surgewatch.service", atomically: true, encoding: .utf8)
        // verify finds the manual where the script put it (man looks there by default).
        let (code, output) = try systemdAnalyze(["verify", stage + "/surgewatch.service"], manPath: stage + "/usr/local/share/man")
        #expect(code == 0 && output.isEmpty, "\(output)")
        // The completions are the staged binary's own, for this shell and that.
        let bash = try String(contentsOfFile: stage + "/usr/local/share/bash-completion/completions/surgewatch", encoding: .utf8)
        #expect(bash.contains("complete -o filenames -F _surgewatch surgewatch") && bash.contains("--policy-grid"))
        // What bash offers, as a shell calls the function for the words typed so far: a
        // subcommand, an option, an option's values, a config file, a state directory.
        let (_, offered) = try runTool("/bin/bash", ["-c", """
            shopt -s extglob; source "$0"; cd "$1"
            offer() {
                COMPREPLY=(); COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
                _surgewatch surgewatch "${@: -1}" "${@: -2:1}"; echo "[${COMPREPLY[*]}]"
            }
            offer surgewatch al; offer surgewatch alerts --re; offer surgewatch run --tick-output j
            offer surgewatch run --log-level w; offer surgewatch train --select l
            offer surgewatch run --config etc/surgewatch/surge; offer surgewatch alerts --state-dir et
            """, stage + "/usr/local/share/bash-completion/completions/surgewatch", stage])
        #expect(offered == "[alerts]\n[--record]\n[json]\n[warning]\n[loss]\n[etc/surgewatch/surgewatch.toml]\n[etc]\n", "\(offered)")
        #expect(try String(contentsOfFile: stage + "/usr/local/share/zsh/site-functions/_surgewatch", encoding: .utf8).hasPrefix("#compdef surgewatch"))
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
        #expect(said == "removed surgewatch from /usr/local and its unit, catalog, manual page and shell completions\n"
                + "kept \(stage)/etc/surgewatch (the config); remove it by hand if it is no longer wanted\n"
                + "kept \(stage)/var/lib/surgewatch (the database and checkpoints: the host's history); remove it by hand if it is no longer wanted\n",
                "\(said)")
    }
}
