import Foundation
import Testing
@testable import SurgeDaemon

@Suite struct OwnCostTests {
    @Test func quantilesAreWithinTwoPercentOfTheTrueOnes() {
        var histogram = LogHistogram()
        // 1 .. 10,000 µs, shuffled so the order of arrival cannot matter.
        var generator = SystemRandomNumberGenerator()
        for value in (1...10_000).shuffled(using: &generator) { histogram.add(Double(value)) }
        #expect(histogram.count == 10_000 && histogram.maximum == 10_000)
        for (q, truth) in [(0.5, 5_000.0), (0.9, 9_000.0), (0.99, 9_900.0), (0.01, 100.0)] {
            let estimate = histogram.quantile(q)
            #expect(abs(estimate - truth) / truth <= 0.02, "q \(q): \(estimate) against \(truth)")
        }
    }

    @Test func emptyTinyAndHugeValues() {
        var histogram = LogHistogram()
        #expect(histogram.quantile(0.5) == 0)
        histogram.add(0)
        histogram.add(0.4)
        #expect(histogram.quantile(0.5) == 0.4, "never above the largest value")
        histogram.add(1e12)  // past the last bucket: counted there, and the maximum is exact
        #expect(histogram.quantile(1) == LogHistogram.middle(of: LogHistogram.bucketCount - 1))
        #expect(histogram.maximum == 1e12 && histogram.count == 3)
    }

    @Test func theReportSaysTheQuantilesTheShareOfACoreAndTheMemoryThenStartsAgain() {
        var cost = OwnCost(cpuSeconds: 5, wallSeconds: 100)
        var cpu = 5.0
        // Nine ticks of 0.3 ms and one Adam step's tick of 2.4 ms, every 10 s.
        for index in 1...10 {
            cpu += index == 10 ? 0.0024 : 0.0003
            let spent = cost.tick(cpuSeconds: cpu, wallSeconds: 100 + 10 * Double(index))
            #expect(abs(spent - (index == 10 ? 2400 : 300)) < 1e-6)
        }
        #expect(cost.ticks == 10)
        // 5.1 ms over 100 s.
        #expect(cost.report(memory: .init(rssKiB: 27_034, anonymousKiB: 7_270, peakKiB: 27_750))
                == "own cost over the last 10 ticks: CPU per tick median 0.30 ms, p99 2.4 ms, at most 2.4 ms; 0.0051 % of a core; RSS 26.4 MiB (7.1 MiB anonymous; peak 27.1 MiB)")
        #expect(cost.ticks == 0)
        _ = cost.tick(cpuSeconds: cpu + 0.012, wallSeconds: 210)
        #expect(cost.report(memory: nil) == "own cost over the last 1 tick: CPU per tick median 12 ms, p99 12 ms, at most 12 ms; 0.12 % of a core")
        _ = cost.tick(cpuSeconds: cpu + 0.024, wallSeconds: 220)
        // A kernel before 4.5 has no RssAnon.
        #expect(cost.report(memory: .init(rssKiB: 27_034, anonymousKiB: nil, peakKiB: 27_750))
                == "own cost over the last 1 tick: CPU per tick median 12 ms, p99 12 ms, at most 12 ms; 0.12 % of a core; RSS 26.4 MiB (peak 27.1 MiB)")
    }

    @Test func aClockThatSeemsToGoBackCountsNothing() {
        var cost = OwnCost(cpuSeconds: 2, wallSeconds: 0)
        #expect(cost.tick(cpuSeconds: 1, wallSeconds: 1) == 0)
    }

    @Test func memoryIsReadFromAStatusFileAndFromThisProcess() throws {
        let path = NSTemporaryDirectory() + "surgewatch-status-\(UUID().uuidString.prefix(8))"
        try "Name:\tsurgewatch\nVmPeak:\t  300000 kB\nVmHWM:\t   27750 kB\nVmRSS:\t   27034 kB\nRssAnon:\t    7270 kB\nRssFile:\t   19764 kB\nThreads:\t5\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(OwnCost.memory(status: path) == .init(rssKiB: 27_034, anonymousKiB: 7_270, peakKiB: 27_750))
        let own = try #require(OwnCost.memory())
        let anonymous = try #require(own.anonymousKiB)
        #expect(own.rssKiB > 1000 && own.peakKiB >= own.rssKiB && anonymous > 0 && anonymous < own.rssKiB)
        #expect(OwnCost.memory(status: path + ".absent") == nil)
    }

    @Test func twoSignificantDigits() {
        #expect(OwnCost.twoDigits(0.00431) == "0.0043")
        #expect(OwnCost.twoDigits(0.314) == "0.31")
        #expect(OwnCost.twoDigits(14.2) == "14")
        #expect(OwnCost.twoDigits(230.4) == "230")
        #expect(OwnCost.twoDigits(0) == "0")
        #expect(OwnCost.milliseconds(1_500_000) == "1.5 s")
    }
}
