/// /proc/loadavg (proc(5)): three load averages, runnable/total scheduling entities, last PID.
///
///     0.52 0.38 0.17 2/118 4211
public struct LoadAverage: Equatable, Sendable {
    public var load1: Double
    public var load5: Double
    public var load15: Double

    public static func parse(_ text: ProcText) throws(ProcParseError) -> LoadAverage {
        var result: Result<LoadAverage, ProcParseError> = .failure(text.error(line: 0, "empty file"))
        text.forEachLine { number, line in
            let fields = procFields(line)
            guard fields.count >= 3 else {
                result = .failure(text.error(line: number, "expected at least 3 load averages, found \(fields.count) fields"))
                return false
            }
            guard let one = fields[0].asDecimal, let five = fields[1].asDecimal, let fifteen = fields[2].asDecimal else {
                result = .failure(text.error(line: number, "load averages are not decimals: '\(line.text)'"))
                return false
            }
            result = .success(LoadAverage(load1: one, load5: five, load15: fifteen))
            return false
        }
        return try result.get()
    }
}
