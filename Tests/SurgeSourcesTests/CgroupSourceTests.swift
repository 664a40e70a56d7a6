import Foundation
import Testing
import SurgeSampling
@testable import SurgeSources

/// The cgroup source over cgroup trees captured from a real kernel (Fixtures/README.md): a pure
/// v2 host, a hybrid host without the v2 memory controller, a v1-only host, and a unit that
/// starts and stops between reads.
@Suite struct CgroupSourceTests {
    static let fixtures = Bundle.module.resourcePath! + "/Fixtures"

    /// A writable copy of `snapshot` (t0), so a test can lay t1 over it between two reads.
    final class Tree {
        let root = NSTemporaryDirectory() + "surgewatch-cgroup-\(UUID().uuidString)"
        init(_ layout: String, _ snapshot: String? = "t0") throws {
            // No trailing slash on the source: Foundation then writes the copy beside `root`
            // (root + "cpu"), where nothing cleans it up.
            let source = [CgroupSourceTests.fixtures, layout, snapshot].compactMap { $0 }.joined(separator: "/")
            try FileManager.default.copyItem(atPath: source, toPath: root)
        }
        func replace(with layout: String, _ snapshot: String) throws {
            try FileManager.default.removeItem(atPath: root)
            try FileManager.default.copyItem(atPath: "\(CgroupSourceTests.fixtures)/\(layout)/\(snapshot)", toPath: root)
        }
        /// Moves the unit directory at `relative` aside, as if the unit stopped; `start()` puts
        /// a copy back.
        func stop(_ relative: String) throws -> (start: () throws -> Void, unit: String) {
            let unit = root + "/" + relative, stash = root + "-stash"
            try FileManager.default.moveItem(atPath: unit, toPath: stash)
            return ({ try FileManager.default.copyItem(atPath: stash, toPath: unit) }, unit)
        }
        deinit {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: root + "-stash")
        }
    }

    @Test func unifiedHost() async throws {
        let tree = try Tree("cgroup-v2")
        let source = CgroupSource(name: "shop", unit: "shop.service", cgroupRoot: tree.root)
        #expect(source.metricNames == ["shop_cgroup_cpu_usage_cores", "shop_cgroup_memory_bytes", "shop_cgroup_psi_cpu_some_avg10",
                                       "shop_cgroup_psi_mem_some_avg10", "shop_cgroup_psi_io_some_avg10"])
        let first = await source.read(monotonicSeconds: 100)
        #expect(first.problems.isEmpty)
        #expect(first.values[0].isNaN, "CPU use needs two reads")
        #expect(Array(first.values[1...]) == [52_297_728, 0, 0, 0])
        try tree.replace(with: "cgroup-v2", "t1")
        let second = await source.read(monotonicSeconds: 101.5)
        #expect(second.problems.isEmpty)
        #expect(abs(second.values[0] - (2_016_318 - 102_609) / 1e6 / 1.5) < 1e-9)
        #expect(Array(second.values[1...]) == [318_767_104, 6.52, 0, 0])
    }

    @Test func unitInANestedSliceIsFound() async throws {
        let tree = try Tree("cgroup-v2")
        let reading = await CgroupSource(name: nil, unit: "batch.service", cgroupRoot: tree.root).read(monotonicSeconds: 0)
        #expect(reading.problems.isEmpty)
        #expect(reading.values[1] == 52_297_728)
    }

    @Test func hybridHostHasNoMemoryController() async throws {
        let tree = try Tree("cgroup-hybrid")
        let source = CgroupSource(name: nil, unit: "shop.service", cgroupRoot: tree.root)
        _ = await source.read(monotonicSeconds: 0)
        try tree.replace(with: "cgroup-hybrid", "t1")
        let reading = await source.read(monotonicSeconds: 1.5)
        #expect(reading.values[0] > 1.27 && reading.values[0] < 1.28)
        #expect(reading.values[1].isNaN)
        #expect(Array(reading.values[2...]) == [6.52, 0, 0])
        let path = tree.root + "/unified/system.slice/shop.service/memory.current"
        #expect(reading.problems == [SourceProblem(kind: .absentFeature, location: path,
            message: "\(path) is absent (controller not enabled for shop.service, or a kernel without PSI): that metric stays missing")])
    }

    /// A unit's pressure files on a kernel with PSI turned off: empty (or refusing reads) is the
    /// kernel's setting, said as absent; an empty memory.current is still a fault.
    @Test func emptyPressureFilesArePSITurnedOff() async throws {
        let tree = try Tree("cgroup-v2")
        let unit = tree.root + "/system.slice/shop.service"
        try Data().write(to: URL(fileURLWithPath: unit + "/cpu.pressure"))
        let reading = await CgroupSource(name: nil, unit: "shop.service", cgroupRoot: tree.root).read(monotonicSeconds: 0)
        #expect(reading.values[2].isNaN && reading.values[3] == 0)
        #expect(reading.problems == [SourceProblem(kind: .absentFeature, location: unit + "/cpu.pressure",
            message: "\(unit)/cpu.pressure reads empty: that metric stays missing, as on a kernel with PSI built in and turned off "
                + "at boot (CONFIG_PSI_DEFAULT_DISABLED, as RHEL 8's kernels ship, or psi=0): psi=1 on the kernel command line turns it on")])
        try Data().write(to: URL(fileURLWithPath: unit + "/memory.current"))
        let broken = await CgroupSource(name: nil, unit: "shop.service", cgroupRoot: tree.root).read(monotonicSeconds: 0)
        #expect(broken.problems.map(\.kind) == [.failure, .absentFeature], "\(broken.problems)")
    }

    @Test func v1OnlyHost() async throws {
        let tree = try Tree("cgroup-v1", nil)
        let reading = await CgroupSource(name: nil, unit: "shop.service", cgroupRoot: tree.root).read(monotonicSeconds: 0)
        #expect(reading.values.allSatisfy { $0.isNaN })
        #expect(reading.problems.map(\.kind) == [.absentFeature])
        #expect(reading.problems.first?.message == "no cgroup v2 hierarchy at \(tree.root) (cgroup v1 only): cgroup metrics of shop.service stay missing")
    }

    /// Outside system.slice, a unit that is not running is looked for by a walk of the tree at
    /// most once a minute, not every tick.
    @Test func aMissingUnitInANestedSliceIsWalkedForOnceAMinute() async throws {
        let tree = try Tree("cgroup-v2")
        let (start, _) = try tree.stop("work.slice/batch.slice/batch.service")
        let source = CgroupSource(name: nil, unit: "batch.service", cgroupRoot: tree.root)
        #expect(await source.read(monotonicSeconds: 0).values[1].isNaN, "walked at 0: not there")
        try start()
        #expect(await source.read(monotonicSeconds: 30).values[1].isNaN, "30 s later: no walk yet")
        #expect(await source.read(monotonicSeconds: 59.9).values[1].isNaN)
        #expect(await source.read(monotonicSeconds: 60).values[1] == 52_297_728, "a minute after the last walk")
    }

    @Test func unitThatStartsAndStops() async throws {
        let tree = try Tree("cgroup-v2")
        let (start, unit) = try tree.stop("system.slice/shop.service")
        let source = CgroupSource(name: nil, unit: "shop.service", cgroupRoot: tree.root)

        let stopped = await source.read(monotonicSeconds: 0)
        #expect(stopped.values.allSatisfy { $0.isNaN })
        #expect(stopped.problems.map(\.message) == ["no cgroup for shop.service under \(tree.root): is the unit running?"])

        try start()
        let started = await source.read(monotonicSeconds: 10)
        #expect(started.problems.isEmpty)
        #expect(started.values[1] == 52_297_728)

        try FileManager.default.removeItem(atPath: unit)
        let gone = await source.read(monotonicSeconds: 20)
        #expect(gone.values.allSatisfy { $0.isNaN })
        #expect(gone.problems.map(\.kind) == [.failure])
    }

    @Test(arguments: [
        ("usage_usec x\n", "cpu.stat:1: expected microseconds after usage_usec, got 'x'"),
        ("user_usec 5\n", "cpu.stat: no usage_usec line"),
    ])
    func malformedCPUStat(body: String, message: String) {
        #expect(throws: ProcParseError.self) { try CgroupFiles.cpuUsageMicroseconds(ProcText(path: "cpu.stat", string: body)) }
        do { _ = try CgroupFiles.cpuUsageMicroseconds(ProcText(path: "cpu.stat", string: body)) } catch {
            #expect(error.description == message)
        }
    }

    @Test func malformedMemoryCurrent() throws {
        #expect(throws: ProcParseError.self) { try CgroupFiles.memoryBytes(ProcText(path: "memory.current", string: "max\n")) }
        #expect(throws: ProcParseError.self) { try CgroupFiles.memoryBytes(ProcText(path: "memory.current", string: "")) }
        #expect(try CgroupFiles.memoryBytes(ProcText(path: "memory.current", string: "4096\n")) == 4096)
    }
}
