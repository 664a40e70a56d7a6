import Testing
import SurgeConfig
@testable import SurgeDetection

/// `SaleLevelSearch`: the `[schedule] fire_when` level a history of announced sales names, from
/// the values each feature had on the last tick before each start.
@Suite struct SaleLevelSearchTests {
    /// A sale every 100 ticks (10 s apart) from tick 50; p never warns, so only a level can.
    /// `busy(sale)`: the CPU on the tick before that sale's start (0.1 elsewhere); `breaches`:
    /// the sales that break the rule 2-4 ticks after their start. `load1` is noise that says
    /// nothing of which sale breaches.
    static func history(sales: Int, busy: (Int) -> Double, breaches: (Int) -> Bool,
                        level: [OverloadCondition] = []) -> (series: PolicyGrid.Series, config: SurgeConfig) {
        let ticks = sales * 100 + 50
        let start = { (sale: Int) in 50 + sale * 100 }
        var cpu = Array(repeating: 0.1, count: ticks), load = Array(repeating: 0.0, count: ticks)
        var labels: [Bool?] = Array(repeating: false, count: ticks)
        for sale in 0..<sales {
            cpu[start(sale) - 1] = busy(sale)
            load[start(sale) - 1] = Double((sale * 7) % 5)
            if breaches(sale) { for tick in start(sale) + 2...start(sale) + 4 { labels[tick] = true } }
        }
        var config = SurgeConfig()
        config.model.features = ["cpu_busy", "load1"]
        config.model.horizonTicks = 3
        config.schedule.sales = (0..<sales).map { .once(unixSeconds: Double(start($0)) * 10) }
        config.schedule.fireProbability = 1  // p alone never fires in a sale's window
        config.schedule.fireWhen = level
        let series = PolicyGrid.Series(timestamps: (0..<ticks).map { Double($0) * 10 }, labels: labels,
                                       probabilities: Array(repeating: 0.05, count: ticks),
                                       columns: ["cpu_busy": cpu, "load1": load])
        return (series, config)
    }

    /// Twelve sales, the odd ones on a busy host (0.6 before the start) and breaching: the
    /// level halfway between the two kinds warns all six with no false alarm.
    @Test func theLevelBetweenTheSalesThatBreachAndTheOnesAbsorbedIsSuggested() {
        let (series, config) = Self.history(sales: 12, busy: { $0 % 2 == 1 ? 0.6 : 0.2 }, breaches: { $0 % 2 == 1 })
        let lines = SaleLevelSearch.report(series: [series], config: config)
        #expect(lines.count == 5, "\(lines)")
        #expect(lines.first == "the config's policy with no level:  6 episodes, 0 early (0 %), 0.0 false alarms/day, median lead 0 s", "\(lines)")
        #expect(lines[1].hasPrefix("suggested for [schedule] on these 12 sales:  6 episodes, 6 early (100 %), 0.0 false alarms/day"), "\(lines)")
        #expect(lines[1].hasSuffix("[fire_when = [\"cpu_busy >= 0.40\"]]"), "\(lines)")
        #expect(lines[2] == "levels of cpu_busy that net within 1 of it: 0.40 to 0.40", "one level splits the two kinds: \(lines)")
        #expect(lines[3] == "the window's fire_probability with fire_when = [\"cpu_busy >= 0.4\"]: 0.50 nets 6, 0.60 nets 6, 0.70 nets 6, "
                + "0.80 nets 6, 0.90 nets 6, 0.95 nets 6, 1.00 nets 6", "p never rises, so the threshold does nothing: \(lines)")
        #expect(lines.last == "the config's fire_probability (1.00) nets as much as any with it", "\(lines)")
    }

    /// A level under every sale's value fires before each: the absorbed ones are false alarms.
    /// The config's own level is scored beside the search's.
    @Test func theConfigsOwnLevelIsScoredBeside() throws {
        let own = try OverloadCondition.parse("cpu_busy >= 0.15").get()
        let (series, config) = Self.history(sales: 12, busy: { $0 % 2 == 1 ? 0.6 : 0.2 }, breaches: { $0 % 2 == 1 }, level: [own])
        let lines = SaleLevelSearch.report(series: [series], config: config)
        #expect(lines.count == 6, "\(lines)")
        #expect(lines[1].hasPrefix("with the config's level:  6 episodes, 6 early (100 %)"), "\(lines)")
        #expect(!lines[1].contains(" 0.0 false alarms/day"), "the six absorbed sales alarm: \(lines)")
        #expect(lines[1].hasSuffix("[fire_when = [\"cpu_busy >= 0.15\"]]"), "as the config writes it: \(lines)")
        #expect(lines[2].hasSuffix("[fire_when = [\"cpu_busy >= 0.40\"]]"), "\(lines)")
    }

    /// When the CPU before a sale says nothing of whether it breaches, no level is suggested:
    /// every level warns as many breaches as it raises false alarms, or nearly.
    @Test func aLevelThatSaysNothingIsNotSuggested() {
        let (series, config) = Self.history(sales: 12, busy: { [0.3, 0.5, 0.7][$0 % 3] }, breaches: { $0 % 2 == 1 })
        let lines = SaleLevelSearch.report(series: [series], config: config)
        #expect(lines.last == "no level on the tick before a sale nets 2 more than none on these 12 sales", "\(lines)")
    }

    /// The band of levels as good as the one named: the breaching sales sit at 0.5, 0.6 and 0.7
    /// before their start, the absorbed ones at 0.2 but one at 0.44. 0.47 warns all six breaches
    /// with no false alarm; 0.32 also alarms on the one absorbed sale (net one less) and stays in
    /// the band; 0.55 loses two breaches and ends it.
    @Test func theBandOfLevelsAsGoodIsNamed() {
        let busy = { (sale: Int) in sale == 0 ? 0.44 : sale % 2 == 1 ? [0.5, 0.6, 0.7][(sale / 2) % 3] : 0.2 }
        let (series, config) = Self.history(sales: 12, busy: busy, breaches: { $0 % 2 == 1 })
        let lines = SaleLevelSearch.report(series: [series], config: config)
        #expect(lines[1].hasSuffix("[fire_when = [\"cpu_busy >= 0.47\"]]"), "\(lines)")
        #expect(lines[2] == "levels of cpu_busy that net within 1 of it: 0.32 to 0.47", "\(lines)")
    }

    /// With the level set, a window threshold of 0.7 fires on the first tick of the six absorbed
    /// sales, where p reads 0.75: six false alarms. 0.8 and above warn the same breaches, from
    /// the level, with none; the lowest of them is suggested.
    @Test func theWindowsThresholdIsChosenWithTheLevel() throws {
        let own = try OverloadCondition.parse("cpu_busy >= 0.4").get()
        var (series, config) = Self.history(sales: 12, busy: { $0 % 2 == 1 ? 0.6 : 0.2 }, breaches: { $0 % 2 == 1 }, level: [own])
        for sale in stride(from: 0, to: 12, by: 2) { series.probabilities[50 + sale * 100] = 0.75 }
        config.schedule.fireProbability = 0.7
        let lines = SaleLevelSearch.report(series: [series], config: config)
        let window = try #require(lines.firstIndex { $0.hasPrefix("the window's fire_probability with") }, "\(lines)")
        #expect(lines[window] == "the window's fire_probability with fire_when = [\"cpu_busy >= 0.4\"]: 0.50 nets 0, 0.60 nets 0, 0.70 nets 0, "
                + "0.80 nets 6, 0.90 nets 6, 0.95 nets 6, 1.00 nets 6", "\(lines)")
        #expect(lines[window + 1].hasPrefix("suggested with it:  6 episodes, 6 early (100 %), 0.0 false alarms/day"), "\(lines)")
        #expect(lines[window + 1].hasSuffix("[fire_probability = 0.80]"), "\(lines)")
        config.schedule.fireProbability = 0.9
        #expect(SaleLevelSearch.report(series: [series], config: config).last == "the config's fire_probability (0.90) nets as much as any with it")
        config.schedule.fireProbability = 0.75  // not one the search tries: scored all the same
        #expect(SaleLevelSearch.report(series: [series], config: config).last?.hasSuffix("[fire_probability = 0.80]") == true)
        config.schedule.fireProbability = 0.85
        #expect(SaleLevelSearch.report(series: [series], config: config).last == "the config's fire_probability (0.85) nets as much as any with it")
    }

    /// Nine sales split as cleanly are too few to choose by.
    @Test func tooFewSalesChooseNoLevel() {
        let (series, config) = Self.history(sales: 9, busy: { $0 % 2 == 1 ? 0.6 : 0.2 }, breaches: { $0 % 2 == 1 })
        let lines = SaleLevelSearch.report(series: [series], config: config)
        #expect(lines.last == "9 announced sales in these ticks: too few to choose a level by (10 or more)", "\(lines)")
        var none = config
        none.schedule.sales = []
        #expect(SaleLevelSearch.report(series: [series], config: none).isEmpty, "no sales announced, no search")
    }

    /// The levels tried lie halfway between the values seen before the starts, as printed.
    @Test func levelsLieHalfwayBetweenTheValuesSeen() {
        let (series, config) = Self.history(sales: 4, busy: { [0.3, 0.31, 0.5, 0.3][$0] }, breaches: { _ in false })
        var schedule = config.schedule
        schedule.fireWhen = []
        let announced = series.announcing(schedule)
        #expect(announced.levelTicks == [49, 149, 249, 349])
        #expect(SaleLevelSearch.levels(of: "cpu_busy", in: [announced]) == [0.31, 0.41])
        #expect(SaleLevelSearch.levels(of: "no_such_metric", in: [announced]).isEmpty)
    }
}
