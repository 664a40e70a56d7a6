import ArgumentParser
import Glibc
import SurgeConfig
import SurgeDetection
import SurgeJournal
import SurgeSampling

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model from a trace CSV: the first 80 % trains, the last 20 % validates; the best epoch is written.")

    @Option(help: "The config file (features, rule, window, horizon, sizes).", completion: .file())
    var config = ConfigLoader.defaultPath

    @Option(help: "A trace CSV (- reads standard input); repeat to train on several (each is cut into training and validation on its own).", completion: .file())
    var input: [String]

    @Option(help: "The model file to write; - writes standard output.", completion: .file())
    var output: String

    @Option(help: "Passes over the training windows.")
    var epochs = 10

    @Option(help: "Seed of initialisation, thinning and shuffling: the same seed and trace give the same model file.")
    var seed: UInt64 = 1

    @Option(help: "Fraction of the trace, at its end, kept for validation.")
    var validation = 0.2

    @Option(help: "Thin the normal windows, evenly through the traces, to at most this many; every overload window is kept. More costs training time and gives fewer false alarms near capacity (BENCHMARKS.md).")
    var maxNormalWindows = OfflineTrainer.Options().maximumNormalWindows

    @Option(help: "Keep every normal window within this many ticks of an overload window (the near misses), beyond --max-normal-windows.")
    var keepNormalNear = 0

    @Option(help: "Which epoch to keep: 'episodes' (most validation episodes warned early minus false alarms, under the config's alert policy with --rank-resolve-probability) or 'loss' (lowest validation loss).", completion: .list(["episodes", "loss"]))
    var select = "episodes"

    @Option(help: "With --select episodes, the ranking's alerts resolve below this p, or below the config's resolve_probability if higher: each episode's warning then counts on its own, and the daemon's band does not change which epoch is kept.")
    var rankResolveProbability = OfflineTrainer.Options().rankingResolveProbability

    @Option(help: "With --select episodes, the ranking's alerts fire at this p (default: the config's fire_probability): a recipe that pins it trains the same model whatever the daemon's default policy.")
    var rankFireProbability: Double?

    @Option(help: "With --select episodes, the ranking's alerts also fire at once at this p (default: the config's fire_at_once_probability), at least at the ranking's fire level: pinned with --rank-fire-probability by the shipped models' recipes.")
    var rankFireAtOnceProbability: Double?

    @Option(help: ArgumentHelp("Features to read against the host's own usual level (comma-separated): counts and rates that grow with the host's size, such as load1,tcp_established.",
                               discussion: "The model then reads each as its log less its running level on the host (a half-life of 8,640 ticks, a day at 10 s), the same on a host of any size; the model file records it (README, \"A host of another size\")."))
    var relativeLevels: String?

    func run() throws {
        try reportingFailures {
            guard epochs >= 1 && epochs <= 10_000 else { throw ToolFailure("--epochs must be 1 ... 10000") }
            guard validation >= 0 && validation < 0.9 else { throw ToolFailure("--validation must be in [0, 0.9)") }
            guard !input.isEmpty else { throw ToolFailure("--input: give at least one trace") }
            // As gzip does: a model file is bytes, not text, and a terminal is no place for it.
            guard output != FileAccess.standardStream || isatty(STDOUT_FILENO) == 0 else {
                throw ToolFailure("--output -: standard output is a terminal, and a model file is binary; redirect it to a file or a pipe")
            }
            var traces: [Trace] = []
            var loaded = SurgeConfig()
            for path in input {
                let trace = try TraceCSV.parse(FileAccess.read(path), path: FileAccess.name(path))
                loaded = try ConfigLoader.load(path: config, metrics: MetricsOrigin(names: trace.schema.names, place: "the trace \(path)"))
                // The horizon and window are counted in ticks: one model cannot learn two tick lengths.
                if let first = traces.first, !ModelCatalog.sameTick(first.tickSeconds, trace.tickSeconds) {
                    throw ToolFailure("\(path): its ticks are \(DurationText.format(seconds: trace.tickSeconds)) apart, \(input[0])'s \(DurationText.format(seconds: first.tickSeconds)): a model's horizon and window are counted in ticks, so train on traces of one tick length (resample the other)")
                }
                traces.append(trace)
            }
            var options = OfflineTrainer.Options()
            options.epochs = epochs
            options.seed = seed
            options.validationFraction = validation
            guard keepNormalNear >= 0 else { throw ToolFailure("--keep-normal-near must be 0 or more") }
            options.keepNormalNear = keepNormalNear
            guard maxNormalWindows >= 1 else { throw ToolFailure("--max-normal-windows must be 1 or more") }
            options.maximumNormalWindows = maxNormalWindows
            guard let selection = OfflineTrainer.Selection(rawValue: select) else {
                throw ToolFailure("--select must be one of \(OfflineTrainer.Selection.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            options.selection = selection
            guard rankResolveProbability > 0 && rankResolveProbability < 1 else { throw ToolFailure("--rank-resolve-probability must be in (0, 1)") }
            options.rankingResolveProbability = rankResolveProbability
            if let rankFireProbability {
                guard rankFireProbability > 0 && rankFireProbability <= 1 else { throw ToolFailure("--rank-fire-probability must be in (0, 1]") }
                options.rankingFireProbability = rankFireProbability
            }
            if let rankFireAtOnceProbability {
                guard rankFireAtOnceProbability > 0 && rankFireAtOnceProbability <= 1 else {
                    throw ToolFailure("--rank-fire-at-once-probability must be in (0, 1]")
                }
                options.rankingFireAtOnceProbability = rankFireAtOnceProbability
            }
            if let relativeLevels {
                let names = relativeLevels.split(separator: ",").map { String($0.filter { $0 != " " }) }
                for name in names {
                    guard loaded.model.features.contains(name) else {
                        throw ToolFailure("--relative-levels: \(name) is not one of the config's features (\(loaded.model.features.joined(separator: ", ")))")
                    }
                    guard FeatureScaler.transform(for: name) == .log1p else {
                        throw ToolFailure("--relative-levels: \(name) is a bounded figure (a ratio, a percentage, up or down), the same on any host: only counts and rates are read against a level")
                    }
                }
                options.relativeLevels = Set(names)
            }
            let trainer = OfflineTrainer(config: loaded, options: options)
            let interactive = isatty(STDERR_FILENO) == 1
            writeAll("training on \(traces.map(\.count).reduce(0, +)) ticks of \(input.joined(separator: ", ")) (features \(loaded.model.features.joined(separator: ", ")); horizon \(loaded.model.horizonTicks) ticks)\n", to: STDERR_FILENO)
            // Said now rather than by the daemon that will run it.
            if let tick = traces.first?.tickSeconds, !ModelCatalog.sameTick(tick, loaded.sampling.interval.seconds) {
                writeAll("warning: the traces' ticks are \(DurationText.format(seconds: tick)), \(config)'s sampling.interval is \(DurationText.format(loaded.sampling.interval)): the model learns horizon and window at \(DurationText.format(seconds: tick)) ticks, and a daemon sampling at \(DurationText.format(loaded.sampling.interval)) will warn that they mean other times there\n", to: STDERR_FILENO)
            }
            if selection == .episodes {
                let alert = trainer.rankingConfig.alert
                writeAll("epochs ranked by validation episodes warned early minus false alarms; alerts \(alert.described())\n", to: STDERR_FILENO)
            }
            let result = trainer.train(traces) { report in
                var line = "epoch \(report.epoch)/\(epochs)  loss \(Self.format(Double(report.trainLoss)))"
                if let loss = report.validationLoss { line += "  validation loss \(Self.format(Double(loss)))" }
                if let score = report.validation {
                    line += "  episodes \(score.episodes), caught early \(score.caughtEarly), continuing \(score.continuing), false alarms \(score.falseAlarms) (\(Self.format(score.falseAlarmsPerDay))/day)"
                }
                writeAll((interactive ? "\u{1B}[2K\r" : "") + line + "\n", to: STDERR_FILENO)
            }
            let keptNormal = result.trainingWindows - result.overloadWindows
            let thinning = keptNormal < result.normalWindowsBeforeThinning
                ? "; normal windows thinned evenly to \(keptNormal) of \(result.normalWindowsBeforeThinning) (--max-normal-windows \(maxNormalWindows))" : ""
            writeAll("\(result.trainingWindows) training windows per epoch, \(result.overloadWindows) of them overload\(thinning)\n", to: STDERR_FILENO)
            // An untrained model written with exit 0 would pass for a trained one.
            guard result.trainingWindows > 0 else {
                let needed = loaded.window.ticks + loaded.model.horizonTicks
                let longest = traces.map(trainer.trainingTicks).max() ?? 0
                throw ToolFailure("no window to learn from, nothing written: a trace's training part (its first \(Int(((1 - validation) * 100).rounded())) %) needs at least window.ticks + model.horizon_ticks = \(needed) ticks with the features present; the longest here has \(longest)")
            }
            guard result.trainingWindows >= options.batch else {
                let needed = loaded.window.ticks + loaded.model.horizonTicks + options.batch - 1
                throw ToolFailure("\(result.trainingWindows) training windows, fewer than one mini-batch of \(options.batch): nothing learned, nothing written; a trace's training part (its first \(Int(((1 - validation) * 100).rounded())) %) needs at least \(needed) ticks with the features present")
            }
            guard result.learningSteps > 0 else {
                throw ToolFailure("no learning step was taken (no mini-batch had a finite loss and gradient): nothing written")
            }
            if result.overloadWindows == 0 {
                writeAll("warning: no training window is overload (the [overload] rule never held within the horizon): the model learns only what normal looks like, and will not warn until online learning has seen overload\n", to: STDERR_FILENO)
            }
            for line in result.validationLines(names: input) { writeAll(line + "\n", to: STDERR_FILENO) }
            switch result.choice {
            case .lowestValidationLoss(let epoch):
                writeAll("kept epoch \(epoch): the lowest validation loss\n", to: STDERR_FILENO)
            case .bestValidationEpisodes(let epoch):
                writeAll("kept epoch \(epoch): the most validation episodes warned early minus false alarms\n", to: STDERR_FILENO)
            case .lastEpoch(let epoch, let reason):
                writeAll("kept epoch \(epoch), the last: \(reason)\n", to: STDERR_FILENO)
            }
            let model = result.model
            try FileAccess.write(model.encoded(), to: output)
            FileAccess.report("\(FileAccess.name(output, writing: true)): model for \(model.features.count) features, window \(model.windowTicks), horizon \(model.horizonTicks), ticks of \(model.tickSeconds.map { DurationText.format(seconds: $0) } ?? "?")",
                              besides: output)
            // Written under the caller's umask, as tools write; a model is meant for the daemon,
            // which the shipped unit runs as a dynamic user that reads only what others may.
            var written = stat()
            if output != FileAccess.standardStream, stat(output, &written) == 0, written.st_mode & S_IROTH == 0 {
                writeAll("note: \(output) is mode \(String(written.st_mode & 0o777, radix: 8)) (the umask): the shipped unit runs the daemon as a dynamic user, "
                         + "which could not read it as model.path; chmod 644 it there\n", to: STDERR_FILENO)
            }
        }
    }

    static func format(_ value: Double) -> String {
        let rounded = (value * 1000).rounded() / 1000
        return String(rounded)
    }
}
