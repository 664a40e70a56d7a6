// libFuzzer's entry over the detection pipeline (`scripts/fuzz --pipeline`): scaling, windows,
// labels, online learning, the referee and the alerts, as replay runs them, over short traces
// whose values and tick gaps come from the input. Each byte of four picks a gap and three values,
// from the extremes a scrape can bring (±1e308, subnormals, NaN: missing) or a plain range.

private let config: SurgeConfig = {
    // Small enough for thousands of runs: 4-tick windows, a 4-unit LSTM, learning every tick.
    let text = """
    [sampling]
    interval = "10s"
    [window]
    ticks = 4
    [model]
    features = ["cpu_busy", "load1", "psi_cpu_some_avg10"]
    horizon_ticks = 1
    hidden = 4
    layers = 2
    [learning]
    min_windows_per_class = 1
    step_every_ticks = 1
    [overload]
    any = ["cpu_busy > 0.6"]
    for_ticks = 2
    [alert]
    fire_after = 1
    resolve_after = 1
    """
    return try! ConfigLoader.parse(text, file: "fuzz.toml")
}()
private let model = ModelCatalog.fresh(config)
private let extremes: [Double] = [0, 1, -1, 0.5, 0.7, 0.99, 1e308, -1e308, .leastNonzeroMagnitude, 1e19, -0.0, .nan, 100, 1e-300, 2, 50,
                                  1e6, 3.4e38, -3.4e38]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPipeline(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count >= 5 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    var trace = Trace(schema: MetricSchema(config.model.features))
    var time = 1_767_991_320.0
    var index = 1
    while index + 3 < bytes.count && trace.count < 80 {
        switch bytes[index] & 0x7 {
        case 7: time += 86_400 * 40  // an outage
        case 6: time += 3_600
        case 5: time += 0.001
        default: time += 10
        }
        let row = (1...3).map { offset -> Double in
            let byte = bytes[index + offset]
            return byte & 0x80 != 0 ? extremes[Int(byte & 0x7F) % extremes.count] : Double(byte) / 100
        }
        trace.append(timestamp: time, row: row)
        index += 4
    }
    // The first byte: untrained or not (the referee), one thread or two.
    let settings = DetectionPipeline<TraceClock>.Settings(config: config, tickSeconds: 10, untrained: bytes[0] & 1 == 0)
    _ = try? ReplayRunner.run(trace: trace, settings: settings, model: model, seed: UInt64(bytes[0]), parallel: bytes[0] & 2 != 0)
    return 0
}
