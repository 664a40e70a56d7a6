// libFuzzer's entry over every parser that reads text or bytes surgewatch does not write itself:
// scrapes from the network, /proc and cgroup files, the config, traces and model files.
// scripts/fuzz compiles it together with the sources of SurgeSampling, SurgeConfig, SurgeModel
// and the trace reader (one module, so `internal` stays reachable), with ASan.
//
// The input's first byte picks the target (its value modulo `targets`); the rest is the input.

private let targets: UInt8 = 8

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: start + 1, count: count - 1))
    switch start[0] % targets {
    case 0: scrapes(bytes)
    case 1: _ = try? NginxStubStatus.parse(ProcText(path: "stub_status", bytes: bytes))
    case 2: procFiles(ProcText(path: "proc", bytes: bytes))
    case 3: _ = try? PrometheusQuery.parse(String(decoding: bytes, as: UTF8.self))
    case 4: config(String(decoding: bytes, as: UTF8.self))
    case 5: _ = try? TraceCSV.parse(bytes, path: "trace.csv")
    case 6: modelFile(bytes)
    default: smallTexts(bytes)
    }
    return 0
}

/// Queries, one per line, then a NUL, then scrapes separated by 0x01: every scrape is parsed
/// whole and as the evaluator parses it, then evaluated 10 s after the one before (rates).
private func scrapes(_ bytes: [UInt8]) {
    let parts = bytes.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
    let queries = String(decoding: parts[0], as: UTF8.self).split(separator: "\n")
        .compactMap { try? PrometheusQuery.parse(String($0)) }
    var evaluator = PrometheusQueryEvaluator(queries: queries)
    guard parts.count > 1 else { return }
    var seconds = 0.0
    for scrape in parts[1].split(separator: 1, omittingEmptySubsequences: false) {
        _ = try? PrometheusExposition.parse(Array(scrape))
        if let parsed = try? evaluator.parse(Array(scrape)) { _ = evaluator.evaluate(parsed, at: seconds) }
        seconds += 10
    }
}

private func procFiles(_ text: ProcText) {
    _ = try? CPUStat.parse(text)
    _ = try? LoadAverage.parse(text)
    _ = try? MemInfo.parse(text)
    _ = try? PressureStall.parse(text)
    _ = try? NetDevStats.parse(text)
    _ = try? DiskStats.parse(text)
    _ = try? SockStat.parse(text)
    _ = try? ProtocolCounters.parse(text)
    _ = try? ProtocolCounters.counters(text, of: "TcpExt", named: ["ListenOverflows", "ListenDrops"])
    _ = try? CgroupFiles.cpuUsageMicroseconds(text)
    _ = try? CgroupFiles.memoryBytes(text)
}

private func config(_ text: String) {
    _ = try? TOMLParser.parse(text)
    // Without the files a config names: a fuzzed `header_files = { A = "/dev/stdin" }` would
    // read the machine's files, or block.
    _ = try? ConfigLoader.parse(text, file: "surgewatch.toml", sourceFiles: false)
}

/// The checksum is made right first, so the checks behind it are reached as well.
private func modelFile(_ bytes: [UInt8]) {
    var model = bytes
    if model.count >= 4 {
        let checksum = CRC32.checksum(model[0..<(model.count - 4)])
        for index in 0..<4 { model[model.count - 4 + index] = UInt8(truncatingIfNeeded: checksum >> (8 * index)) }
    }
    if let file = try? ModelFile.decode(model) { _ = file.encoded() }
}

private func smallTexts(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    _ = DurationText.parse(text)
    _ = SaleTime.parse(text)
    _ = OverloadCondition.parse(text)
    _ = RFC3339.parse(bytes[...])
}
