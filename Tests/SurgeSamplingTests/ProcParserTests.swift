import Testing
@testable import SurgeSampling

/// Each parser against the real captures, then against empty, truncated and malformed input.
/// Every error must name the path and, where there is one, the line.
@Suite struct ProcParserTests {
    @Test func cpuStatFromRealKernel() throws {
        let stat = try CPUStat.parse(FixtureTree.text("t1", "stat"))
        #expect(stat == CPUStat(user: 2221, nice: 0, system: 1284, idle: 17066, iowait: 185, irq: 0,
                                softirq: 20, steal: 8, procsRunning: 2, procsBlocked: 0))
        #expect(stat.total == 2221 + 1284 + 17066 + 185 + 20 + 8)
    }

    @Test func loadAverageFromRealKernel() throws {
        let load = try LoadAverage.parse(FixtureTree.text("t2", "loadavg"))
        #expect(load == LoadAverage(load1: 1.02, load5: 0.41, load15: 0.16))
    }

    @Test func memInfoFromRealKernel() throws {
        let memory = try MemInfo.parse(FixtureTree.text("t0", "meminfo"))
        #expect(memory == MemInfo(totalKiB: 24_684_092, availableKiB: 24_354_632, swapTotalKiB: 0, swapFreeKiB: 0))
    }

    @Test func pressureFromRealKernel() throws {
        let cpu = try PressureStall.parse(FixtureTree.text("t0", "pressure/cpu"))
        #expect(cpu.someAvg10 == 0.17)
        #expect(cpu.fullAvg10 == 0)
        let io = try PressureStall.parse(FixtureTree.text("t1", "pressure/io"))
        #expect(io.someAvg10 == 0.36)
    }

    @Test func pressureWithoutFullLineAsBefore5_13() throws {
        let text = ProcText(path: "/proc/pressure/cpu", string: "some avg10=12.50 avg60=3.00 avg300=1.00 total=100\n")
        let cpu = try PressureStall.parse(text)
        #expect(cpu.someAvg10 == 12.5)
        #expect(cpu.fullAvg10 == nil)
    }

    @Test func netDevFromRealKernel() throws {
        let net = try NetDevStats.parse(FixtureTree.text("t0", "net/dev"))
        #expect(net.interfaces.map(\.name) == ["lo", "ifb0", "ifb1", "eth0"])
        let eth0 = try #require(net.interfaces.first { $0.name == "eth0" })
        #expect(eth0.rxBytes == 30_132_896 && eth0.rxPackets == 632 && eth0.txBytes == 32293 && eth0.txPackets == 371)
    }

    @Test func sockStatFromRealKernel() throws {
        #expect(try SockStat.parse(FixtureTree.text("t2", "net/sockstat")) == SockStat(tcpInUse: 44, tcpOrphan: 0, tcpTimeWait: 0))
    }

    @Test func snmpAndNetstatFromRealKernel() throws {
        let snmp = try ProtocolCounters.parse(FixtureTree.text("t2", "net/snmp"))
        #expect(snmp.value("Tcp", "MaxConn") == -1)
        #expect(snmp.value("Tcp", "ActiveOpens") == 81)
        #expect(snmp.value("Tcp", "CurrEstab") == 4)
        #expect(snmp.value("Tcp", "RetransSegs") == 38)
        #expect(snmp.tables["Udp"] != nil)
        let netstat = try ProtocolCounters.parse(FixtureTree.text("t2", "net/netstat"), only: ["TcpExt"])
        #expect(netstat.value("TcpExt", "ListenOverflows") == 76)
        #expect(netstat.value("TcpExt", "ListenDrops") == 76)
        #expect(netstat.tables["IpExt"] == nil, "only the requested protocols are kept")
    }

    /// The tick's reader of a few counters agrees with the full parse on real files.
    @Test func countersOfOneProtocolAsTheFullParseHasThem() throws {
        for snapshot in ["t0", "t1", "t2"] {
            let snmpText = try FixtureTree.text(snapshot, "net/snmp")
            let snmp = try ProtocolCounters.parse(snmpText)
            let tcp = try ProtocolCounters.counters(snmpText, of: "Tcp", named: ["CurrEstab", "MaxConn", "NoSuchCounter", "RetransSegs"])
            #expect(tcp == [snmp.value("Tcp", "CurrEstab"), -1, nil, snmp.value("Tcp", "RetransSegs")])
            let netstatText = try FixtureTree.text(snapshot, "net/netstat")
            let netstat = try ProtocolCounters.parse(netstatText)
            #expect(try ProtocolCounters.counters(netstatText, of: "TcpExt", named: ["ListenDrops", "ListenOverflows"])
                == [netstat.value("TcpExt", "ListenDrops"), netstat.value("TcpExt", "ListenOverflows")])
            #expect(try ProtocolCounters.counters(netstatText, of: "Tcp", named: ["CurrEstab"]) == nil, "no Tcp lines in netstat")
        }
    }

    @Test func diskStatsFromRealKernel() throws {
        let disks = try DiskStats.parse(FixtureTree.text("t1", "diskstats"))
        #expect(disks.devices.count == 10)
        #expect(disks.wholeDisks.map(\.name) == ["vda"], "loop and zram devices are skipped")
        #expect(disks.wholeDisks.first?.ioTicksMs == 2680)
    }

    @Test(arguments: [
        ("sda1", ["sda", "sda1"], true), ("sda", ["sda", "sda1"], false),
        ("nvme0n1p2", ["nvme0n1", "nvme0n1p2"], true), ("nvme0n1", ["nvme0n1", "nvme0n1p2"], false),
        ("mmcblk0p1", ["mmcblk0", "mmcblk0p1"], true), ("dm-0", ["dm-0"], false), ("md127", ["md127"], false),
    ])
    func partitionsAreRecognised(name: String, names: [String], isPartition: Bool) {
        #expect(DiskStats.isPartition(name, of: Set(names)) == isPartition)
    }

    // MARK: bad input

    struct BadCase: CustomTestStringConvertible, Sendable {
        let label: String
        let path: String
        let content: String
        let parse: @Sendable (ProcText) throws -> Void
        let expected: String
        var testDescription: String { label }
    }

    static let badCases: [BadCase] = [
        BadCase(label: "stat empty", path: "/proc/stat", content: "", parse: { _ = try CPUStat.parse($0) },
                expected: "/proc/stat: no aggregate 'cpu' line"),
        BadCase(label: "stat short cpu line", path: "/proc/stat", content: "cpu  1 2 3\nprocs_running 1\nprocs_blocked 0\n",
                parse: { _ = try CPUStat.parse($0) }, expected: "/proc/stat:1: cpu line has 3 values, expected at least 8"),
        BadCase(label: "stat garbage counter", path: "/proc/stat", content: "cpu  1 2 3 x 5 6 7 8\n",
                parse: { _ = try CPUStat.parse($0) }, expected: "/proc/stat:1: cpu line: 'x' is not a counter"),
        BadCase(label: "stat truncated before procs", path: "/proc/stat", content: "cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n",
                parse: { _ = try CPUStat.parse($0) }, expected: "/proc/stat: no procs_running/procs_blocked lines"),
        BadCase(label: "stat bad procs", path: "/proc/stat", content: "cpu  1 2 3 4 5 6 7 8\nprocs_running -1\n",
                parse: { _ = try CPUStat.parse($0) }, expected: "/proc/stat:2: expected 'procs_running <count>'"),
        BadCase(label: "loadavg empty", path: "/proc/loadavg", content: "", parse: { _ = try LoadAverage.parse($0) },
                expected: "/proc/loadavg: empty file"),
        BadCase(label: "loadavg truncated", path: "/proc/loadavg", content: "0.52 0.3", parse: { _ = try LoadAverage.parse($0) },
                expected: "/proc/loadavg:1: expected at least 3 load averages, found 2 fields"),
        BadCase(label: "loadavg malformed", path: "/proc/loadavg", content: "0.52 abc 0.1 1/2 3\n", parse: { _ = try LoadAverage.parse($0) },
                expected: "/proc/loadavg:1: load averages are not decimals: '0.52 abc 0.1 1/2 3'"),
        BadCase(label: "meminfo empty", path: "/proc/meminfo", content: "", parse: { _ = try MemInfo.parse($0) },
                expected: "/proc/meminfo: no MemTotal line"),
        BadCase(label: "meminfo without MemAvailable (before 3.14)", path: "/proc/meminfo",
                content: "MemTotal: 100 kB\nMemFree: 50 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n",
                parse: { _ = try MemInfo.parse($0) }, expected: "/proc/meminfo: no MemAvailable line"),
        BadCase(label: "meminfo malformed", path: "/proc/meminfo", content: "MemTotal: lots kB\n", parse: { _ = try MemInfo.parse($0) },
                expected: "/proc/meminfo:1: expected '<name>: <kB> kB', got 'MemTotal: lots kB'"),
        BadCase(label: "pressure empty", path: "/proc/pressure/io", content: "", parse: { _ = try PressureStall.parse($0) },
                expected: "/proc/pressure/io: no 'some' line"),
        BadCase(label: "pressure malformed", path: "/proc/pressure/io", content: "some avg10=x avg60=0\n",
                parse: { _ = try PressureStall.parse($0) }, expected: "/proc/pressure/io:1: expected 'avg10=<percent>' after 'some'"),
        BadCase(label: "pressure unknown line", path: "/proc/pressure/io", content: "some avg10=1.00\nhalf avg10=2.00\n",
                parse: { _ = try PressureStall.parse($0) }, expected: "/proc/pressure/io:2: expected a 'some' or 'full' line, got 'half'"),
        BadCase(label: "net/dev empty", path: "/proc/net/dev", content: "", parse: { _ = try NetDevStats.parse($0) },
                expected: "/proc/net/dev: no header line; not a /proc/net/dev file"),
        BadCase(label: "net/dev truncated", path: "/proc/net/dev",
                content: "Inter-|   Receive\n face |bytes\n  eth0: 1 2 3 4 5\n",
                parse: { _ = try NetDevStats.parse($0) }, expected: "/proc/net/dev:3: interface eth0: 5 counters, expected 16"),
        BadCase(label: "net/dev malformed", path: "/proc/net/dev",
                content: "Inter-|   Receive\n face |bytes\n  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n  eth1: 1 x 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
                parse: { _ = try NetDevStats.parse($0) }, expected: "/proc/net/dev:4: interface eth1: 'x' is not a counter"),
        BadCase(label: "sockstat empty", path: "/proc/net/sockstat", content: "", parse: { _ = try SockStat.parse($0) },
                expected: "/proc/net/sockstat: no 'TCP:' line"),
        BadCase(label: "sockstat malformed", path: "/proc/net/sockstat", content: "sockets: used 9\nTCP: inuse 1 orphan many tw 2\n",
                parse: { _ = try SockStat.parse($0) }, expected: "/proc/net/sockstat:2: TCP: 'many' after 'orphan' is not a number"),
        BadCase(label: "snmp truncated after names", path: "/proc/net/snmp", content: "Ip: Forwarding DefaultTTL\nIp: 1 64\nTcp: ActiveOpens PassiveOpens\n",
                parse: { _ = try ProtocolCounters.parse($0) }, expected: "/proc/net/snmp:3: Tcp: names without a line of values (file cut short?)"),
        BadCase(label: "snmp value count", path: "/proc/net/snmp", content: "Tcp: ActiveOpens PassiveOpens\nTcp: 1\n",
                parse: { _ = try ProtocolCounters.parse($0) }, expected: "/proc/net/snmp:2: Tcp: 1 values for 2 names on line 1"),
        BadCase(label: "netstat malformed", path: "/proc/net/netstat", content: "TcpExt: ListenOverflows ListenDrops\nTcpExt: 3 z\n",
                parse: { _ = try ProtocolCounters.parse($0) }, expected: "/proc/net/netstat:2: TcpExt ListenDrops: 'z' is not a number"),
        BadCase(label: "netstat not a protocol line", path: "/proc/net/netstat", content: "garbage here\n",
                parse: { _ = try ProtocolCounters.parse($0) }, expected: "/proc/net/netstat:1: expected a '<Protocol>:' line, got 'garbage'"),
        BadCase(label: "snmp truncated, read for Tcp", path: "/proc/net/snmp", content: "Ip: Forwarding DefaultTTL\nIp: 1 64\nTcp: ActiveOpens PassiveOpens\n",
                parse: { _ = try ProtocolCounters.counters($0, of: "Tcp", named: ["ActiveOpens"]) },
                expected: "/proc/net/snmp:3: Tcp: names without a line of values (file cut short?)"),
        BadCase(label: "snmp value count, read for Tcp", path: "/proc/net/snmp", content: "Tcp: ActiveOpens PassiveOpens\nTcp: 1\n",
                parse: { _ = try ProtocolCounters.counters($0, of: "Tcp", named: ["ActiveOpens"]) },
                expected: "/proc/net/snmp:2: Tcp: 1 values for 2 names on line 1"),
        BadCase(label: "netstat malformed, read for TcpExt", path: "/proc/net/netstat", content: "TcpExt: ListenOverflows ListenDrops\nTcpExt: 3 z\n",
                parse: { _ = try ProtocolCounters.counters($0, of: "TcpExt", named: ["ListenOverflows", "ListenDrops"]) },
                expected: "/proc/net/netstat:2: TcpExt ListenDrops: 'z' is not a number"),
        BadCase(label: "netstat not a protocol line, read for TcpExt", path: "/proc/net/netstat", content: "IpExt: A\nIpExt: 1\ngarbage here\n",
                parse: { _ = try ProtocolCounters.counters($0, of: "TcpExt", named: ["ListenDrops"]) },
                expected: "/proc/net/netstat:3: expected a '<Protocol>:' line, got 'garbage'"),
        BadCase(label: "netstat names of another protocol cut short", path: "/proc/net/netstat", content: "IpExt: A B\nTcpExt: ListenDrops\nTcpExt: 1\n",
                parse: { _ = try ProtocolCounters.counters($0, of: "TcpExt", named: ["ListenDrops"]) },
                expected: "/proc/net/netstat:1: IpExt: names without a line of values"),
        BadCase(label: "diskstats truncated", path: "/proc/diskstats", content: " 254 0 vda 1 2 3 4 5\n",
                parse: { _ = try DiskStats.parse($0) }, expected: "/proc/diskstats:1: 8 fields, expected at least 14"),
        BadCase(label: "diskstats malformed", path: "/proc/diskstats", content: " 254 0 vda 1 2 3 4 5 6 7 8 9 ? 11\n",
                parse: { _ = try DiskStats.parse($0) }, expected: "/proc/diskstats:1: vda: io_ticks '?' is not a counter"),
    ]

    @Test(arguments: badCases)
    func badInputNamesPathAndLine(_ bad: BadCase) {
        let text = ProcText(path: bad.path, string: bad.content)
        do {
            try bad.parse(text)
            Issue.record("\(bad.label): parsed without error")
        } catch let error as ProcParseError {
            #expect(error.description == bad.expected)
        } catch {
            Issue.record("\(bad.label): unexpected error \(error)")
        }
    }

    @Test func realFilesCutInHalfFailCleanly() throws {
        // A read that stops mid-file (the kernel changed the file between two reads, or the
        // fixture was cut short) must give an error or a parse of what is there, never a crash.
        for file in ["stat", "loadavg", "meminfo", "diskstats", "net/dev", "net/sockstat", "net/snmp", "net/netstat", "pressure/cpu"] {
            let whole = try FixtureTree.text("t1", file)
            for cut in stride(from: 0, to: whole.bytes.count, by: max(1, whole.bytes.count / 37)) {
                let partial = ProcText(path: whole.path, bytes: Array(whole.bytes[..<cut]))
                _ = try? CPUStat.parse(partial)
                _ = try? LoadAverage.parse(partial)
                _ = try? MemInfo.parse(partial)
                _ = try? DiskStats.parse(partial)
                _ = try? NetDevStats.parse(partial)
                _ = try? SockStat.parse(partial)
                _ = try? ProtocolCounters.parse(partial)
                _ = try? ProtocolCounters.counters(partial, of: "Tcp", named: ["CurrEstab"])
                _ = try? PressureStall.parse(partial)
            }
        }
    }

    @Test func numbersRejectOverflowAndJunk() {
        #expect(Array("18446744073709551615".utf8)[...].asUInt64 == UInt64.max)
        #expect(Array("18446744073709551616".utf8)[...].asUInt64 == nil)
        #expect(Array("-5".utf8)[...].asInt64 == -5)
        #expect(Array("1.25".utf8)[...].asDecimal == 1.25)
        #expect(Array("1.2.5".utf8)[...].asDecimal == nil)
        #expect(Array("".utf8)[...].asUInt64 == nil)
    }
}
