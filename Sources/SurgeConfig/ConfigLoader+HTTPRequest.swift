import Glibc

extension ConfigLoader {
    /// The keys every HTTP source takes beside `url` and `timeout`: `headers`, `header_files`,
    /// `connect_to`, `unix_socket`, `tls_ca_file`, `tls_cert_file`, `tls_key_file` and
    /// `follow_redirects`.
    static func request(_ t: TableReader, reserved: [String: String] = [:]) -> SurgeConfig.HTTPRequest {
        var request = SurgeConfig.HTTPRequest(headers: headers(t, reserved: reserved),
                                              followRedirects: t.bool("follow_redirects", default: false))
        if let target = t.string("connect_to") {
            if hostAndPort(target) != nil {
                request.connectTo = target
            } else {
                t.fail("connect_to", "expected HOST:PORT to connect to in place of the URL's, such as \"127.0.0.1:8443\" "
                       + "or \"[::1]:8443\", got \"\(target)\"")
            }
        }
        if let socket = t.string("unix_socket") {
            if !socket.hasPrefix("/") {
                t.fail("unix_socket", "expected the absolute path of the socket the server listens on, got \"\(socket)\"")
            } else if request.connectTo != nil {
                t.fail("unix_socket", "a source connects either to connect_to's address or to a unix socket, not both")
            } else {
                // Not looked for here: a server that is down is the daemon's to report, tick by tick.
                request.unixSocket = socket
            }
        }
        if let file = t.string("tls_ca_file") {
            if !file.hasPrefix("/") {
                t.fail("tls_ca_file", "expected an absolute path to PEM certificates, got \"\(file)\"")
            } else if t.context.readsSourceFiles, access(file, R_OK) != 0 {
                t.fail("tls_ca_file", "cannot read \(file): \(String(cString: strerror(errno)))")
            } else if t.context.readsSourceFiles, let kind = notARegularFile(file) {
                t.fail("tls_ca_file", "\(file) is \(kind), not a file of PEM certificates")
            } else {
                request.caFile = file
            }
        }
        request.clientCertificate = clientCertificate(t)
        return request
    }

    /// "127.0.0.1:8443", "shop-backend:80", "[::1]:8443" split into host and port; nil when
    /// it is not one.
    static func hostAndPort(_ text: String) -> (host: String, port: Int)? {
        let host: Substring, port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }) else { return nil }
        }
        guard let number = Int(port), (1...65535).contains(number), port.allSatisfy(\.isNumber) else { return nil }
        return (String(host), number)
    }
}
