import Foundation

/// Programs some tests drive (nginx, node_exporter, promtool): from their installed packages,
/// else where scripts/test-tools unpacked them, under .build/test-tools (not installed, so none
/// of them starts as a service on the machine).
enum TestTools {
    static func path(_ relative: String) -> String {
        let installed = "/" + relative
        return FileManager.default.isExecutableFile(atPath: installed) ? installed : DaemonProcess.repository + "/.build/test-tools/" + relative
    }
}
