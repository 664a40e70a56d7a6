import Foundation
import Testing

/// Files the daemon's user cannot read: the shipped unit runs the daemon as a dynamic user,
/// and a file root wrote under umask 077 is root's alone. A `model.path` file is passed over
/// for the built-in model, as an absent one is, and said with why and what the unit needs;
/// the config stops the start, with the same; check-config, run as root, says both from the
/// files' modes. Run for real: the daemon as another user (setpriv), the modes as root left them.
@Suite(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs root and setpriv"))
final class DynamicUserAccessTests {
    let scratch: Scratch
    var model: String { scratch.state + "/mine.swm" }
    static let nobody: UInt32 = 65534

    /// The binary where the other user can reach it (a checkout under umask 077 is root's
    /// alone): a link or copy in the scratch directory, removed with it.
    var binary: String { scratch.directory + "/surgewatch" }

    init() throws {
        // /proc itself, not the checkout's fixture trees, for the same reason.
        scratch = try Scratch(config: DaemonEndToEndTests.config(procRoot: "/proc") + "[model]\npath = \"mine.swm\"\n")
        chmod(scratch.directory, 0o755)
        if link(DaemonProcess.binary, binary) != 0 {
            try FileManager.default.copyItem(atPath: DaemonProcess.binary, toPath: binary)
        }
        chmod(binary, 0o755)
        try FileManager.default.createDirectory(atPath: scratch.state, withIntermediateDirectories: true)
        // The built-in model, saved as a file: it fits the config.
        let (code, _, err) = try DaemonProcess.run(["replay", "--config", DaemonProcess.repository + "/config/surgewatch.toml", "--no-learn",
                                                    "--input", ReplayCommandTests.trace, "--output", scratch.directory + "/p.csv", "--save-model", model])
        #expect(code == 0, "\(err)")
        // The state directory the daemon's user owns, as systemd makes it for a dynamic user.
        #expect(chown(scratch.state, Self.nobody, Self.nobody) == 0)
    }

    func runAsNobody() throws -> DaemonProcess {
        let daemon = try DaemonProcess(["--reuid=\(Self.nobody)", "--regid=\(Self.nobody)", "--clear-groups", binary, "run",
                                        "--config", scratch.config, "--state-dir", scratch.state, "--max-ticks", "1", "--tick-output", "none"],
                                       executable: "/usr/bin/setpriv")
        #expect(daemon.waitForExit(.seconds(30)) == 0, "\(daemon.stderr)")
        return daemon
    }

    @Test func aModelOnlyRootCanReadIsSaidWithWhatTheUnitNeeds() throws {
        #expect(chmod(model, 0o600) == 0)
        let (code, _, err) = try DaemonProcess.run(["check-config", "--state-dir", scratch.state, scratch.config])
        #expect(code == 0, "a warning, not an error: the daemon starts from the built-in model: \(err)")
        #expect(err.contains("warning: \(scratch.config): model.path \(model) is mode 600 and owned by uid 0: the shipped unit runs the daemon as "
                             + "a dynamic user (DynamicUser=yes), which could not read it and would predict from another model; chmod 644 it\n"), "\(err)")
        let daemon = try runAsNobody()
        #expect(daemon.stderr.contains("predicting from the built-in default model; "), "\(daemon.stderr)")
        #expect(daemon.stderr.contains("warning surgewatch: [SurgeDaemon] model.path cannot be read (\(model): Permission denied), so the daemon predicts from "
                                       + "the built-in default model instead; the shipped unit runs the daemon as a dynamic user (DynamicUser=yes), "
                                       + "so the file must be readable by others (chmod 644)\n"), "\(daemon.stderr)")
    }

    @Test func aConfigOnlyRootCanReadIsSaidBeforeTheStartItWouldStop() throws {
        #expect(chmod(model, 0o644) == 0 && chmod(scratch.config, 0o600) == 0)
        let (code, _, err) = try DaemonProcess.run(["check-config", "--state-dir", scratch.state, scratch.config])
        #expect(code == 0, "\(err)")
        #expect(err.contains("warning: \(scratch.config) is mode 600 and owned by uid 0: the shipped unit runs the daemon as a dynamic user "
                             + "(DynamicUser=yes), which could not read it: it would not start, and a reload would be refused; chmod 644 it\n"), "\(err)")
        let daemon = try DaemonProcess(["--reuid=\(Self.nobody)", "--regid=\(Self.nobody)", "--clear-groups", binary, "run",
                                        "--config", scratch.config, "--state-dir", scratch.state, "--max-ticks", "1"], executable: "/usr/bin/setpriv")
        #expect(daemon.waitForExit(.seconds(30)) == 1, "\(daemon.stderr)")
        #expect(daemon.stderr.contains("\(scratch.config): cannot read the file: Permission denied (read as uid \(Self.nobody); under the shipped unit, "
                                       + "a dynamic user, the file must be readable by others: chmod 644)"), "\(daemon.stderr)")
    }

    /// An app server's unix socket that only its owner may write to: connecting takes write
    /// permission, and curl's own words ("port 80 ... Couldn't connect to server") would not say
    /// so; the daemon does, with what the unit needs. Open to all, the same probe is up.
    @Test func aUnixSocketTheDaemonsUserMayNotWriteIsSaid() throws {
        let socket = scratch.directory + "/app.sock"
        let server = try ApplicationSourcesEndToEndTests.Server(unixSocket: socket)
        defer { withExtendedLifetime(server) {} }  // up to here: its deinit stops the server
        let url = "http://shop.example.com/vhost/shop.example.com"
        try scratch.write(config: DaemonEndToEndTests.config(procRoot: "/proc") + "[model]\npath = \"mine.swm\"\n"
                          + "[[sources.probe]]\nurl = \"\(url)\"\nunix_socket = \"\(socket)\"\n")
        #expect(chmod(socket, 0o755) == 0)
        let refused = try runAsNobody()
        #expect(refused.stderr.contains("source probe \(url) failed: \(url) (at unix:\(socket)): connection failed: \(socket): Permission denied "
                                        + "(read as uid \(Self.nobody): connecting takes write permission on the socket; under the shipped unit, "
                                        + "a socket only a group may write to takes SupplementaryGroups=GROUP in a drop-in)"), "\(refused.stderr)")
        #expect(chmod(socket, 0o666) == 0)
        let served = try runAsNobody()
        #expect(!served.stderr.contains("source probe"), "\(served.stderr)")
    }

    /// `train` writes under the caller's umask, as tools do, and says when that leaves the
    /// model unreadable to the unit's user, where the file is made.
    @Test func trainSaysWhenItsModelIsTheOwnersAlone() throws {
        for umask in ["077", "022"] {
            let trained = scratch.directory + "/trained-\(umask).swm"
            let train = try DaemonProcess(["-c", "umask \(umask) && exec '\(DaemonProcess.binary)' train --config '\(ReplayCommandTests.config)' "
                                           + "--input '\(ReplayCommandTests.trace)' --output '\(trained)' --epochs 1"], executable: "/bin/bash")
            #expect(train.waitForExit(.seconds(120)) == 0, "\(train.stderr)")
            let note = "note: \(trained) is mode 600 (the umask): the shipped unit runs the daemon as a dynamic user, which could not read it as model.path; chmod 644 it there\n"
            #expect(train.stderr.hasSuffix(note) == (umask == "077"), "\(umask): \(train.stderr)")
        }
    }

    /// A textfile in a directory the daemon's user may not write (root's, 0755, as
    /// node_exporter's Debian one is): each failed write says what the shipped unit needs.
    @Test func aTextfileWhereTheDaemonsUserMayNotWriteSaysWhatTheUnitNeeds() throws {
        #expect(chmod(model, 0o644) == 0)
        let collector = scratch.directory + "/node-exporter"
        try FileManager.default.createDirectory(atPath: collector, withIntermediateDirectories: false)
        #expect(chmod(collector, 0o755) == 0)
        try scratch.write(config: DaemonEndToEndTests.config(procRoot: "/proc") + "[model]\npath = \"mine.swm\"\n"
                          + "[prometheus]\ntextfile = \"\(collector)/surgewatch.prom\"\n")
        let daemon = try runAsNobody()
        #expect(daemon.stderr.contains("source prometheus textfile failed: \(collector)/surgewatch.prom.tmp: Permission denied; the shipped unit writes only "
                                       + "its own /run/surgewatch (ProtectSystem=strict, DynamicUser=yes): point node_exporter's "
                                       + "--collector.textfile.directory there, or give the unit this directory in a drop-in (ReadWritePaths=)"),
                "\(daemon.stderr)")
    }

    @Test func aModelOthersCanReadServesAndNothingIsSaid() throws {
        #expect(chmod(model, 0o644) == 0)
        let (code, _, err) = try DaemonProcess.run(["check-config", "--state-dir", scratch.state, scratch.config])
        #expect(code == 0 && !err.contains("model.path"), "\(err)")
        let daemon = try runAsNobody()
        #expect(daemon.stderr.contains("predicting from \(model); "), "\(daemon.stderr)")
        #expect(!daemon.stderr.contains("model.path cannot be read"), "\(daemon.stderr)")
        // Owned by the state directory's owner (the daemon's user), mode 600 is its own to read.
        #expect(chmod(model, 0o600) == 0 && chown(model, Self.nobody, Self.nobody) == 0)
        let (_, _, owned) = try DaemonProcess.run(["check-config", "--state-dir", scratch.state, scratch.config])
        #expect(!owned.contains("model.path"), "\(owned)")
        #expect(try runAsNobody().stderr.contains("predicting from \(model); "))
    }
}
