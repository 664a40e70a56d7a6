import ArgumentParser
import SurgeConfig
import SurgeDetection

/// Scores any predictor's per-tick probabilities the way `replay` scores surgewatch's: reads a
/// prediction CSV (CONTRACTS.md: timestamp,probability,alerting,label; `alerting` is ignored
/// and recomputed) and reports the config's policy and the best of a grid (`PolicyGrid`).
/// Benchmarks/peer_gbm.py uses it to put a gradient-boosted classifier beside the model.
struct ScoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Early warnings and false alarms of the probabilities in a prediction CSV, under the config's policy and a grid.")

    @Option(help: "Config whose horizon and [alert] policy are used.")
    var config = "config/surgewatch.toml"

    @Option(help: "Prediction CSV: timestamp,probability,alerting,label (an empty probability or label is unknown).")
    var predictions: String

    func run() throws {
        let settings = try ConfigLoader.load(path: config)
        let series = try PredictionCSV.series(predictions)
        print("\(predictions):")
        for line in PolicyGrid.report(series: [series], config: settings) {
            print("  " + line)
        }
    }
}
