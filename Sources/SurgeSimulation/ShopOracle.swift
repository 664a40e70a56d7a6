import SurgeConfig
import SurgeDetection
import SurgeSampling

/// The best any predictor could do on a simulated shop trace: at each tick it knows the shop's
/// whole hidden state (capacity drift, backlog, a slow dependency, a batch job: things
/// surgewatch only sees through metrics) and runs the simulation on from there many times
/// with fresh randomness; the share of continuations in which the SLO rule breaks within the
/// horizon is the true probability of overload. A model's alerts can be compared with the
/// same alert policy on these probabilities, which tells how much of a miss is the model's
/// and how much no one could have foreseen.
public struct ShopOracle {
    /// What the oracle assumes about demand over the horizon.
    public enum Forecast: String, Sendable, CaseIterable {
        /// The demand that really came: more than any predictor can know (an upper bound).
        case known
        /// Demand stays at this tick's level: knows the shop, not the crowd.
        case hold
    }

    public var continuations: Int
    public var horizon: Int
    public var forecast: Forecast

    public init(continuations: Int = 100, horizon: Int, forecast: Forecast) {
        self.continuations = continuations
        self.horizon = horizon
        self.forecast = forecast
    }

    /// Per tick: the labels of `rule` on the simulated trace and the oracle's probability of a
    /// breach within the horizon (nil where the tick or the horizon's demand is unknown, and
    /// for the last `horizon` ticks). The trace is the one `series.simulate(seed:)` gives.
    public func run(series: DemandSeries, seed: UInt64, overload: SurgeConfig.Overload) -> (labels: [Bool?], probabilities: [Double?]) {
        let schema = MetricSchema(ShopService.metrics)
        var service = ShopService(tickSeconds: series.tickSeconds, seed: seed)
        var rule = OverloadRule(overload, schema: schema)
        let count = series.demand.count
        var labels: [Bool?] = [], probabilities: [Double?] = []
        labels.reserveCapacity(count)
        probabilities.reserveCapacity(count)
        for tick in 0..<count {
            service.capacityScale = series.capacity[tick]
            let values = service.step(demand: series.demand[tick])
            labels.append(rule.label(Sample(timestamp: 0, tick: tick + 1, schema: schema, values: values)))
            guard labels[tick] != nil, tick + horizon < count,
                  let future = futureDemand(series, after: tick) else {
                probabilities.append(nil)
                continue
            }
            var breaches = 0
            for continuation in 0..<continuations {
                var shop = service, copyRule = rule
                shop.reseed(UInt64(tick) &* 1_000_003 &+ UInt64(continuation) &+ seed &* 7919)
                for step in 1...horizon {
                    shop.capacityScale = series.capacity[tick + step]
                    let sample = Sample(timestamp: 0, tick: 0, schema: schema, values: shop.step(demand: future[step - 1]))
                    if copyRule.label(sample) == true {
                        breaches += 1
                        break
                    }
                }
            }
            probabilities.append(Double(breaches) / Double(continuations))
        }
        return (labels, probabilities)
    }

    private func futureDemand(_ series: DemandSeries, after tick: Int) -> [Double]? {
        let future: [Double]
        switch forecast {
        case .known: future = Array(series.demand[(tick + 1)...(tick + horizon)])
        case .hold: future = [Double](repeating: series.demand[tick], count: horizon)
        }
        return future.allSatisfy(\.isFinite) ? future : nil
    }
}
