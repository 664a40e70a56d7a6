import Foundation
import Testing

/// The harness the end-to-end tests read the binary through.
@Suite struct DaemonProcessTests {
    /// A command that writes 60 KiB at once and exits, run six at a time: each is read whole.
    /// Foundation's readabilityHandler, which read them before, lost the rest after the first
    /// 8 or 16 KiB in about one run of six here, and waited its 5 s for a pipe's end that
    /// never came.
    @Test(arguments: 0..<6) func aCommandsWholeOutputIsReadWhileOthersRun(_ run: Int) throws {
        for _ in 0..<3 {
            let (code, out, err) = try DaemonProcess.run(["--experimental-dump-help"])
            #expect(code == 0, "\(err)")
            #expect(out.utf8.count > 32_768 && (try? JSONSerialization.jsonObject(with: Data(out.utf8))) != nil,
                    "run \(run): \(out.utf8.count) bytes, not the whole help")
        }
    }
}
