import ArgumentParser
import SurgeConfig
import SurgeDetection
import SurgeSimulation
import SurgeSampling

/// How well *any* predictor could have warned on a simulated shop trace (`ShopOracle`): the
/// alert policy run on the true probability of a breach, given the shop's hidden state, both
/// with the demand that really came and with demand held at its current level. Scored like
/// `replay`, for the config's policy and for the best policy of a grid.
struct OracleBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oracle",
        abstract: "Early warnings and false alarms of an oracle that knows the simulated shop's hidden state.")

    @Option(help: "Config whose [overload] rule, horizon and [alert] policy are used.")
    var config = "config/surgewatch.toml"

    @Option(help: "worldcup or flash-sale (as `surgewatch simulate`).")
    var demand = "worldcup"

    @Option(help: "World Cup: the requests_per_minute CSV.")
    var input: String?

    @Option(help: "World Cup: first day to include (YYYY-MM-DD, UTC).")
    var from: String?

    @Option(help: "World Cup: last day to include (YYYY-MM-DD, UTC).")
    var to: String?

    @Option(help: "Flash sales: days to simulate.")
    var days = 14.0

    @Option(help: "The simulation's seed (the same trace as `surgewatch simulate --seed`).")
    var seed: UInt64 = 1

    @Option(help: "Continuations per tick.")
    var continuations = 100

    func run() throws {
        let settings = try ConfigLoader.load(path: config)
        let series: DemandSeries
        if demand == "worldcup" {
            guard let input else { throw ValidationError("--demand worldcup needs --input") }
            let first = try from.map { try Self.day($0) } ?? -.infinity
            let last = try to.map { try Self.day($0) + 86399 } ?? .infinity
            series = try DemandSeries.worldCup(Self.read(input), path: input, from: first, to: last)
        } else {
            series = DemandSeries.flashSales(days: days, seed: seed)
        }
        let timestamps = series.demand.indices.map { series.start + Double($0) * series.tickSeconds }
        let horizon = settings.model.horizonTicks
        for forecast in ShopOracle.Forecast.allCases {
            let oracle = ShopOracle(continuations: continuations, horizon: max(horizon, 1), forecast: forecast)
            let (labels, probabilities) = oracle.run(series: series, seed: seed, overload: settings.overload)
            func score(_ policy: AlertPolicy) -> EpisodeScore {
                EpisodeScore.score(timestamps: timestamps, labels: labels,
                                   alerting: alertSeries(probabilities: probabilities, labels: labels, policy: policy),
                                   horizon: horizon, mergeGap: settings.alert.resolveAfter)
            }
            let own = AlertPolicy(fireProbability: settings.alert.fireProbability, resolveProbability: settings.alert.resolveProbability,
                                  fireAfter: settings.alert.fireAfter, resolveAfter: settings.alert.resolveAfter,
                                  fireAtOnceProbability: settings.alert.fireAtOnceProbability)
            print("oracle, demand \(forecast == .known ? "known" : "held at its level") over the horizon:")
            print("  the config's policy:  \(Self.describe(score(own)))")
            var grid: [(policy: String, score: EpisodeScore)] = []
            for fire in [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95] {
                for after in 1...3 {
                    let policy = AlertPolicy(fireProbability: fire, resolveProbability: min(settings.alert.resolveProbability, fire * 0.6),
                                             fireAfter: after, resolveAfter: settings.alert.resolveAfter, fireAtOnceProbability: 1)
                    grid.append(("p >= \(fire) for \(after)", score(policy)))
                }
            }
            let net = { (s: EpisodeScore) in Double(s.caughtEarly) - Double(s.falseAlarms) }
            if let best = grid.max(by: { net($0.score) < net($1.score) }) {
                print("  best early - false alarms (\(best.policy)):  \(Self.describe(best.score))")
            }
            let early = grid.filter { $0.score.earlyFraction >= 0.7 }
            if let quietest = early.min(by: { $0.score.falseAlarms < $1.score.falseAlarms }) {
                print("  fewest false alarms at >= 70 % early (\(quietest.policy)):  \(Self.describe(quietest.score))")
            } else {
                print("  no policy of the grid warns 70 % of episodes early")
            }
        }
    }

    static func describe(_ s: EpisodeScore) -> String {
        let percent = Int((s.earlyFraction * 100).rounded())
        let perDay = (s.falseAlarmsPerDay * 100).rounded() / 100
        return "\(s.episodes) episodes, \(s.caughtEarly) early (\(percent) %), \(perDay) false alarms/day, median lead \(Int(s.medianLeadSeconds ?? 0)) s"
    }

    static func day(_ text: String) throws -> Double {
        guard let seconds = TraceTime.parse(text + "T00:00:00Z") else { throw OracleFailure(description: "expected YYYY-MM-DD, got \(text)") }
        return seconds
    }

    /// The whole file, through the reader the tools use (`FileAccess` in `surgewatch`).
    static func read(_ path: String) throws -> [UInt8] {
        do {
            return try ProcFileReader(limit: 1 << 31).read(path).bytes
        } catch {
            throw OracleFailure(description: "\(error)")
        }
    }
}

/// A failure of the run itself (unreadable input, bad date): said without the usage text.
struct OracleFailure: Error, CustomStringConvertible {
    let description: String
}
