import ArgumentParser
import Glibc
import SurgeDetection
import SurgeSimulation

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Write a metric trace to learn and evaluate on: a shop serving real or synthetic demand, or Alibaba's cluster trace converted.",
        discussion: """
            --demand worldcup   --input the World Cup 1998 requests_per_minute CSV (datasets/worldcup98)
            --demand flash-sale --days N: synthetic flash sales (warm-up, surge, decay)
            --demand alibaba    --input day_1.csv,day_2.csv,...: Alibaba 2018 cluster usage, converted (no service model)
            The same arguments and seed always write the same trace.
            """)

    enum Demand: String, ExpressibleByArgument, CaseIterable {
        case worldcup, flashSale = "flash-sale", alibaba
    }

    @Option(help: "worldcup, flash-sale or alibaba.")
    var demand: Demand

    @Option(help: "Source data (worldcup: one CSV; alibaba: comma-separated day files, in day order).", completion: .file())
    var input: String?

    @Option(help: "The trace CSV to write; - writes standard output.", completion: .file())
    var output: String

    @Option(help: "Days of synthetic flash sales.")
    var days = 7.0

    @Option(help: "World Cup: first day to include (YYYY-MM-DD, UTC).")
    var from: String?

    @Option(help: "World Cup: last day to include (YYYY-MM-DD, UTC).")
    var to: String?

    @Option(help: "Seed of every random draw.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("The shop's worker pool at its nominal size (it grows with capacity as traffic does).",
                               discussion: "Fewer workers make a shop whose bottleneck is its workers, not its CPU: it overflows its listen queue while CPU pressure stays moderate (a host unlike the built-in model's training shops)."))
    var workers = ShopService.Settings().workers

    @Option(help: ArgumentHelp("The host's size against the nominal shop's (8 cores, 400 workers at nominal capacity).",
                               discussion: "Cores, workers, listen backlog and demand all grow by this factor: the same utilisation, latency and pressure, with load, connection counts and request rates this many times the nominal shop's (a host of another size than the built-in models' training shops)."))
    var hostSize = ShopService.Settings().hostSize

    @Option(help: ArgumentHelp("Flash sales: also write each sale's start here, one RFC 3339 time a line.",
                               discussion: "The schedule a shop announces, for a config's [schedule] sales."), completion: .file())
    var salesOutput: String?

    func run() throws {
        try reportingFailures {
            guard workers >= 1 && workers <= 1_000_000 else { throw ToolFailure("--workers must be in [1, 1000000]") }
            guard hostSize >= 0.01 && hostSize <= 1000 else { throw ToolFailure("--host-size must be in [0.01, 1000]") }
            var shop = ShopService.Settings()
            shop.workers = workers
            shop.hostSize = hostSize
            let trace: Trace
            var saleStarts: [Double]?
            guard salesOutput == nil || demand == .flashSale else { throw ToolFailure("--sales-output needs --demand flash-sale") }
            switch demand {
            case .worldcup:
                guard let input else { throw ToolFailure("--demand worldcup needs --input: the requests-per-minute CSV, in a checkout datasets/worldcup98/requests_per_minute_1998-04-30_to_06-21.csv") }
                let start = try from.map { try Self.day($0, "--from") } ?? -.infinity
                let end = try to.map { try Self.day($0, "--to") + 86400 - 1 } ?? .infinity
                if end < start, let from, let to { throw ToolFailure("--to \(to) is before --from \(from)") }
                trace = try DemandSeries.worldCup(FileAccess.read(input), path: input, from: start, to: end).simulate(seed: seed, settings: shop)
            case .flashSale:
                guard days > 0 && days <= 3650 else { throw ToolFailure("--days must be in (0, 3650]") }
                let series = DemandSeries.flashSales(days: days, seed: seed)
                trace = series.simulate(seed: seed, settings: shop)
                saleStarts = series.saleStarts
            case .alibaba:
                guard let input else { throw ToolFailure("--demand alibaba needs --input: the day files, comma-separated, in a checkout datasets/alibaba2018/machine_usage_day_N_grouped_10_seconds.csv") }
                guard workers == ShopService.Settings().workers else { throw ToolFailure("--workers: the Alibaba trace has no shop model") }
                guard hostSize == ShopService.Settings().hostSize else { throw ToolFailure("--host-size: the Alibaba trace has no shop model") }
                var files: [(bytes: [UInt8], path: String, day: Int)] = []
                for (index, path) in input.split(separator: ",").map(String.init).enumerated() {
                    let day = Self.dayNumber(in: path) ?? index + 1
                    files.append((try FileAccess.read(path), path, day))
                }
                trace = try AlibabaTrace.convert(days: files)
            }
            try FileAccess.write(trace.csv(), to: output)
            FileAccess.report("\(FileAccess.name(output, writing: true)): \(trace.count) ticks of \(Int(trace.tickSeconds)) s, \(trace.schema.count) metrics",
                              besides: output)
            if let salesOutput, let saleStarts {
                try FileAccess.write(Array(saleStarts.map { TraceTime.rfc3339($0) + "\n" }.joined().utf8), to: salesOutput)
                print("\(salesOutput): \(saleStarts.count) sale starts")
            }
        }
    }

    static func day(_ text: String, _ option: String) throws -> Double {
        guard let seconds = TraceTime.parse(text + "T00:00:00Z") else { throw ToolFailure("\(option): expected YYYY-MM-DD, got \(text)") }
        return seconds
    }

    /// "machine_usage_day_3_grouped_10_seconds.csv" -> 3.
    static func dayNumber(in path: String) -> Int? {
        let parts = path.split(separator: "/").last.map { $0.split(separator: "_", omittingEmptySubsequences: false) } ?? []
        guard let index = parts.firstIndex(of: "day"), index + 1 < parts.count else { return nil }
        return Int(parts[index + 1])
    }
}
