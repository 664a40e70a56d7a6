/// Small JSON writing without Foundation: strings escaped per RFC 8259, numbers finite or null.
public enum JSONText {
    public static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    public static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    public static func features(_ features: [AlertEvent.FeatureChange]) -> String {
        "[" + features.map { "{\"name\":\(string($0.name)),\"baseline\":\(number($0.baseline)),\"recent\":\(number($0.recent))}" }
            .joined(separator: ",") + "]"
    }
}
