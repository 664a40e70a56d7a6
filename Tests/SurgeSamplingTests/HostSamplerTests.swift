import Foundation
import Testing
@testable import SurgeSampling

/// The sampler over real snapshots fed in sequence through a symlink, with injected time.
@Suite struct HostSamplerTests {
    /// A proc root whose content can be switched between snapshots.
    final class SwitchableRoot {
        let link = NSTemporaryDirectory() + "surgewatch-root-\(UUID().uuidString)"
        func point(at directory: String) throws {
            try? FileManager.default.removeItem(atPath: link)
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: directory)
        }
        deinit { try? FileManager.default.removeItem(atPath: link) }
    }

    /// Reads snapshot `first`, then `second` `seconds` later, through one sampler; returns the
    /// second reading (the one with rates).
    func readPair(_ first: String, then second: String, seconds: Double) throws -> SourceReading {
        let root = SwitchableRoot()
        try root.point(at: FixtureTree.root + "/" + first)
        var sampler = HostSampler(procRoot: root.link)
        _ = sampler.read(monotonicSeconds: 100)
        try root.point(at: FixtureTree.root + "/" + second)
        return sampler.read(monotonicSeconds: 100 + seconds)
    }

    func value(_ reading: SourceReading, _ metric: HostMetric) -> Double {
        reading.values[metric.slot]
    }

    @Test func firstReadHasGaugesButNoRates() throws {
        var sampler = HostSampler(procRoot: FixtureTree.root + "/t0")
        let reading = sampler.read(monotonicSeconds: 100)
        #expect(reading.problems.isEmpty)
        #expect(value(reading, .load1) == 0.33)
        #expect(value(reading, .procsRunning) == 1)
        #expect(value(reading, .tcpTimeWait) == 2)
        #expect(value(reading, .swapUsedRatio) == 0, "no swap configured means none used")
        for rate in [HostMetric.cpuBusy, .netRxBytesPerS, .tcpActiveOpensPerS, .tcpListenOverflowsPerS, .diskBusyRatio] {
            #expect(value(reading, rate).isNaN, "\(rate.rawValue) needs two reads")
        }
    }

    @Test func listenQueuesComeFromTheirReaderAndAFailureIsReportedNotFatal() throws {
        var sampler = HostSampler(procRoot: FixtureTree.root + "/t0",
                                  listenQueues: { .success(ListenQueues(listeners: 3, queued: 120, fullest: 0.47)) })
        var reading = sampler.read(monotonicSeconds: 100)
        #expect(value(reading, .tcpListenQueued) == 120)
        #expect(value(reading, .tcpListenQueueRatio) == 0.47)
        #expect(reading.problems.isEmpty)

        sampler = HostSampler(procRoot: FixtureTree.root + "/t0", listenQueues: { .failure(ListenQueueError(errno: EACCES)) })
        reading = sampler.read(monotonicSeconds: 100)
        #expect(value(reading, .tcpListenQueued).isNaN && value(reading, .tcpListenQueueRatio).isNaN)
        #expect(value(reading, .load1) == 0.33, "the rest of the host is still read")
        #expect(reading.problems.map(\.location) == ["netlink sock_diag"])
        #expect(reading.problems.first?.message.contains("Permission denied") == true)
    }

    /// The shop's ports with no listener (the shop down, or in a container's network namespace)
    /// leave the queue metrics missing, said as the source's failure, not an empty queue's 0;
    /// once a socket listens there they are read again. On the live kernel, with a real socket.
    @Test func theShopsPortsWithoutAListenerLeaveTheQueueMissing() throws {
        var server: LoopbackListener? = try LoopbackListener(family: AF_INET, backlog: 4)
        let port = try #require(server?.port)
        var sampler = HostSampler(procRoot: "/proc", listenPorts: [port])
        var reading = sampler.read(monotonicSeconds: 100)
        #expect(value(reading, .tcpListenQueued) == 0 && value(reading, .tcpListenQueueRatio) == 0)
        #expect(!reading.problems.contains { $0.location == "sources.listen_ports" })
        server = nil  // closed: nothing listens on the port
        reading = sampler.read(monotonicSeconds: 110)
        #expect(value(reading, .tcpListenQueued).isNaN && value(reading, .tcpListenQueueRatio).isNaN)
        let problem = try #require(reading.problems.first { $0.location == "sources.listen_ports" })
        #expect(problem.kind == .failure)
        #expect(problem.message == "no socket listens on port \(port) (sources.listen_ports) in surgewatch's network namespace, so "
                + "tcp_listen_queued and tcp_listen_queue_ratio stay missing: the shop is down, or listens in a namespace of its own, "
                + "as in a container (OPERATING.md, \"A shop in containers\")")
        #expect(value(reading, .load1) >= 0, "the rest of the host is still read")
        // Every listener of the host counts when no port is named: none is no failure then.
        var any = HostSampler(procRoot: FixtureTree.root + "/t0", listenQueues: { .success(ListenQueues(listeners: 0, queued: 0, fullest: 0)) })
        reading = any.read(monotonicSeconds: 100)
        #expect(reading.problems.isEmpty && value(reading, .tcpListenQueueRatio) == 0)
        #expect(HostSampler.noListener([80, 443]).hasPrefix("no socket listens on ports 80, 443 (sources.listen_ports)"))
    }

    @Test func aProcTreeOtherThanTheLiveOneHasNoListenQueues() throws {
        var sampler = HostSampler(procRoot: FixtureTree.root + "/t0")
        let reading = sampler.read(monotonicSeconds: 100)
        #expect(value(reading, .tcpListenQueued).isNaN && value(reading, .tcpListenQueueRatio).isNaN)
        #expect(reading.problems.isEmpty)
    }

    @Test func theLiveProcHasThem() throws {
        var sampler = HostSampler(procRoot: "/proc/")
        let reading = sampler.read(monotonicSeconds: 100)
        #expect(value(reading, .tcpListenQueued) >= 0)
        #expect((0...1).contains(value(reading, .tcpListenQueueRatio)))
    }

    @Test func ratesBetweenTwoRealSnapshots() throws {
        let reading = try readPair("t0", then: "t1", seconds: 5)
        #expect(reading.problems.isEmpty)
        // cpu: total 19783 -> 20784 jiffies, idle +573, iowait +8, steal +0
        #expect(abs(value(reading, .cpuBusy) - (1 - 581.0 / 1001)) < 1e-12)
        #expect(abs(value(reading, .cpuIowait) - 8.0 / 1001) < 1e-12)
        #expect(value(reading, .cpuSteal) == 0)
        // Tcp ActiveOpens 11 -> 41 in 5 s; the 30 connections to a closed port.
        #expect(value(reading, .tcpActiveOpensPerS) == 6)
        #expect(value(reading, .tcpPassiveOpensPerS) == 0)
        #expect(value(reading, .tcpListenOverflowsPerS) == 0)
        // vda io_ticks 2576 -> 2680 ms in 5 s.
        #expect(abs(value(reading, .diskBusyRatio) - 104.0 / 5000) < 1e-12)
        #expect(value(reading, .netRxBytesPerS) == 0, "lo is excluded; eth0 did not move")
        #expect(abs(value(reading, .memUsedRatio) - (1 - 24_352_720.0 / 24_684_092)) < 1e-12)
        #expect(value(reading, .psiCPUSomeAvg10) == 0.09)
        #expect(value(reading, .psiIOSomeAvg10) == 0.36)
        let fromProc = HostMetric.allCases.filter { ![.tcpListenQueued, .tcpListenQueueRatio].contains($0) }
        #expect(fromProc.allSatisfy { !value(reading, $0).isNaN }, "every /proc metric is present on a full kernel")
    }

    @Test func listenOverflowsBecomeARate() throws {
        let reading = try readPair("t1", then: "t2", seconds: 38)
        #expect(value(reading, .tcpListenOverflowsPerS) == 76.0 / 38)
        #expect(value(reading, .tcpListenDropsPerS) == 76.0 / 38)
        #expect(value(reading, .tcpEstablished) == 4)
        #expect(value(reading, .tcpRetransSegsPerS) == 38.0 / 38)
    }

    @Test func countersGoingBackwardsGiveMissingNotNegative() throws {
        let root = SwitchableRoot()
        try root.point(at: FixtureTree.root + "/t2")
        var sampler = HostSampler(procRoot: root.link)
        _ = sampler.read(monotonicSeconds: 0)
        try root.point(at: FixtureTree.root + "/t1")  // every counter is lower: a reset
        let reading = sampler.read(monotonicSeconds: 10)
        for rate in [HostMetric.cpuBusy, .cpuIowait, .tcpActiveOpensPerS, .tcpListenOverflowsPerS, .tcpRetransSegsPerS] {
            #expect(value(reading, rate).isNaN, "\(rate.rawValue) after a reset")
        }
        #expect(value(reading, .diskBusyRatio).isNaN, "the only disk went backwards")
        #expect(value(reading, .load1) == 0.38, "gauges are unaffected")
        // After the reset, the next read has a new baseline.
        let next = sampler.read(monotonicSeconds: 20)
        #expect(value(next, .tcpActiveOpensPerS) == 0)
    }

    @Test func noElapsedTimeGivesMissingRates() throws {
        var sampler = HostSampler(procRoot: FixtureTree.root + "/t0")
        _ = sampler.read(monotonicSeconds: 5)
        let reading = sampler.read(monotonicSeconds: 5)
        #expect(value(reading, .tcpActiveOpensPerS).isNaN)
        #expect(value(reading, .cpuBusy).isNaN, "no jiffies elapsed")
    }

    /// Interfaces and disks are paired with the previous read by name, whatever comes, goes or
    /// moves in between (the tick pairs by position only while the names stay as they were).
    @Test func interfacesAndDisksThatComeGoOrMoveArePairedByName() throws {
        let first = try FixtureTree.copy("t0")
        let second = try FixtureTree.copy("t0")
        defer { for tree in [first, second] { try? FileManager.default.removeItem(atPath: tree) } }
        let header = "Inter-|   Receive                                                |  Transmit\n"
            + " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
        func interface(_ name: String, rx: Int, tx: Int) -> String {
            "  \(name): \(rx) 10 0 0 0 0 0 0 \(tx) 10 0 0 0 0 0 0\n"
        }
        func disk(_ name: String, ioTicks: Int) -> String {
            " 254 0 \(name) 1 0 0 0 0 0 0 0 0 \(ioTicks) 0 0 0 0 0 0 0\n"
        }
        try (header + interface("lo", rx: 5, tx: 5) + interface("eth0", rx: 1_000, tx: 100) + interface("eth1", rx: 50_000, tx: 0))
            .write(toFile: first + "/net/dev", atomically: true, encoding: .utf8)
        try (disk("vda", ioTicks: 1_000) + disk("vda1", ioTicks: 900) + disk("vdb", ioTicks: 0))
            .write(toFile: first + "/diskstats", atomically: true, encoding: .utf8)
        // 10 s later: eth1 is gone, veth7 came first, eth0 moved; vdb moved before vda, and vdc came.
        try (header + interface("veth7", rx: 9_999_999, tx: 9_999_999) + interface("lo", rx: 5, tx: 5) + interface("eth0", rx: 21_000, tx: 300))
            .write(toFile: second + "/net/dev", atomically: true, encoding: .utf8)
        try (disk("vdb", ioTicks: 2_000) + disk("vda", ioTicks: 6_000) + disk("vda1", ioTicks: 9_000) + disk("vdc", ioTicks: 99_999))
            .write(toFile: second + "/diskstats", atomically: true, encoding: .utf8)
        let root = SwitchableRoot()
        try root.point(at: first)
        var sampler = HostSampler(procRoot: root.link)
        _ = sampler.read(monotonicSeconds: 100)
        try root.point(at: second)
        let reading = sampler.read(monotonicSeconds: 110)
        #expect(value(reading, .netRxBytesPerS) == 2_000, "eth0 alone: the new and the gone count nothing")
        #expect(value(reading, .netTxBytesPerS) == 20)
        #expect(value(reading, .diskBusyRatio) == 0.5, "vda: 5,000 ms of 10 s; vda1 is a partition, vdc new")
        // Read again unchanged: the pairs by position give the same rates as by name did.
        try root.point(at: first)
        _ = sampler.read(monotonicSeconds: 120)
        try root.point(at: first)
        let still = sampler.read(monotonicSeconds: 130)
        #expect(value(still, .netRxBytesPerS) == 0)
        #expect(value(still, .diskBusyRatio) == 0)
    }

    /// A veth pair's chatter (captured beside a still eth0) is no traffic of the host's: the
    /// net rates sum the physical interfaces; with no sysfs to ask, every one but lo, as before.
    @Test func theNetRatesSumThePhysicalInterfaces() throws {
        let veth = FixtureTree.root + "/veth"
        let virtual = Set(try String(contentsOfFile: veth + "/virtual-net", encoding: .utf8).split(separator: "\n").map(String.init))
        #expect(virtual == ["ifb0", "ifb1", "lo", "swtest0", "swtest1"])
        func rates(virtual: Set<String>?) throws -> (rx: Double, packets: Double, counted: [String]) {
            let first = try FixtureTree.copy("t0"), second = try FixtureTree.copy("t0")
            defer { for tree in [first, second] { try? FileManager.default.removeItem(atPath: tree) } }
            try FileManager.default.removeItem(atPath: first + "/net/dev")
            try FileManager.default.copyItem(atPath: veth + "/net-dev-0", toPath: first + "/net/dev")
            try FileManager.default.removeItem(atPath: second + "/net/dev")
            try FileManager.default.copyItem(atPath: veth + "/net-dev-1", toPath: second + "/net/dev")
            let root = SwitchableRoot()
            try root.point(at: first)
            var sampler = HostSampler(procRoot: root.link, virtualInterfaces: { virtual })
            _ = sampler.read(monotonicSeconds: 100)
            try root.point(at: second)
            let reading = sampler.read(monotonicSeconds: 105)
            return (value(reading, .netRxBytesPerS), value(reading, .netRxPacketsPerS), sampler.countedInterfaces)
        }
        let physical = try rates(virtual: virtual)
        #expect(physical.counted == ["eth0"])
        #expect(physical.rx == 0 && physical.packets == 0, "eth0 did not move")
        // Without sysfs the veth's 70 bytes and one packet at each end in 5 s count.
        let everyOne = try rates(virtual: nil)
        #expect(everyOne.counted == ["ifb0", "ifb1", "eth0", "swtest1", "swtest0"])
        #expect(everyOne.rx == 140.0 / 5 && everyOne.packets == 2.0 / 5)
    }

    /// Containers' veths beside no named shop port: said once, as a notice (an absent feature),
    /// that the TCP metrics are this namespace's; not with `listen_ports`, which say themselves.
    @Test func containersAreNoticedWhenNoShopPortIsNamed() throws {
        let tree = try FixtureTree.copy("t0")
        defer { try? FileManager.default.removeItem(atPath: tree) }
        try FileManager.default.removeItem(atPath: tree + "/net/dev")
        try FileManager.default.copyItem(atPath: FixtureTree.root + "/veth/net-dev-0", toPath: tree + "/net/dev")
        let virtual: Set<String> = ["ifb0", "ifb1", "lo", "swtest0", "swtest1"]
        var renamed = try String(contentsOfFile: tree + "/net/dev", encoding: .utf8)
        renamed = renamed.replacingOccurrences(of: "swtest1:", with: "veth1a2b:")
        try renamed.write(toFile: tree + "/net/dev", atomically: true, encoding: .utf8)
        var sampler = HostSampler(procRoot: tree, virtualInterfaces: { virtual.union(["veth1a2b"]) })
        let first = sampler.read(monotonicSeconds: 100)
        let notice = try #require(first.problems.first { $0.location == "containers" })
        #expect(notice.kind == .absentFeature)
        #expect(notice.message.hasPrefix("containers run here (veth1a2b and maybe more): the TCP metrics and accept queues are of "
                                         + "surgewatch's network namespace only;"))
        #expect(!sampler.read(monotonicSeconds: 110).problems.contains { $0.location == "containers" }, "once, while the list stays")
        var named = HostSampler(procRoot: tree, listenPorts: [8080], listenQueues: { .success(ListenQueues(listeners: 1, queued: 0, fullest: 0)) },
                                virtualInterfaces: { virtual.union(["veth1a2b"]) })
        #expect(!named.read(monotonicSeconds: 100).problems.contains { $0.location == "containers" })
        // The captured pair's own names (swtest) are no container's.
        var plain = HostSampler(procRoot: FixtureTree.root + "/t0", virtualInterfaces: { virtual })
        #expect(plain.read(monotonicSeconds: 100).problems.isEmpty)
    }

    @Test func whereNoInterfaceIsPhysicalEveryOneButTheLoopbackCounts() {
        // A container: its eth0 is a veth, listed as virtual in its own sysfs.
        #expect(VirtualInterfaces.counted(["lo", "eth0"], virtual: ["lo", "eth0"]) == [false, true])
        #expect(VirtualInterfaces.counted(["lo", "bond0", "eth0", "eth1", "br0", "veth1a"], virtual: ["lo", "bond0", "br0", "veth1a"])
                == [false, false, true, true, false, false], "a bond's slaves count, the bond does not")
        #expect(VirtualInterfaces.counted(["eth0", "lo"], virtual: nil) == [true, false])
        #expect(VirtualInterfaces.counted([], virtual: []) == [])
    }

    @Test func theLiveSysfsListsTheVirtualInterfaces() throws {
        let live = try #require(VirtualInterfaces.listed())
        #expect(live.contains("lo"), "\(live)")
        #expect(!live.contains(".") && !live.contains(".."))
        #expect(VirtualInterfaces.listed(in: "/nonexistent/virtual/net") == nil)
        // The live /proc's sampler asks it: no interface it sums is listed there.
        var sampler = HostSampler(procRoot: "/proc")
        _ = sampler.read(monotonicSeconds: 100)
        #expect(!sampler.countedInterfaces.isEmpty && !sampler.countedInterfaces.contains("lo"))
        if sampler.countedInterfaces.contains(where: { !live.contains($0) }) {
            #expect(sampler.countedInterfaces.allSatisfy { !live.contains($0) }, "physical ones only: \(sampler.countedInterfaces)")
        }
    }

    @Test func slotsAreThePlacesOfTheCases() {
        #expect(HostMetric.allCases.map(\.slot) == Array(HostMetric.allCases.indices))
        #expect(HostMetric.allCases.map { HostMetric.names[$0.slot] } == HostMetric.allCases.map(\.rawValue))
    }

    @Test func kernelWithoutPSILeavesPressureMissingWithoutFailure() throws {
        let tree = try FixtureTree.copy("t0")
        defer { try? FileManager.default.removeItem(atPath: tree) }
        try FileManager.default.removeItem(atPath: tree + "/pressure")
        var sampler = HostSampler(procRoot: tree)
        let reading = sampler.read(monotonicSeconds: 1)
        #expect(reading.problems.count == 3)
        #expect(reading.problems.allSatisfy { $0.kind == .absentFeature })
        #expect(reading.problems.first?.location == tree + "/pressure/cpu")
        #expect(reading.problems.first?.message == "\(tree)/pressure/cpu is absent, pressure metrics stay missing: as on a kernel built "
                + "without PSI, or booted with it off (psi=0, or CONFIG_PSI_DEFAULT_DISABLED): psi=1 on the kernel command line turns it on")
        for metric in [HostMetric.psiCPUSomeAvg10, .psiMemSomeAvg10, .psiMemFullAvg10, .psiIOSomeAvg10, .psiIOFullAvg10] {
            #expect(value(reading, metric).isNaN)
        }
        #expect(value(reading, .load1) == 0.33)
    }

    /// CentOS 8's kernel with PSI turned off at boot made /proc/pressure and gave its files
    /// empty (nohang issue 74): PSI off, said once as an absent feature, not a failing read.
    @Test func emptyPressureFilesArePSITurnedOffNotFailures() throws {
        let tree = try FixtureTree.copy("t0")
        defer { try? FileManager.default.removeItem(atPath: tree) }
        for file in ["cpu", "memory", "io"] {
            try Data().write(to: URL(fileURLWithPath: "\(tree)/pressure/\(file)"))
        }
        var sampler = HostSampler(procRoot: tree)
        let reading = sampler.read(monotonicSeconds: 1)
        #expect(reading.problems.map(\.kind) == [.absentFeature, .absentFeature, .absentFeature])
        #expect(reading.problems.map(\.location) == ["cpu", "memory", "io"].map { "\(tree)/pressure/\($0)" })
        #expect(reading.problems.first?.message == "\(tree)/pressure/cpu reads empty, pressure metrics stay missing: as on a kernel "
                + "with PSI built in and turned off at boot (CONFIG_PSI_DEFAULT_DISABLED, as RHEL 8's kernels ship, or psi=0): "
                + "psi=1 on the kernel command line turns it on")
        #expect(value(reading, .psiCPUSomeAvg10).isNaN && value(reading, .psiIOFullAvg10).isNaN)
        #expect(HostSampler.pressureAbsence(procRoot: tree, file: "memory") == .empty)
        #expect(HostSampler.pressureAbsence(procRoot: FixtureTree.root + "/t0", file: "memory") == nil)
        try FileManager.default.removeItem(atPath: tree + "/pressure")
        #expect(HostSampler.pressureAbsence(procRoot: tree, file: "memory") == .noFile)
        // A pressure file that reads but is not PSI's format is a fault, as before.
        try FileManager.default.createDirectory(atPath: tree + "/pressure", withIntermediateDirectories: false)
        for file in ["cpu", "memory", "io"] { try "\n".write(toFile: "\(tree)/pressure/\(file)", atomically: true, encoding: .utf8) }
        #expect(sampler.read(monotonicSeconds: 2).problems.map(\.kind) == [.failure, .failure, .failure])
    }

    /// EOPNOTSUPP, which a kernel that makes /proc/pressure with PSI turned off gives on read, is
    /// an absence; other errors are faults. (The daemon meeting it for real: PSITurnedOffTests.)
    @Test func refusedReadsMeanAbsenceOtherErrorsDoNot() {
        #expect(ProcReadError.unreadable(path: "p", errno: EOPNOTSUPP).absence == .refused)
        #expect(ProcReadError.missing(path: "p").absence == .noFile)
        #expect(ProcReadError.unreadable(path: "p", errno: EACCES).absence == nil)
        #expect(ProcReadError.unreadable(path: "p", errno: EIO).absence == nil)
        #expect(ProcReadError.tooLarge(path: "p", limit: 1).absence == nil)
    }

    @Test func oneBrokenFileIsReportedAndTheRestIsRead() throws {
        let tree = try FixtureTree.copy("t0")
        defer { try? FileManager.default.removeItem(atPath: tree) }
        try "Tcp: ActiveOpens\nTcp: lots\n".write(toFile: tree + "/net/snmp", atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: tree + "/diskstats")
        var sampler = HostSampler(procRoot: tree)
        let reading = sampler.read(monotonicSeconds: 1)
        let messages = reading.problems.map(\.message).sorted()
        #expect(messages == [
            "\(tree)/diskstats: no such file",
            "\(tree)/net/snmp:2: Tcp ActiveOpens: 'lots' is not a number",
        ])
        #expect(reading.problems.allSatisfy { $0.kind == .failure })
        #expect(value(reading, .tcpEstablished).isNaN)
        #expect(value(reading, .load1) == 0.33)
        #expect(value(reading, .tcpTimeWait) == 2)
    }

    /// Root reads any file, so a directory where a file should be is how a read fails here:
    /// open(2) succeeds and read(2) fails with EISDIR, the path the sampler reports as a failure.
    @Test func aFileThatCannotBeReadIsReportedWithTheKernelsReasonAndTheRestIsRead() throws {
        let tree = try FixtureTree.copy("t0")
        defer { try? FileManager.default.removeItem(atPath: tree) }
        try FileManager.default.removeItem(atPath: tree + "/meminfo")
        try FileManager.default.createDirectory(atPath: tree + "/meminfo", withIntermediateDirectories: false)
        #expect(throws: ProcReadError.unreadable(path: tree + "/meminfo", errno: EISDIR)) {
            try ProcFileReader().read(tree + "/meminfo")
        }
        var sampler = HostSampler(procRoot: tree)
        let reading = sampler.read(monotonicSeconds: 1)
        #expect(reading.problems.map(\.message) == ["\(tree)/meminfo: Is a directory"])
        #expect(reading.problems.map(\.kind) == [.failure])
        #expect(value(reading, .memUsedRatio).isNaN)
        #expect(value(reading, .load1) == 0.33)
    }

    @Test func readerCapsSizeAndReportsMissingFiles() throws {
        let reader = ProcFileReader(limit: 64)
        #expect(throws: ProcReadError.tooLarge(path: FixtureTree.path("t0", "net/netstat"), limit: 64)) {
            try reader.read(FixtureTree.path("t0", "net/netstat"))
        }
        #expect(throws: ProcReadError.missing(path: "/nonexistent/stat")) {
            try reader.read("/nonexistent/stat")
        }
        // Real /proc files report size 0; reading to EOF still gets everything.
        let live = try ProcFileReader().read("/proc/self/status")
        #expect(live.bytes.count > 100)
    }

    @Test func counterRateRules() {
        #expect(counterRate(previous: UInt64(10), current: 30, seconds: 2) == 10)
        #expect(counterRate(previous: UInt64(30), current: 10, seconds: 2) == nil)
        #expect(counterRate(previous: UInt64(10), current: 30, seconds: 0) == nil)
        #expect(counterRate(previous: Int64(-1), current: 30, seconds: 1) == nil)
    }
}
