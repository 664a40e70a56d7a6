#if canImport(Glibc)
import Glibc
#endif
import SurgeConfig
import SurgeModel
import SurgeSampling

/// `surgewatch train`'s work without the files. The trace is cut in time: the first
/// `1 − validationFraction` trains, the rest validates (never shuffled across the cut, since
/// neighbouring windows overlap). Windows and targets come from the same ModelInputWindow and
/// WindowLabeller the daemon uses, so train and run cannot disagree.
/// Deterministic for a seed: initialisation, subsampling and shuffling draw from it alone.
public struct OfflineTrainer {
    public struct Options: Sendable {
        public var epochs = 10
        public var seed: UInt64 = 1
        public var batch = 32
        public var learningRate: Float = 2e-3
        public var clipNorm: Float = 1
        public var validationFraction = 0.2
        /// Normal windows kept for training at most (every k-th, evenly through the trace);
        /// overload windows are always all kept.
        public var maximumNormalWindows = 30_000
        /// Normal windows within this many ticks of an overload window are all kept, beyond
        /// `maximumNormalWindows`: the near misses at the edge of capacity are the negatives
        /// that teach where overload begins, and even thinning keeps few of them. 0: none.
        public var keepNormalNear = 0
        /// How the kept epoch is chosen when the validation windows hold both classes.
        public var selection = Selection.episodes
        /// The ranking's alerts resolve once p falls below this, or below the config's
        /// `resolve_probability` if that is higher (see `rankingConfig`).
        public var rankingResolveProbability = 0.5
        /// With `.episodes`, the ranking's alerts fire at this p (for `fire_after` ticks, or
        /// at once at the config's level if higher); nil: the config's `fire_probability`.
        /// A recipe pins it so that the model it trains does not move when the daemon's
        /// default policy does (scripts/train-default-model).
        public var rankingFireProbability: Double?
        /// With `.episodes`, the ranking's alerts also fire at once at this p (at least the
        /// ranking's fire level); nil: the config's `fire_at_once_probability`. Pinned by the
        /// same recipes, for the same reason (the default moved from 0.95 to 0.96 in session 46).
        public var rankingFireAtOnceProbability: Double?
        /// Features read against the host's own level (`HostLevels`) instead of the training
        /// traces' (log1p ones: counts and rates that grow with the host's size).
        public var relativeLevels: Set<String> = []
        public init() {}
    }

    /// The config the validation replays score each epoch under: the config's, with alerts
    /// resolving at `rankingResolveProbability` at least (while that stays below
    /// `fire_probability`). The ranking counts fresh warnings, one per episode. With a wide
    /// band, one alert holds through a hot spell and its later episodes are not fresh, so the
    /// count prefers the epochs whose p falls between bursts, which are the less sure ones.
    /// Under resolve 0.2 the built-in recipe kept epoch 4, which nets less on the evaluation
    /// traces at 0.2 than the epoch 11 kept under 0.5 (BENCHMARKS.md). So the daemon's band is
    /// an operating choice made after training, and does not change which model is trained.
    public var rankingConfig: SurgeConfig {
        var config = self.config
        config.learning.online = false
        // Announced sales are the operator's, at their times; the training traces' are not.
        config.schedule.sales = []
        // Like the fire levels a recipe pins: when a long alert settles is the daemon's choice,
        // made after training, and does not change which epoch a recipe keeps.
        config.alert.settleProbability = 0
        if let fire = options.rankingFireProbability {
            config.alert.fireProbability = fire
            config.alert.fireAtOnceProbability = max(config.alert.fireAtOnceProbability, fire)
        }
        if let atOnce = options.rankingFireAtOnceProbability {
            config.alert.fireAtOnceProbability = max(atOnce, config.alert.fireProbability)
        }
        let floor = options.rankingResolveProbability
        if floor < config.alert.fireProbability {
            config.alert.resolveProbability = max(floor, config.alert.resolveProbability)
        }
        return config
    }

    public enum Selection: String, Sendable, CaseIterable {
        /// The lowest class-weighted validation loss.
        case loss
        /// The most validation episodes warned early minus false alarms, under the config's
        /// alert policy with the ranking's resolve band (`rankingConfig`; the same "best" as
        /// the baselines'); ties go to the lower loss. This
        /// ranks what the model is for, where the loss also rewards confidence on the easy
        /// windows inside long episodes.
        case episodes
    }

    public struct EpochReport: Sendable {
        public var epoch: Int
        public var trainLoss: Float
        public var validationLoss: Float?
        public var validation: EpisodeScore?
    }

    /// Which epoch's weights `train` returns, and why.
    public enum Choice: Sendable, Equatable {
        /// The epoch with the lowest validation loss.
        case lowestValidationLoss(epoch: Int)
        /// The epoch with the most validation episodes warned early minus false alarms.
        case bestValidationEpisodes(epoch: Int)
        /// The last epoch: no validation data, or validation windows of one class only. A loss
        /// on normal windows alone ranks highest the epoch that predicts overload least, which
        /// is the model that never warns (the Alibaba evaluation once kept epoch 2 that way).
        case lastEpoch(epoch: Int, reason: String)

        public var epoch: Int {
            switch self {
            case .lowestValidationLoss(let epoch), .bestValidationEpisodes(let epoch), .lastEpoch(let epoch, _): epoch
            }
        }
    }

    /// Keeps track of the best epoch so far under a selection rule.
    struct EpochRanking {
        let selection: Selection
        private(set) var best: (merit: Int, loss: Float, epoch: Int)?
        /// Whether the last epoch offered was ranked by its episodes (validation held some).
        private(set) var byEpisodes = false

        init(selection: Selection) { self.selection = selection }

        /// Returns whether `epoch` is the best so far.
        mutating func offer(epoch: Int, loss: Float, score: EpisodeScore?) -> Bool {
            byEpisodes = selection == .episodes && (score?.episodes ?? 0) > 0
            let merit = byEpisodes ? score.map { $0.caughtEarly - $0.falseAlarms } ?? 0 : 0
            guard best == nil || merit > best!.merit || (merit == best!.merit && loss < best!.loss) else { return false }
            best = (merit, loss, epoch)
            return true
        }
    }

    public struct Result: Sendable {
        public var model: ModelFile
        public var choice: Choice
        /// Windows each epoch passed over after thinning, and how many of them were overload.
        public var trainingWindows = 0
        public var overloadWindows = 0
        /// Normal windows before `maximumNormalWindows` thinned them: more traces under the same
        /// limit keep each trace's ordinary ticks sparser (BENCHMARKS.md, session 47).
        public var normalWindowsBeforeThinning = 0
        /// Overload episodes in each trace's validation part, in the order the traces were given
        /// (nil: no validation part). A trace with few of them barely counts in the ranking.
        public var validationEpisodes: [Int?] = []
        /// Adam steps taken over all epochs: none when the windows fill no mini-batch (or no
        /// batch's loss was finite), and the model is then its random initialisation.
        public var learningSteps = 0

        /// Below this many overload episodes a trace's validation part is said to be too thin.
        public static let fewValidationEpisodes = 5

        /// What `train` tells about the validation parts, `names` naming the traces in order: how
        /// many episodes each holds, and which are too thin to rank on (the built-in recipe's
        /// flash-sale trace held 2 against the World Cup's 211, so the ranking was the World
        /// Cup's; BENCHMARKS.md, session 21).
        public func validationLines(names: [String]) -> [String] {
            let counted = zip(names, validationEpisodes).compactMap { name, episodes in episodes.map { (name, $0) } }
            guard !counted.isEmpty else { return [] }
            var lines = ["overload episodes in the validation parts: " + counted.map { "\($0.1) in \($0.0)" }.joined(separator: ", ")]
            let anyEnough = counted.contains { $0.1 >= Self.fewValidationEpisodes }
            for (name, episodes) in counted where episodes < Self.fewValidationEpisodes {
                let whose = anyEnough ? "the epochs are ranked mostly on the other traces" : "too few to rank the epochs on"
                lines.append("note: the validation part of \(name) holds \(episodes == 0 ? "no" : "only \(episodes)") overload episode\(episodes == 1 ? "" : "s"): \(whose); a longer trace or a larger --validation gives it more")
            }
            return lines
        }
    }

    public struct Dataset: Sendable {
        public var windows: [Float] = []
        public var labels: [Int] = []
        /// When each window was labelled (ticks, increasing; pooled traces lie further apart
        /// than `keepNormalNear`, so no window is near another trace's overload).
        public var ticks: [Int] = []
        public var count: Int { labels.count }
    }

    public let config: SurgeConfig
    public let options: Options

    public init(config: SurgeConfig, options: Options) {
        self.config = config
        self.options = options
    }

    /// How many of `trace`'s first ticks train; the rest validate.
    public func trainingTicks(of trace: Trace) -> Int {
        Int(Double(trace.count) * (1 - options.validationFraction))
    }

    /// The labelled windows of `trace` under `scaler`, as the daemon would have formed them;
    /// `levels`, the host levels before the trace (`HostLevels`; nil: from its start), are
    /// left as they are after it.
    public func windows(of trace: Trace, scaler: FeatureScaler, levels: inout HostLevels?) -> Dataset {
        let T = config.window.ticks, F = config.model.features.count
        var inputs = ModelInputWindow(featureCount: F, capacity: T, levels: levels)
        defer { levels = inputs.levels }
        var labeller = WindowLabeller(config.overload, schema: trace.schema, horizon: config.model.horizonTicks, windowSize: T * F)
        let columns = config.model.features.map { trace.schema.index(of: $0) }
        var raw = [Double](repeating: .nan, count: F)
        var window = [Float](repeating: 0, count: T * F)
        var data = Dataset()
        for row in 0..<trace.count {
            for (index, column) in columns.enumerated() { raw[index] = column.map { trace.value(row: row, column: $0) } ?? .nan }
            inputs.push(raw: raw, scaler: scaler)
            _ = labeller.advance(trace.sample(row), inputs: inputs, window: &window) { labelled, target in
                data.windows.append(contentsOf: labelled)
                data.labels.append(target)
                data.ticks.append(row)
            }
        }
        return data
    }

    /// All overload windows, all normal windows within `near` ticks of one, and every k-th
    /// of the other normal windows so that at most `limit` of those remain.
    func thinned(_ data: Dataset, limit: Int, near: Int = 0) -> Dataset {
        var isNear = [Bool](repeating: false, count: data.count)
        if near > 0 {
            // Two sweeps: distance to the closest overload window before, then after.
            var last = Int.min / 2
            for index in 0..<data.count {
                if data.labels[index] == 1 { last = data.ticks[index] }
                isNear[index] = data.ticks[index] - last <= near
            }
            var next = Int.max / 2
            for index in stride(from: data.count - 1, through: 0, by: -1) {
                if data.labels[index] == 1 { next = data.ticks[index] }
                isNear[index] = isNear[index] || next - data.ticks[index] <= near
            }
        }
        let far = data.labels.indices.filter { data.labels[$0] == 0 && !isNear[$0] }.count
        let step = max(1, (far + limit - 1) / limit)
        guard step > 1 else { return data }
        let size = config.window.ticks * config.model.features.count
        var kept = Dataset(), seenFar = 0
        for index in 0..<data.count {
            if data.labels[index] == 0 && !isNear[index] {
                seenFar += 1
                if seenFar % step != 0 { continue }
            }
            kept.windows.append(contentsOf: data.windows[index * size..<(index + 1) * size])
            kept.labels.append(data.labels[index])
            kept.ticks.append(data.ticks[index])
        }
        return kept
    }

    /// Trains from a fresh initialisation on one or more traces (each cut in time on its own,
    /// windows pooled); `progress` hears each epoch. Returns the model of the best epoch by
    /// `options.selection` when the validation windows hold both classes, else the last one.
    public func train(_ traces: [Trace], progress: (EpochReport) -> Void) -> Result {
        let parts = traces.map { trace -> (training: Trace, validation: Trace) in
            let split = trainingTicks(of: trace)
            return (trace.slice(0..<split), trace.slice(split..<trace.count))
        }
        // A relative feature's values are read against its level, trace by trace from the start.
        let scaler = FeatureScaler.fit(names: config.model.features, columns: config.model.features.map { name in
            parts.flatMap { part in
                let values = part.training.column(name) ?? []
                return options.relativeLevels.contains(name) ? FeatureScaler.relativeLogs(values) : values
            }
        }, relative: options.relativeLevels)
        var pooled = Dataset(), validationSet = Dataset()
        // Each trace's host levels after its training part, where its validation part goes on.
        var levelsAfterTraining: [HostLevels?] = []
        for part in parts {
            var levels: HostLevels?
            let windows = self.windows(of: part.training, scaler: scaler, levels: &levels)
            levelsAfterTraining.append(levels)
            // Each trace's ticks after the last one's, far enough apart never to count as near.
            let offset = (pooled.ticks.last ?? 0) + options.keepNormalNear + 1
            pooled.windows += windows.windows
            pooled.labels += windows.labels
            pooled.ticks += windows.ticks.map { $0 + offset }
            let held = self.windows(of: part.validation, scaler: scaler, levels: &levels)
            validationSet.windows += held.windows
            validationSet.labels += held.labels
        }
        let trainSet = thinned(pooled, limit: options.maximumNormalWindows, near: options.keepNormalNear)
        let shape = ModelCatalog.shape(config)
        var model = LSTMClassifier(parameters: .initialized(shape, seed: options.seed))
        var optimizer = Adam(parameterCount: shape.parameterCount, learningRate: options.learningRate)
        var gradients = LSTMParameters.zeros(shape)
        let T = config.window.ticks, size = T * shape.features, B = options.batch
        let workspace = LSTMWorkspace(shape: shape, batch: B, steps: T)
        var batchX = [Float](repeating: 0, count: B * size)
        var batchY = [Int](repeating: 0, count: B)
        let overload = trainSet.labels.reduce(0, +)
        let weights: [Float] = overload == 0 || overload == trainSet.count ? [1, 1]
            : [Float(trainSet.count) / Float(2 * (trainSet.count - overload)), Float(trainSet.count) / Float(2 * overload)]
        var generator = SeededGenerator(seed: options.seed &+ 0x7a1)
        var order = Array(0..<trainSet.count)
        let validationOverload = validationSet.labels.reduce(0, +)
        let validationRanks = validationOverload > 0 && validationOverload < validationSet.count
        var ranking = EpochRanking(selection: options.selection)
        var best: (epoch: Int, parameters: LSTMParameters)?
        var validationEpisodes: [Int?] = []

        var steps = 0
        // Fewer windows than a mini-batch fill none (an epoch drops its last partial batch):
        // no epoch runs, rather than epochs that print a loss of nan and learn nothing.
        let epochsRun = trainSet.count >= B ? max(1, options.epochs) : 0
        for epoch in stride(from: 1, through: epochsRun, by: 1) {
            order.shuffle(using: &generator)
            var lossSum: Float = 0, batches = 0
            var start = 0
            while start + B <= order.count {
                for slot in 0..<B {
                    let index = order[start + slot]
                    batchX.replaceSubrange(slot * size..<(slot + 1) * size, with: trainSet.windows[index * size..<(index + 1) * size])
                    batchY[slot] = trainSet.labels[index]
                }
                model.forward(batchX, workspace: workspace)
                let loss = model.loss(labels: batchY, classWeights: weights, workspace: workspace)
                model.backward(labels: batchY, classWeights: weights, workspace: workspace, gradients: &gradients)
                if loss.isFinite, gradients.clipNorm(options.clipNorm).isFinite {
                    optimizer.update(&model.parameters, gradients: gradients)
                    steps += 1
                    lossSum += loss
                    batches += 1
                }
                start += B
            }
            var report = EpochReport(epoch: epoch, trainLoss: batches > 0 ? lossSum / Float(batches) : .nan)
            if validationSet.count > 0 {
                report.validationLoss = Self.loss(model, validationSet, weights: weights, workspace: workspace, size: size)
                let scores = zip(parts, levelsAfterTraining).map { part, levels in
                    part.validation.count > 0 ? score(model: model, scaler: scaler, on: part.validation, levels: levels) : nil
                }
                if epoch == 1 { validationEpisodes = scores.map { $0?.episodes } }
                report.validation = scores.compactMap { $0 }.reduce(nil) { total, next in
                    guard var total else { return next }
                    total.add(next)
                    return total
                }
                if validationRanks, ranking.offer(epoch: epoch, loss: report.validationLoss!, score: report.validation) {
                    best = (epoch, model.parameters)
                }
            }
            progress(report)
        }
        let epochs = max(1, options.epochs)
        let choice: Choice
        if let best {
            choice = ranking.byEpisodes ? .bestValidationEpisodes(epoch: best.epoch) : .lowestValidationLoss(epoch: best.epoch)
        } else if validationSet.count == 0 {
            choice = .lastEpoch(epoch: epochs, reason: "no validation windows")
        } else if validationOverload == 0 {
            // The rule may still have held in a validation part: at its start, before a window
            // fits, or where values are missing. "No overload" beside "1 episode" read as a
            // contradiction.
            let episodes = validationEpisodes.compactMap { $0 }.reduce(0, +)
            choice = .lastEpoch(epoch: epochs, reason: episodes == 0
                ? "the validation windows hold no overload, so their loss cannot rank the epochs"
                : "no validation window has overload ahead of it within the horizon (the validation parts' "
                    + "\(NumberText.counted(episodes, "overload episode")) \(episodes == 1 ? "has" : "have") no complete window before \(episodes == 1 ? "it" : "them"): "
                    + "too early in \(episodes == 1 ? "its part" : "their parts"), or values missing), so their loss cannot rank the epochs")
        } else {
            choice = .lastEpoch(epoch: epochs, reason: "the validation windows are all overload, so their loss cannot rank the epochs")
        }
        // The traces share one tick length (`train` refuses others); the model records it.
        let file = ModelFile(parameters: best?.parameters ?? model.parameters, horizonTicks: config.model.horizonTicks,
                             windowTicks: T, tickSeconds: traces.first?.tickSeconds, features: scaler.features)
        return Result(model: file, choice: choice, trainingWindows: trainSet.count, overloadWindows: overload,
                      normalWindowsBeforeThinning: pooled.count - pooled.labels.reduce(0, +), validationEpisodes: validationEpisodes,
                      learningSteps: steps)
    }

    /// Class-weighted cross-entropy over a whole dataset, in full batches plus one padded.
    static func loss(_ model: LSTMClassifier, _ data: Dataset, weights: [Float], workspace: LSTMWorkspace, size: Int) -> Float {
        let B = workspace.batch
        var x = [Float](repeating: 0, count: B * size), y = [Int](repeating: 0, count: B)
        var total = 0.0, weightSum = 0.0
        var start = 0
        while start < data.count {
            let n = min(B, data.count - start)
            for slot in 0..<B {
                let index = start + min(slot, n - 1)
                x.replaceSubrange(slot * size..<(slot + 1) * size, with: data.windows[index * size..<(index + 1) * size])
                y[slot] = data.labels[index]
            }
            model.forward(x, workspace: workspace)
            for slot in 0..<n {
                let w = Double(weights[y[slot]])
                let p = max(Double(workspace.probabilities[slot * 2 + y[slot]]), 1e-12)
                total -= w * log(p)
                weightSum += w
            }
            start += B
        }
        return Float(total / max(weightSum, 1e-12))
    }

    /// Episode figures of the model over `trace` with learning off (the validation's replay).
    func score(model: LSTMClassifier, scaler: FeatureScaler, on trace: Trace, levels: HostLevels? = nil) -> EpisodeScore? {
        let config = rankingConfig
        let file = ModelFile(parameters: model.parameters, horizonTicks: config.model.horizonTicks,
                             windowTicks: config.window.ticks, tickSeconds: trace.tickSeconds, features: scaler.features)
        let settings = DetectionPipeline<TraceClock>.Settings(config: config, tickSeconds: trace.tickSeconds, untrained: false)
        guard let result = try? ReplayRunner.run(trace: trace, settings: settings, model: file, levels: levels) else { return nil }
        return EpisodeScore.score(timestamps: trace.timestamps, labels: result.labels, alerting: result.alerting,
                                  horizon: config.model.horizonTicks, mergeGap: config.alert.resolveAfter)
    }
}
