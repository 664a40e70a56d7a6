import Foundation
import Testing

/// The installed unit under a live systemd (`scripts/live-systemd-check`): `scripts/install` runs
/// beside systemd as PID 1 of private namespaces, which starts, reloads, stops and restarts the
/// daemon with the unit's whole hardening; every check is read back through systemctl,
/// journalctl and the database.
@Suite(.serialized, .enabled(if: LiveSystemd.available, "needs root, unshare and /lib/systemd/systemd"))
struct LiveSystemdTests {
    @Test func theHardenedUnitRunsTheDaemonUnderALiveSystemd() throws {
        let (status, text) = try runScriptLeavingServers(DaemonProcess.repository + "/scripts/live-systemd-check",
                                                         ["--binary", DaemonProcess.binary])
        #expect(status == 0, "\(text)")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.last == "all checks passed", "\(text)")
        // The checks that matter most, by name, so that a check dropped from the script shows.
        for check in ["scripts/install (under umask 077), then systemctl enable --now", "systemctl help surgewatch finds its manual", "every feature read under the sandbox", "no line but its own structured entries",
                      "watchdog pings reach systemd", "a bad config's reload is refused", "explained by journalctl -x",
                      "pushed to [alertmanager] as it fired and resolved",
                      "a restart resumes", "surgewatch forget beside the running service: the daemon", "(asked under umask 077)", "restarted by the watchdog", "joined by NetworkNamespacePath=, its queue reads 0.5",
                      "a restart takes the new build", "probe_up 1 (the virtual host's Host header; by name with connect_to; on a unix socket; with a LoadCredential= client key, mutual TLS)", "(scraped with the LoadCredential= token)",
                      "a rotated LoadCredential= token is sent after systemctl restart",
                      "scripts/install --uninstall: the daemon stopped cleanly"] {
            #expect(lines.contains { $0.hasPrefix("ok: ") && $0.contains(check) }, "\(check): \(text)")
        }
    }
}

enum LiveSystemd {
    static let available = MountNamespace.available && FileManager.default.isExecutableFile(atPath: "/lib/systemd/systemd")
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/nsenter")
}
