import Foundation
import Glibc
import Testing
@testable import SurgeSampling

/// A reader that keeps procfs files open reads each anew from offset 0; files elsewhere are
/// opened at each read.
@Suite struct KeptProcFilesTests {
    /// Jiffies the host's CPUs have spent, idle or not: the "cpu" line of /proc/stat summed.
    /// It grows with the wall clock, so a stale copy of the file shows as a sum that stands still.
    static func jiffies(_ text: ProcText) -> Int? {
        let line = String(decoding: text.bytes, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("cpu ") }
        return line.map { $0.split(separator: " ").dropFirst().compactMap { Int($0) }.reduce(0, +) }
    }

    @Test func aKeptProcFileIsGeneratedAnewAtEachRead() throws {
        let reader = ProcFileReader(keepingProcFilesOpen: true)
        let first = try #require(Self.jiffies(try reader.read("/proc/stat")))
        #expect(reader.keptDescriptors.count == 1)
        // 100 ms on two or more CPUs: at least 20 jiffies at 100 Hz, read through the same descriptor.
        Thread.sleep(forTimeInterval: 0.1)
        let second = try #require(Self.jiffies(try reader.read("/proc/stat")))
        #expect(second - first >= 10, "\(first) then \(second)")
        #expect(reader.keptDescriptors.count == 1)
    }

    @Test func readingOftenKeepsTheSameDescriptorPerFile() throws {
        let reader = ProcFileReader(keepingProcFilesOpen: true)
        let paths = ["/proc/stat", "/proc/loadavg", "/proc/meminfo"]
        for path in paths { _ = try reader.read(path) }
        let held = reader.keptDescriptors
        #expect(Set(held.keys) == Set(paths))
        for _ in 0..<200 {
            for path in paths { #expect(try reader.read(path).bytes.count > 10) }
        }
        #expect(reader.keptDescriptors == held)
        for (path, fd) in held { #expect(Self.target(of: fd) == path) }
    }

    @Test func aFileOffProcfsIsOpenedAtEachReadSoAReplacedOneIsSeen() throws {
        let directory = NSTemporaryDirectory() + "surgewatch-kept-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/loadavg"
        try "0.50 0.40 0.30 1/100 42\n".write(toFile: path, atomically: true, encoding: .utf8)
        let reader = ProcFileReader(keepingProcFilesOpen: true)
        #expect(try reader.read(path).bytes.starts(with: Array("0.50".utf8)))
        try "9.00 0.40 0.30 1/100 42\n".write(toFile: path, atomically: true, encoding: .utf8)  // a new inode
        #expect(try reader.read(path).bytes.starts(with: Array("9.00".utf8)))
        #expect(reader.keptDescriptors.isEmpty)
    }

    /// /proc/self/mem opens for root but its offset 0 is unmapped, so a read of it fails
    /// (EIO): a procfs file that is kept open and then fails. The reader must not keep a
    /// descriptor that failed, so the next read opens the file afresh.
    @Test func aKeptFileWhoseReadFailsIsClosedAndForgotten() throws {
        let reader = ProcFileReader(keepingProcFilesOpen: true)
        for _ in 0..<2 {
            #expect(throws: ProcReadError.unreadable(path: "/proc/self/mem", errno: EIO)) {
                try reader.read("/proc/self/mem")
            }
            #expect(reader.keptDescriptors.isEmpty)
        }
        _ = try reader.read("/proc/stat")
        let kept = try #require(reader.keptDescriptors["/proc/stat"])
        #expect(reader.keptDescriptors.count == 1)
        #expect(Self.target(of: kept) == "/proc/stat")
    }

    /// Where descriptor `fd` of this process points, nil when it is closed.
    static func target(of fd: Int32) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")
    }

    @Test func theDescriptorsCloseWithTheReader() throws {
        var held: [String: Int32] = [:]
        do {
            let reader = ProcFileReader(keepingProcFilesOpen: true)
            _ = try reader.read("/proc/stat")
            _ = try reader.read("/proc/meminfo")
            held = reader.keptDescriptors
            #expect(held.count == 2)
        }
        // Closed: each number is free, or another test's file has it since.
        for (path, fd) in held { #expect(Self.target(of: fd) != path, "\(path) still open as \(fd)") }
    }

    @Test func aReaderThatDoesNotKeepClosesEachFile() throws {
        let reader = ProcFileReader()
        _ = try reader.read("/proc/stat")
        #expect(reader.keptDescriptors.isEmpty)
    }
}
