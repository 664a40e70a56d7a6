import Foundation
import Glibc
import TestSupport

/// A real Alertmanager (Debian's prometheus-alertmanager; scripts/test-tools unpacks it) on
/// 127.0.0.1, routing every alert at once to a webhook, killed with this object.
///
/// Debian's build reads its default template from /usr/share/prometheus/alertmanager, which an
/// unpacked package does not fill: there it runs in a mount namespace of its own with the
/// unpacked /usr/share laid over the system's (an overlay, read-only; root only).
final class AlertmanagerProcess {
    static let binary = TestTools.path("usr/bin/prometheus-alertmanager")
    static let systemTemplate = "/usr/share/prometheus/alertmanager/default.tmpl"

    let process = Process()
    let port: Int
    let directory: String
    var base: String { "http://127.0.0.1:\(port)" }

    /// Why one cannot run here, or nil.
    static var unavailable: String? {
        guard FileManager.default.isExecutableFile(atPath: binary) else { return "needs \(binary): scripts/test-tools unpacks it" }
        if !FileManager.default.fileExists(atPath: systemTemplate) && geteuid() != 0 {
            return "an unpacked Alertmanager needs root here (a mount namespace for its templates)"
        }
        return nil
    }

    /// `port`: where to listen (a test that starts it late names the port its daemon already posts to).
    init(webhook: String, port: Int? = nil) throws {
        self.port = try port ?? LoopbackPort.unused()
        directory = NSTemporaryDirectory() + "surgewatch-am-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // group_wait 1s: the receiver hears within a second or two, as a test needs.
        try """
            route:
              receiver: hook
              group_by: [alertname, instance]
              group_wait: 1s
              group_interval: 1s
              repeat_interval: 1h
            receivers:
              - name: hook
                webhook_configs:
                  - url: \(webhook)
                    send_resolved: true
            """.write(toFile: directory + "/alertmanager.yml", atomically: true, encoding: .utf8)
        let arguments = ["--config.file=\(directory)/alertmanager.yml", "--storage.path=\(directory)/data",
                         "--web.listen-address=127.0.0.1:\(self.port)", "--cluster.listen-address="]
        if FileManager.default.fileExists(atPath: Self.systemTemplate) {
            process.executableURL = URL(fileURLWithPath: Self.binary)
            process.arguments = arguments
        } else {
            let share = URL(fileURLWithPath: Self.binary).deletingLastPathComponent().deletingLastPathComponent().path + "/share"
            process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            process.arguments = ["--mount", "/bin/sh", "-c",
                                 "mount -t overlay overlay -o lowerdir=\(share):/usr/share /usr/share && exec \"$0\" \"$@\"", Self.binary]
                + arguments
        }
        process.standardOutput = FileHandle.nullDevice
        let log = directory + "/log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while (try? runTool("/usr/bin/curl", ["-s", "\(base)/-/ready"]).output) != "OK" {
            guard Date() < deadline, process.isRunning else {
                throw AlertmanagerFailed(log: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
            }
            usleep(100_000)
        }
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The alerts the API lists (active, suppressed or unprocessed: not those resolved).
    func alerts() throws -> [[String: Any]] {
        let text = try runTool("/usr/bin/curl", ["-s", "\(base)/api/v2/alerts"]).output
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] ?? []
    }

    struct AlertmanagerFailed: Error, CustomStringConvertible {
        let log: String
        var description: String { "Alertmanager did not become ready: \(log.suffix(2000))" }
    }
}

extension [String: Any] {
    var labels: [String: String] { self["labels"] as? [String: String] ?? [:] }
    var annotations: [String: String] { self["annotations"] as? [String: String] ?? [:] }
}
