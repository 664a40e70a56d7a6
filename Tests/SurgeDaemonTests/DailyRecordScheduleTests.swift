import Testing
@testable import SurgeDaemon

@Suite struct DailyRecordScheduleTests {
    /// Days of a shop in UTC+8 (Beijing): local midnight is 16:00 UTC.
    static func beijingDay(_ time: Double) -> Int { Int(((time + 8 * 3600) / 86400).rounded(.down)) }
    /// 2026-12-01 00:00:00 in Beijing.
    static let midnight = 1_796_054_400.0

    /// The times at which a schedule is due over `ticks` ticks of `interval` from `start`,
    /// restarted (a new schedule knowing the newest stored tick) every `restartEvery` ticks.
    static func dueTimes(start: Double, ticks: Int, interval: Double = 10, restartEvery: Int? = nil,
                         lastStored: Double? = nil) -> [Double] {
        var schedule = DailyRecordSchedule(lastStored: lastStored, dayOf: beijingDay)
        var due: [Double] = []
        var tickOfRun = 0
        for index in 0..<ticks {
            let time = start + Double(index) * interval
            if let restartEvery, index > 0, index % restartEvery == 0 {
                schedule = DailyRecordSchedule(lastStored: time - interval, dayOf: beijingDay)
                tickOfRun = 0
            }
            tickOfRun += 1
            if schedule.isDue(tick: tickOfRun, at: time) { due.append(time) }
        }
        return due
    }

    @Test func dueAtTheFirstTickOfEachLocalDayWhateverHourTheDaemonStarted() {
        // Started at 13:00:05 local, three days of 10 s ticks.
        let start = Self.midnight - 11 * 3600 + 5
        let due = Self.dueTimes(start: start, ticks: 3 * 8640)
        #expect(due == [Self.midnight + 5, Self.midnight + 86400 + 5, Self.midnight + 2 * 86400 + 5])
    }

    @Test func aDaemonRestartedEverySixHoursStillLogsEachDay() {
        // Counting a day of ticks from each start, this daemon never logged its record.
        let start = Self.midnight - 11 * 3600 + 5
        let due = Self.dueTimes(start: start, ticks: 3 * 8640, restartEvery: 2160)
        #expect(due == [Self.midnight + 5, Self.midnight + 86400 + 5, Self.midnight + 2 * 86400 + 5])
    }

    @Test func aStartAfterMidnightLogsTheRecordItsStopMissed() {
        // Stopped at 23:50, started again at 00:20: its first tick is due, the next ones not.
        let due = Self.dueTimes(start: Self.midnight + 1200, ticks: 100, lastStored: Self.midnight - 600)
        #expect(due == [Self.midnight + 1200])
        // Stopped and started again within the day: nothing is due.
        #expect(Self.dueTimes(start: Self.midnight + 1200, ticks: 100, lastStored: Self.midnight + 600).isEmpty)
    }

    @Test func aFirstStartWaitsForMidnight() {
        // Nothing stored: the first tick is not the first of a day the daemon saw begin.
        #expect(Self.dueTimes(start: Self.midnight + 5, ticks: 100).isEmpty)
        #expect(Self.dueTimes(start: Self.midnight - 25, ticks: 5) == [Self.midnight + 5])
    }

    @Test func aClockSetBackOverMidnightStillLogsAtTheNextMidnight() {
        var schedule = DailyRecordSchedule(lastStored: Self.midnight - 10, dayOf: Self.beijingDay)
        // Set back 20 s to the day before after the first tick: not due there, due again
        // when midnight comes.
        let times = [Self.midnight + 5, Self.midnight - 5, Self.midnight + 5, Self.midnight + 15]
        var due: [Bool] = []
        for (index, time) in times.enumerated() { due.append(schedule.isDue(tick: index + 1, at: time)) }
        #expect(due == [true, false, true, false])
    }

    @Test func withAnotherPaceADayIsCountedInTicks() {
        var schedule = DailyRecordSchedule(ticksPerDay: 288)
        var due: [Int] = []
        var since: [Double] = []
        for tick in 1...600 where schedule.isDue(tick: tick, at: Self.midnight + Double(tick) * 0.001) {
            due.append(tick)
            since.append(schedule.recordSince)
        }
        #expect(due == [288, 576])
        // Each record reads its own day's ticks: from the first tick of that day of ticks.
        #expect(since == [Self.midnight + 1 * 0.001, Self.midnight + 289 * 0.001])
    }

    @Test func atItsRealPaceTheRecordReadsTheLast24Hours() {
        var schedule = DailyRecordSchedule(lastStored: Self.midnight - 10, dayOf: Self.beijingDay)
        let due = schedule.isDue(tick: 1, at: Self.midnight + 5)
        #expect(due)
        #expect(schedule.recordSince == Self.midnight + 5 - 86400)
    }

    @Test func theLocalDayChangesAtMidnightOfTheSystemsZone() {
        // The process's zone is whatever the machine has (the daemon's end-to-end test sets
        // one); within a year, a day later is the next day in any zone.
        let days = (0..<30).map { DailyRecordSchedule.localDay(Self.midnight - 40 * 86400 + Double($0) * 86400) }
        #expect(zip(days, days.dropFirst()).allSatisfy { $1 == $0 + 1 }, "\(days)")
    }
}
