import Foundation
import Testing
@testable import SurgeDaemon

/// The state directory is made as `mkdir -p` makes it, and a failure names the directory and
/// the kernel's reason, not a Foundation error's dump.
@Suite struct StateDirectoryTests {
    let scratch = NSTemporaryDirectory() + "surgewatch-state-\(UUID().uuidString)"

    @Test func aRelativeStateDirectoryIsMadeAbsoluteWithoutDotComponents() {
        #expect(StateDirectory.absolute("./state", from: "/srv/shop") == "/srv/shop/state")
        #expect(StateDirectory.absolute("state/./db/", from: "/srv/shop/") == "/srv/shop/state/db")
        #expect(StateDirectory.absolute("../state", from: "/srv/shop") == "/srv/shop/../state", "a symlink may stand before ..")
        #expect(StateDirectory.absolute("/var/lib//surgewatch/.", from: "/srv") == "/var/lib/surgewatch")
        #expect(StateDirectory.resolve(override: "./state", environment: [:]).hasSuffix("/state"))
        #expect(!StateDirectory.resolve(override: "./state", environment: [:]).contains("/./"))
    }

    @Test func missingParentsAreMadeAndAnExistingDirectoryIsKept() throws {
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try StateDirectory.prepare(scratch + "/a/b/c")
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: scratch + "/a/b/c", isDirectory: &isDirectory) && isDirectory.boolValue)
        try StateDirectory.prepare(scratch + "/a/b/c")
        try StateDirectory.prepare(scratch + "/a/b/c/")
    }

    @Test func aFileInTheWayIsNamed() throws {
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: scratch + "/file", contents: Data())
        let inTheWay = #expect(throws: DaemonError.self) { try StateDirectory.prepare(scratch + "/file") }
        #expect(inTheWay?.description == "state directory \(scratch)/file: cannot create it: \(scratch)/file exists and is not a directory")
        let under = #expect(throws: DaemonError.self) { try StateDirectory.prepare(scratch + "/file/state") }
        #expect(under?.description == "state directory \(scratch)/file/state: cannot create it: \(scratch)/file exists and is not a directory")
    }

    @Test func theKernelsReasonIsGiven() {
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let long = scratch + "/" + String(repeating: "x", count: 300)
        let failure = #expect(throws: DaemonError.self) { try StateDirectory.prepare(long) }
        #expect(failure?.description == "state directory \(long): cannot create it: \(long): File name too long")
    }
}
