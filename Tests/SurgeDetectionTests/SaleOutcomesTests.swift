import Testing
import SurgeConfig
@testable import SurgeDetection

/// `alerts --record`'s sale-by-sale lines: each announced sale's window (10 min before its start
/// to `lasts`, by default 30 min, after) from the stored ticks.
@Suite struct SaleOutcomesTests {
    /// Four sales an hour apart, 10 s ticks: `events[sale]` gives, per offset in ticks from its
    /// start, "a" (an alert open after that tick), "b" (the rule broke, an alert open), "x"
    /// (the rule broke, no alert).
    func outcomes(_ events: [Int: [Int: Character]], gap: ClosedRange<Int>? = nil) -> SaleOutcomes {
        let starts = (0..<4).map { 1_800_000_000 + Double($0) * 3600 }
        var outcomes = SaleOutcomes(SurgeConfig.Schedule(sales: starts.map { .once(unixSeconds: $0) }), intervalSeconds: 10)
        for tick in -100..<(4 * 360) {
            if let gap, gap.contains(tick) { continue }  // the daemon stopped
            let sale = min(max((tick + 60) / 360, 0), 3)
            let mark = events[sale]?[tick - sale * 360]
            outcomes.add(timestamp: starts[0] + Double(tick) * 10, label: mark == "b" || mark == "x", alerting: mark == "a" || mark == "b")
        }
        return outcomes
    }

    @Test func eachSaleSaysWhetherItBrokeAndWhetherAnAlertCameFirst() {
        let warned: [Int: Character] = [-3: "a", -2: "a", -1: "a", 0: "a", 1: "a", 2: "b", 3: "b"]
        let sales = outcomes([0: warned, 1: [4: "x", 5: "b"], 2: [-5: "a", -4: "a"]])
        #expect(sales.sales.count == 4)
        #expect(sales.sales.map(\.overloadAt) == [1_800_000_020, 1_800_003_640, nil, nil])
        #expect(sales.sales.map(\.warnedSeconds) == [50, nil, nil, nil], "open from 3 ticks before the start to the breach 2 after")
        #expect(sales.sales[2].alertAt == 1_800_007_150)
        #expect(sales.lines() == [
            "announced sales in these ticks (each from 10m before its start to 30m after): 4 sales, 2 broke the SLO rule, 1 of them warned ahead; "
                + "1 with an alert and no overload",
            "  2027-01-15T08:00:00Z: the SLO rule broke 20s after the start, an alert open 50s ahead",
            "  2027-01-15T09:00:00Z: the SLO rule broke 40s after the start, no alert ahead of it",
            "  2027-01-15T10:00:00Z: no overload; an alert was open from 50s before the start (a false alarm)",
            "  2027-01-15T11:00:00Z: no overload, no alert",
        ])
        #expect(sales.json.hasPrefix("[{\"start\":\"2027-01-15T08:00:00Z\",\"ticks\":240,\"overload_at\":\"2027-01-15T08:00:20Z\",\"warned_seconds\":50,\"alert_at\":\"2027-01-15T07:59:30Z\"}"),
                "\\(sales.json)")
    }

    /// A sale whose crowd peaks 40 minutes in: past the default half hour it is not the sale's;
    /// `[schedule] lasts = "1h"` counts it, alert and all.
    @Test func howLongASaleLastsIsTheSchedules() {
        func record(lasts: Duration) -> SaleOutcomes {
            let start = 1_800_000_000.0
            var outcomes = SaleOutcomes(SurgeConfig.Schedule(sales: [.once(unixSeconds: start)], lasts: lasts), intervalSeconds: 10)
            for tick in -60..<480 {
                let breach = (240...245).contains(tick), alert = (236...250).contains(tick)
                outcomes.add(timestamp: start + Double(tick) * 10, label: breach, alerting: alert)
            }
            return outcomes
        }
        #expect(record(lasts: .seconds(1800)).lines().last == "  2027-01-15T08:00:00Z: no overload, no alert")
        let hour = record(lasts: .seconds(3600))
        #expect(hour.lines().first?.hasPrefix("announced sales in these ticks (each from 10m before its start to 1h after): 1 sale, 1 broke") == true,
                "\(hour.lines())")
        #expect(hour.lines().last == "  2027-01-15T08:00:00Z: the SLO rule broke 40m after the start, an alert open 40s ahead")
    }

    /// An alert open before the daemon stopped does not warn of a breach after it started again.
    @Test func anAlertDoesNotGoOnAcrossAStop() {
        let sales = outcomes([0: [-10: "a", 2: "b"]], gap: -9...1)
        #expect(sales.sales.first?.overloadAt == 1_800_000_020 && sales.sales.first?.warnedSeconds == nil)
    }

    /// A month of daily sales: the newest 20 in words, the count of the others said.
    @Test func aLongListShowsTheNewest() {
        var daily = SaleOutcomes(SurgeConfig.Schedule(sales: [.daily(hour: 12, minute: 0, utcOffsetSeconds: 0)]), intervalSeconds: 600)
        for tick in 0..<(30 * 144) { daily.add(timestamp: 1_800_000_000 + Double(tick) * 600, label: false, alerting: false) }
        #expect(daily.sales.count == 30)
        let lines = daily.lines(everyOne: "--json has every one")
        #expect(lines.count == 1 + 1 + 20 && lines[1] == "  (10 earlier not listed; --json has every one)", "\(lines.prefix(3))")
        #expect(daily.lines()[1] == "  (10 earlier not listed)")
        #expect(lines.last?.hasSuffix("T12:00:00Z: no overload, no alert") == true)
    }

    @Test func noSalesNoLines() {
        var none = SaleOutcomes(SurgeConfig.Schedule(), intervalSeconds: 10)
        none.add(timestamp: 0, label: true, alerting: true)
        #expect(none.lines().isEmpty && none.json == "[]")
    }
}
