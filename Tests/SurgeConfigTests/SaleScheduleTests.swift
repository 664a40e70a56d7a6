import Glibc
import Testing
@testable import SurgeConfig

/// `[schedule]`: announced sales and the windows before them.
@Suite struct SaleScheduleTests {
    static let twelfth = 1_765_540_800.0  // 2025-12-12T12:00:00Z = 20:00 at +08:00

    @Test func salesAreMomentsOrDailyTimes() throws {
        let config = try ConfigLoader.parse("""
            [schedule]
            sales = ["2025-12-12T20:00:00+08:00", "daily 10:00", "daily 20:00+08:00", "daily 09:30-05:00"]
            lead = "5m"
            fire_probability = 0.6
            """, file: "schedule.toml")
        #expect(config.schedule.sales == [
            .once(unixSeconds: Self.twelfth),
            .daily(hour: 10, minute: 0, utcOffsetSeconds: nil),
            .daily(hour: 20, minute: 0, utcOffsetSeconds: 8 * 3600),
            .daily(hour: 9, minute: 30, utcOffsetSeconds: -5 * 3600),
        ])
        #expect(config.schedule.lead == .seconds(300))
        #expect(config.schedule.fireProbability == 0.6)
        #expect(config.schedule.sales.map(\.description)
            == ["2025-12-12T12:00:00Z", "daily 10:00", "daily 20:00+08:00", "daily 09:30-05:00"])
        #expect(SurgeConfig().schedule.sales.isEmpty, "no sale is announced unless the operator writes one")
    }

    /// TOML's own offset date-times, written bare, are the same sales as the strings.
    @Test func salesMayBeTOMLDateTimes() throws {
        let config = try ConfigLoader.parse("""
            [schedule]
            sales = [2025-12-12T20:00:00+08:00, 2025-12-12 12:00:00Z, 2025-12-12T12:00:00.5z, "daily 20:00"]
            """, file: "schedule.toml")
        #expect(config.schedule.sales == [
            .once(unixSeconds: Self.twelfth), .once(unixSeconds: Self.twelfth), .once(unixSeconds: Self.twelfth + 0.5),
            .daily(hour: 20, minute: 0, utcOffsetSeconds: nil),
        ])
        #expect(SaleTime.parse("2025-12-12T20:00:00") == nil, "a moment without its offset is no sale time")
        #expect(SaleTime.lacksZone("2025-12-12T20:00:00") && SaleTime.lacksZone("2025-12-12 20:00:00.5"))
        #expect(!SaleTime.lacksZone("2025-12-12T20:00:00Z") && !SaleTime.lacksZone("daily 20:00") && !SaleTime.lacksZone("2025-12-32T20:00:00"))
    }

    @Test func aWindowOpensLeadBeforeTheStartAndClosesOneTickAfter() {
        let schedule = SurgeConfig.Schedule(sales: [.once(unixSeconds: Self.twelfth)], lead: .seconds(600))
        #expect(schedule.saleStart(at: Self.twelfth - 601, interval: 10) == nil)
        #expect(schedule.saleStart(at: Self.twelfth - 600, interval: 10) == Self.twelfth)
        #expect(schedule.saleStart(at: Self.twelfth, interval: 10) == Self.twelfth)
        // A tick 7 s after the start is the first to sample the sale's crowd.
        #expect(schedule.saleStart(at: Self.twelfth + 7, interval: 10) == Self.twelfth)
        #expect(schedule.saleStart(at: Self.twelfth + 10, interval: 10) == nil)
        #expect(SurgeConfig.Schedule(sales: [.once(unixSeconds: Self.twelfth)], lead: .zero)
            .saleStart(at: Self.twelfth - 1, interval: 10) == nil)
    }

    /// `fire_when` is asked on the last tick before a start alone: not earlier in the window,
    /// not on the sale's first tick, not outside a window.
    @Test func aLevelIsAskedOnTheLastTickBeforeTheStart() {
        let start = 1_000.0
        #expect(SurgeConfig.Schedule.asksLevel(at: 990, saleStart: start, interval: 10))
        #expect(SurgeConfig.Schedule.asksLevel(at: 993, saleStart: start, interval: 10), "a tick late on its cadence")
        #expect(!SurgeConfig.Schedule.asksLevel(at: 980, saleStart: start, interval: 10))
        #expect(!SurgeConfig.Schedule.asksLevel(at: 1_000, saleStart: start, interval: 10), "the surge's first tick")
        #expect(!SurgeConfig.Schedule.asksLevel(at: 990, saleStart: nil, interval: 10))
        #expect(SurgeConfig.Schedule.asksLevel(at: 950, saleStart: start, interval: 60), "the tick's own length")
    }

    @Test func ofTwoWindowsTheNearerStartIsNamed() {
        let later = Self.twelfth + 300
        let schedule = SurgeConfig.Schedule(sales: [.once(unixSeconds: later), .once(unixSeconds: Self.twelfth)], lead: .seconds(600))
        #expect(schedule.saleStart(at: Self.twelfth - 10, interval: 10) == Self.twelfth)
        #expect(schedule.saleStart(at: Self.twelfth + 5, interval: 10) == Self.twelfth)
        #expect(schedule.saleStart(at: Self.twelfth + 200, interval: 10) == later)
    }

    @Test func aDailySaleAtAFixedOffsetRecursEveryDay() {
        let schedule = SurgeConfig.Schedule(sales: [.daily(hour: 20, minute: 0, utcOffsetSeconds: 8 * 3600)], lead: .seconds(600))
        for day in [-400.0, -1, 0, 1, 31, 365] {
            let start = Self.twelfth + day * 86400
            #expect(schedule.saleStart(at: start - 30, interval: 10) == start)
            #expect(schedule.saleStart(at: start - 3600, interval: 10) == nil)
        }
        // Just after local midnight the day's sale is today's, not yesterday's.
        #expect(schedule.nextStart(after: Self.twelfth - 20 * 3600 + 60) == Self.twelfth)
        #expect(schedule.nextStart(after: Self.twelfth + 1) == Self.twelfth + 86400)
    }

    @Test func aDailySaleInTheHostsZoneStartsAtThatWallClockTime() throws {
        let schedule = SurgeConfig.Schedule(sales: [.daily(hour: 20, minute: 15, utcOffsetSeconds: nil)], lead: .seconds(600))
        var starts: [Double] = []
        var time = Self.twelfth
        for _ in 0..<3 {
            let start = try #require(schedule.nextStart(after: time))
            var seconds = time_t(start)
            var parts = tm()
            _ = localtime_r(&seconds, &parts)
            #expect(parts.tm_hour == 20 && parts.tm_min == 15 && parts.tm_sec == 0, "in the zone TZ or /etc/localtime names")
            #expect(schedule.saleStart(at: start - 60, interval: 10) == start)
            starts.append(start)
            time = start
        }
        #expect(starts[1] - starts[0] >= 23 * 3600 && starts[1] - starts[0] <= 25 * 3600)
    }

    @Test func theLogAndTheSummaryNameWhatWasAnnounced() {
        let schedule = SurgeConfig.Schedule(sales: [.once(unixSeconds: Self.twelfth), .once(unixSeconds: Self.twelfth + 86400)],
                                            lead: .seconds(600), fireProbability: 0.7)
        #expect(schedule.summary(now: Self.twelfth + 1)
            == "2 announced sales, the next at 2025-12-13T12:00:00Z: a predicted alert fires at p >= 0.7 in the 10m before each")
        #expect(schedule.summary(now: Self.twelfth + 86401)?.contains("none still to come") == true)
        #expect(schedule.firing == ", or 0.7 in the 10m before each of 2 announced sales")
        #expect(SurgeConfig.Schedule().summary(now: 0) == nil)
        #expect(SurgeConfig.Schedule().firing == "")
        var level = schedule
        level.fireWhen = [OverloadCondition(metric: "cpu_busy", comparison: .greaterOrEqual, threshold: 0.3)]
        #expect(level.firing == ", or 0.7 in the 10m before each of 2 announced sales, or on the tick before each while cpu_busy >= 0.3")
        #expect(level.summary(now: Self.twelfth + 1)?.hasSuffix("before each, and on the tick before each while cpu_busy >= 0.3") == true)
    }

    /// The hourly cache gives what the schedule gives, tick by tick over three days (with a
    /// step back in time), for single, daily-local and daily-offset sales and the longest lead.
    @Test func theCachedStartsAnswerAsTheScheduleDoes() {
        let schedule = SurgeConfig.Schedule(sales: [.once(unixSeconds: Self.twelfth + 7_000), .daily(hour: 0, minute: 5, utcOffsetSeconds: nil),
                                                    .daily(hour: 23, minute: 59, utcOffsetSeconds: 3 * 3600)], lead: .seconds(7200))
        var cached = AnnouncedStarts(schedule)
        var times = Array(stride(from: Self.twelfth, to: Self.twelfth + 3 * 86400, by: 10.0))
        times.insert(contentsOf: [Self.twelfth + 100, Self.twelfth - 50_000], at: 5_000)
        var inWindow = 0
        for time in times {
            let expected = schedule.saleStart(at: time, interval: 10)
            #expect(cached.saleStart(at: time, interval: 10) == expected, "at \(time)")
            if expected != nil { inWindow += 1 }
        }
        #expect(inWindow > 3 * 2 * 720, "two daily windows of 2 h a day, and the single one")
        var none = AnnouncedStarts(SurgeConfig.Schedule())
        #expect(none.saleStart(at: Self.twelfth, interval: 10) == nil)
    }

    /// Fractions of a second, zones, leap days; and what RFC 3339 does not allow is refused,
    /// not read as a neighbouring time.
    @Test func rfc3339ReadsFractionsAndRefusesImpossibleDates() {
        func parse(_ text: String) -> Double? { RFC3339.parse(ArraySlice(text.utf8)) }
        #expect(parse("2026-01-01T00:00:00.25Z") == 1_767_225_600.25)
        #expect(parse("2026-01-01 08:00:00.5+08:00") == 1_767_225_600.5)
        #expect(parse("2026-01-01T00:00:00.125") == 1_767_225_600.125, "no zone: UTC")
        #expect(parse("2024-02-29T00:00:00Z") == 1_709_164_800, "a leap day")
        #expect(parse("2000-02-29T00:00:00Z") == 951_782_400, "every 400 years a leap year")
        for impossible in ["2026-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-02-30T00:00:00Z",
                           "2026-13-01T00:00:00Z", "2026-01-00T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:00:00.Z",
                           "2026-01-01T00:00:00.", "2026-01-01T00:00:00+0800", "2026-01-01T00:00:00Zx", "2026-01-01"] {
            #expect(parse(impossible) == nil, "\(impossible)")
        }
    }

    @Test(arguments: [0.0, 1_514_764_800, 951_782_400, 1_767_225_599, 4_102_444_800])
    func rfc3339FormatsWhatItParses(seconds: Double) throws {
        let text = RFC3339.format(seconds)
        #expect(RFC3339.parse(ArraySlice(text.utf8)) == seconds, "\(text)")
    }
}
