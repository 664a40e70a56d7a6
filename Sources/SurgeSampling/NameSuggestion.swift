/// "Did you mean": the name nearest one that was not found, for a config key, a metric or a
/// Prometheus series written with a typo (`intervall`, `http_request_total`).
public enum NameSuggestion {
    /// The candidate within edit distance 2, if any (the nearest).
    public static func closest(to name: String, among candidates: [String]) -> String? {
        // The distance is at least the lengths' difference: a name 200,000 characters long
        // took a debug check-config 16 s comparing it in full to every metric.
        let length = name.count
        return candidates
            .filter { abs($0.count - length) <= 2 }
            .map { ($0, editDistance(Array(name), Array($0))) }
            .filter { $0.1 <= 2 }
            .min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
