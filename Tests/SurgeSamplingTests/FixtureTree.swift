import Foundation
@testable import SurgeSampling

/// Paths of the fixture /proc trees and helpers to read or copy them.
enum FixtureTree {
    static let root = Bundle.module.resourcePath! + "/Fixtures/linux-6.18"

    static func path(_ snapshot: String, _ file: String) -> String { "\(root)/\(snapshot)/\(file)" }

    static func text(_ snapshot: String, _ file: String) throws -> ProcText {
        try ProcFileReader().read(path(snapshot, file))
    }

    /// A writable copy of a snapshot, so a test can break or remove single files.
    static func copy(_ snapshot: String) throws -> String {
        let target = NSTemporaryDirectory() + "surgewatch-proc-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: "\(root)/\(snapshot)", toPath: target)
        return target
    }
}
