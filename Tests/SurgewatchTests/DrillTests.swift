import Foundation
import Testing

/// `drill/run --short` with the built binary: a real shop on 127.0.0.1 overloaded twice by an
/// open-loop load generator, surgewatch at 1 s ticks beside a private journald, judged from the
/// outside by drill/check.py (about four minutes).
@Suite(.serialized, .enabled(if: PrivateJournal.available && Nginx.installed, "needs root, unshare, systemd-journald and nginx"))
struct DrillTests {
    @Test func shortDrillWarnsOfBothSalesAndStaysQuietInTheCalm() throws {
        let (status, text) = try runScriptLeavingServers(DaemonProcess.repository + "/drill/run",
                                                         ["--short", "--binary", DaemonProcess.binary])
        #expect(status == 0, "\(text)")
        let last = text.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.wholeMatch(of: /lead_seconds=\d+ false_alarms=0/) != nil, "\(text)")
    }
}

enum Nginx {
    /// drill/run looks in the same places: the PATH's nginx aside, these.
    static let installed = ["/usr/bin/nginx", TestTools.path("usr/sbin/nginx")].contains { FileManager.default.isExecutableFile(atPath: $0) }
}
