extension ConfigLoader {
    /// `[schedule] sales`: strings ("2026-12-12T20:00:00+08:00", "daily 20:00"), or TOML's own
    /// offset date-times written bare (2026-12-12T20:00:00+08:00), which an operator who knows
    /// TOML will reach for. A moment without its offset is refused either way.
    static func saleTimes(_ t: TableReader) -> [SaleTime] {
        guard let elements = t.elements("sales", expected: "an array of sale times") else { return [] }
        return elements.compactMap { path, element in
            let text: String
            switch element.value {
            case .string(let string): text = string
            case .dateTime(let token): text = token
            default:
                t.context.fail(path, "expected a sale time such as \"2026-12-12T20:00:00+08:00\" or \"daily 20:00\", got \(element.value.summary)")
                return nil
            }
            if let sale = SaleTime.parse(text) { return sale }
            let shown = if case .string = element.value { "\"\(text)\"" } else { element.value.summary }
            if SaleTime.lacksZone(text) {
                t.context.fail(path, "\(shown) has no offset from UTC, so it is a different moment in each time zone; "
                    + "write the shop's offset, such as \(text.prefix(19))+08:00, or \(text.prefix(19))Z for UTC")
            } else {
                t.context.fail(path, "expected an RFC 3339 time such as \"2026-12-12T20:00:00+08:00\", or \"daily HH:MM\" (local time) or \"daily HH:MM+08:00\"; got \(shown)")
            }
            return nil
        }
    }
}
