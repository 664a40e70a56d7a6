import Foundation
import Testing

/// `drill/run --short` with the built binary: a real shop on 127.0.0.1 overloaded twice by an
/// open-loop load generator, surgewatch at 1 s ticks beside a private journald, judged from the
/// outside by drill/check.py (about four minutes).
@Suite(.serialized, .enabled(if: PrivateJournal.available && Nginx.installed, "needs root, unshare, systemd-journald and nginx"))
struct DrillTests {
    @Test func shortDrillWarnsOfBothSalesAndStaysQuietInTheCalm() throws {
        let drill = Process()
        drill.executableURL = URL(fileURLWithPath: DaemonProcess.repository + "/drill/run")
        drill.arguments = ["--short", "--binary", DaemonProcess.binary]
        // A file, not a pipe: the drill's background servers inherit the descriptors, and a pipe
        // would not reach its end before the last of them is gone.
        let log = NSTemporaryDirectory() + "surgewatch-drill-\(UUID().uuidString.prefix(8)).log"
        #expect(FileManager.default.createFile(atPath: log, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: log) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        drill.standardOutput = output
        drill.standardError = output
        try drill.run()
        drill.waitUntilExit()
        try output.close()
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(drill.terminationStatus == 0, "\(text)")
        let last = text.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.wholeMatch(of: /lead_seconds=\d+ false_alarms=0/) != nil, "\(text)")
    }
}

enum Nginx {
    static let installed = ["/usr/sbin/nginx", "/usr/bin/nginx"].contains { FileManager.default.isExecutableFile(atPath: $0) }
}
