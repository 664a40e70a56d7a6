#if canImport(Glibc)
import Glibc
#endif
import SurgeModel
import SurgeSampling

/// A web shop's server, tick by tick, turning demand (requests/s) into the metrics surgewatch
/// samples. Deliberately not a function of demand alone, so that no static threshold on one
/// metric can tell overload (the task must need a model):
/// - capacity drifts (cache warmth, deploys: CPU cost per request wanders ±30 %);
/// - a slow dependency now and then: its latency climbs over minutes, requests hold workers
///   longer, the worker pool saturates, the listen queue overflows, *while the CPU idles*;
/// - batch jobs now and then: niced, they fill the CPU (cpu_busy up to ~0.9) without hurting
///   requests much;
/// - queueing: latency grows sharply as utilisation nears 1, a backlog builds in the listen
///   queue above it, and the queue overflows when the backlog exceeds it.
public struct ShopService {
    public struct Settings: Sendable {
        public var cores = 8.0
        /// CPU seconds per request at nominal cost.
        public var cpuSecondsPerRequest = 0.004
        public var workers = 400.0
        /// The dependency's normal latency (seconds).
        public var dependencySeconds = 0.03
        /// Requests the listen queue and accept backlog can hold.
        public var backlogLimit = 1024.0
        /// Mean days between slow-dependency episodes and between batch jobs.
        public var daysBetweenSlowdowns = 2.0
        public var daysBetweenBatchJobs = 1.0
        /// The host's size against the nominal one: cores, workers, backlog and demand all ×
        /// this, so utilisation, latency, pressure and queue ratios stay as they are while the
        /// counts a model reads (load, connections, request rate) scale with the host.
        public var hostSize = 1.0
        public init() {}
    }

    public static var metrics: [String] {
        HostMetric.names + ["http_rps", "http_p99_ms", "http_error_ratio", "probe_latency_ms", "probe_up",
                            "app_workers_busy_ratio"]
    }

    public let settings: Settings
    public let tickSeconds: Double
    private var random: SeededGenerator
    /// The busy-worker gauge's sampling noise, drawn from a stream of its own so that adding the
    /// gauge (session 48) left every other column of a seed's trace as it was.
    private var gaugeRandom: SeededGenerator
    private var costDrift = 0.0           // log of the CPU cost multiplier, mean-reverting
    private var backlog = 0.0
    private var load1 = 0.5, load5 = 0.5
    private var slowdown: (elapsed: Double, rise: Double, hold: Double, peak: Double)?
    private var batch: (remaining: Double, cores: Double)?
    /// Cores worth of capacity the shop runs now (scaled by the caller as traffic grows).
    public var capacityScale = 1.0

    public init(settings: Settings = Settings(), tickSeconds: Double = 10, seed: UInt64) {
        self.settings = settings
        self.tickSeconds = tickSeconds
        random = SeededGenerator(seed: seed)
        gaugeRandom = Self.gaugeGenerator(seed)
    }

    private static func gaugeGenerator(_ seed: UInt64) -> SeededGenerator { SeededGenerator(seed: seed ^ 0x9a0e_b5e5) }

    /// Draws the random future afresh from here on (the oracle's continuations); the state
    /// the shop is in stays as it is.
    public mutating func reseed(_ seed: UInt64) {
        random = SeededGenerator(seed: seed)
        gaugeRandom = Self.gaugeGenerator(seed)
    }

    mutating func uniform() -> Double { Double(random.nextUnitFloat()) }
    mutating func normal() -> Double { Self.gaussian(&random) }

    /// A standard normal draw (Box-Muller) from `generator`.
    static func gaussian(_ generator: inout SeededGenerator) -> Double {
        let u = max(Double(generator.nextUnitFloat()), 1e-9), v = Double(generator.nextUnitFloat())
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }

    /// One tick at `demand` requests/s (NaN: the demand is unknown, e.g. a gap in the source
    /// data; the row is then all missing). Returns values in `metrics` order.
    public mutating func step(demand rawDemand: Double) -> [Double] {
        let dt = tickSeconds
        advanceEvents(dt)
        guard rawDemand.isFinite else { return [Double](repeating: .nan, count: Self.metrics.count) }
        let s = settings
        let cores = s.cores * s.hostSize * capacityScale
        let workers = s.workers * s.hostSize * capacityScale
        let backlogLimit = s.backlogLimit * s.hostSize
        // Arrivals: Poisson-like noise around the demand.
        let sizedDemand = rawDemand * s.hostSize
        let demand = max(0, sizedDemand * (1 + normal() / max(1, (sizedDemand * dt).squareRoot())))
        costDrift = 0.995 * costDrift + 0.02 * normal()
        let cpuCost = s.cpuSecondsPerRequest * exp(max(-0.35, min(0.35, costDrift)))
        let dependency = s.dependencySeconds + dependencyExtra()
        let serviceTime = cpuCost + dependency
        let batchCores = batch?.cores ?? 0
        // Niced batch work yields to requests, but still takes a little from them.
        let cpuLimit = max(0.1, cores - 0.15 * batchCores) / cpuCost
        let workerLimit = workers / serviceTime
        let limit = min(cpuLimit, workerLimit)

        let offered = demand + backlog / dt
        let served = min(offered, limit)
        backlog = max(0, backlog + (demand - served) * dt)
        var overflow = 0.0
        if backlog > backlogLimit {
            overflow = (backlog - backlogLimit) / dt
            backlog = backlogLimit
        }
        let utilisation = min(demand / limit, 0.999)
        let wait = backlog / max(limit, 1)
        let queueing = serviceTime * 2 * pow(utilisation, 8) / (1 - utilisation)
        let p99 = (3 * serviceTime + min(queueing, 30) + 1.5 * wait) * (1 + 0.05 * normal())
        let timeouts = p99 > 5 ? min(0.5, (p99 - 5) / 20) : 0
        let errorRatio = demand > 0 ? min(1, (overflow + timeouts * served) / demand) + max(0, 0.0005 * normal()) : 0

        let requestCores = served * cpuCost
        let cpuBusy = min(1, (requestCores + batchCores) / cores + 0.01 * abs(normal()))
        // Runnable tasks wanting CPU against the cores: PSI's "some" climbs as that nears 1.
        let cpuDemand = (min(demand, workerLimit) * cpuCost + batchCores) / cores
        let psiCPU = max(0, min(100, 100 * pow(max(0, (cpuDemand - 0.7) / 0.45), 1.5) + 2 * normal()))
        let runnable = min(cores, requestCores + batchCores) + max(0, cpuDemand - 1) * cores * 4
        let decay1 = exp(-dt / 60), decay5 = exp(-dt / 300)
        load1 = load1 * decay1 + runnable * (1 - decay1)
        load5 = load5 * decay5 + runnable * (1 - decay5)
        let inflight = served * serviceTime + backlog
        let established = inflight + demand * 0.8 + 20 + 3 * normal()

        var row = [Double](repeating: 0, count: Self.metrics.count)
        func set(_ metric: HostMetric, _ value: Double) { row[metric.slot] = value }
        set(.cpuBusy, cpuBusy)
        set(.cpuIowait, max(0, 0.01 + 0.005 * normal()))
        set(.cpuSteal, max(0, 0.002 * abs(normal())))
        set(.load1, load1)
        set(.load5, load5)
        set(.procsRunning, (runnable + 1).rounded())
        set(.procsBlocked, max(0, (0.3 * abs(normal())).rounded()))
        set(.memUsedRatio, min(0.98, 0.45 + 0.00005 * inflight + 0.05 * (batchCores > 0 ? 1 : 0) + 0.003 * normal()))
        set(.swapUsedRatio, 0)
        set(.psiCPUSomeAvg10, psiCPU)
        set(.psiMemSomeAvg10, max(0, 0.2 * abs(normal())))
        set(.psiIOSomeAvg10, max(0, 0.5 + 0.3 * normal()))
        set(.netRxBytesPerS, demand * 900 * (1 + 0.02 * normal()))
        set(.netTxBytesPerS, served * 18_000 * (1 + 0.02 * normal()))
        set(.netRxPacketsPerS, demand * 6)
        set(.tcpEstablished, max(0, established.rounded()))
        set(.tcpTimeWait, max(0, (served * 0.3 * 60 + 10 * normal()).rounded()))
        set(.tcpActiveOpensPerS, served * 0.2 * (1 + 0.05 * normal()))
        set(.tcpPassiveOpensPerS, demand * 0.3 * (1 + 0.05 * normal()))
        set(.tcpRetransSegsPerS, max(0, demand * 0.001 * (1 + 4 * utilisation) + overflow * 0.5))
        set(.tcpListenOverflowsPerS, overflow)
        set(.tcpListenDropsPerS, overflow)
        // The backlog waits in the listen queue: it fills before it overflows.
        set(.tcpListenQueued, backlog.rounded())
        set(.tcpListenQueueRatio, backlog / backlogLimit)
        set(.diskBusyRatio, max(0, 0.03 + 0.01 * normal()))
        let app = HostMetric.names.count
        row[app] = served
        row[app + 1] = p99 * 1000
        row[app + 2] = errorRatio
        row[app + 3] = (serviceTime + wait) * 1000 * (1 + 0.1 * abs(normal()))
        row[app + 4] = errorRatio > 0.5 ? 0 : 1
        row[app + 5] = workersBusyRatio(busy: served * serviceTime, workers: workers)
        return row
    }

    /// The share of the worker pool busy at the scrape, as a shop's own gauge reports it (busy
    /// threads or processes against the pool's size: php-fpm's active processes, Tomcat's busy
    /// threads): the pool's saturation, which on a worker-bound shop comes before its latency.
    /// An instant's count, so it scatters around the tick's mean like a binomial draw.
    private mutating func workersBusyRatio(busy: Double, workers: Double) -> Double {
        let spread = (busy * max(0, 1 - busy / workers)).squareRoot()
        return max(0, min(1, (busy + spread * Self.gaussian(&gaugeRandom)) / workers))
    }

    /// Extra dependency latency now: rises over minutes, holds, then recovers.
    private func dependencyExtra() -> Double {
        guard let slowdown else { return 0 }
        let t = slowdown.elapsed
        if t < slowdown.rise { return slowdown.peak * t / slowdown.rise }
        if t < slowdown.rise + slowdown.hold { return slowdown.peak }
        return max(0, slowdown.peak * (1 - (t - slowdown.rise - slowdown.hold) / 300))
    }

    private mutating func advanceEvents(_ dt: Double) {
        if var current = slowdown {
            current.elapsed += dt
            slowdown = current.elapsed > current.rise + current.hold + 300 ? nil : current
        } else if uniform() < dt / (settings.daysBetweenSlowdowns * 86400) {
            // Rises over 3..15 minutes to 0.3..2 s, holds 5..40 minutes.
            slowdown = (0, 180 + uniform() * 720, 300 + uniform() * 2100, 0.3 + uniform() * 1.7)
        }
        if var current = batch {
            current.remaining -= dt
            batch = current.remaining > 0 ? current : nil
        } else if uniform() < dt / (settings.daysBetweenBatchJobs * 86400) {
            batch = (1800 + uniform() * 3600, settings.cores * settings.hostSize * capacityScale * (0.3 + 0.3 * uniform()))
        }
    }
}
