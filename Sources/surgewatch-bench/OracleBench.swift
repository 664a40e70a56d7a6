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
            print("oracle, demand \(forecast == .known ? "known" : "held at its level") over the horizon:")
            for line in PolicyGrid.report(timestamps: timestamps, labels: labels, probabilities: probabilities, config: settings) {
                print("  " + line)
            }
        }
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
