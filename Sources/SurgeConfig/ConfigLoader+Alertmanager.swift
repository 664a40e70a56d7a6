extension ConfigLoader {
    /// `[alertmanager]`: where alerts are pushed, with what labels and request options.
    static func alertmanager(_ t: TableReader) -> SurgeConfig.Alertmanager {
        var alertmanager = SurgeConfig.Alertmanager()
        for (path, node) in t.elements("urls", expected: "an array of URLs such as [\"http://127.0.0.1:9093\"]") ?? [] {
            guard case .string(let url) = node.value else {
                t.context.fail(path, "expected a URL string, got \(node.value.summary)")
                continue
            }
            guard isHTTPURL(url) else {
                t.context.fail(path, "expected an Alertmanager's http:// or https:// address with a host, such as \"http://127.0.0.1:9093\", got \"\(url)\"")
                continue
            }
            if alertmanager.urls.contains(url) {
                t.context.fail(path, "\"\(url)\" is listed twice: each would get every alert twice")
                continue
            }
            alertmanager.urls.append(url)
        }
        alertmanager.timeout = t.duration("timeout", default: alertmanager.timeout, range: timeoutRange)
        alertmanager.resend = t.duration("resend", default: alertmanager.resend, range: .seconds(10)...(.seconds(600)))
        if let table = t.table("labels") {
            for (name, node) in table.entries() {
                guard isLabelName(name) else {
                    table.context.fail(table.keyPath(name), "'\(name)' is not a label name (letters, digits and _, not starting with a digit)",
                                       at: node.keyPosition)
                    continue
                }
                if let why = SurgeConfig.Alertmanager.reservedLabels[name] {
                    table.context.fail(table.keyPath(name), "'\(name)' is set by surgewatch: \(why)", at: node.keyPosition)
                    continue
                }
                guard case .string(let value) = node.value, !value.isEmpty else {
                    table.fail(name, "expected the label's value as a non-empty string, got \(node.value.summary)")
                    continue
                }
                alertmanager.labels.append(.init(name: name, value: value))
            }
        }
        alertmanager.request = request(t, reserved: ["content-type": "the alerts are posted as application/json"])
        return alertmanager
    }

    /// Prometheus' label names: `[a-zA-Z_][a-zA-Z0-9_]*`, and none beginning with `__`, which
    /// Prometheus keeps for itself.
    static func isLabelName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !name.hasPrefix("__") else { return false }
        func letter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_" }
        return letter(first) && name.unicodeScalars.allSatisfy { letter($0) || ("0"..."9").contains($0) }
    }
}
