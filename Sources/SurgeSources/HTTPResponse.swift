/// An HTTP answer, whatever its status.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    /// From the start of the request to the last byte of the body, every hop's summed when
    /// redirects were followed (a customer waits for each).
    public var seconds: Double
    /// A redirect answered and not followed: where it points, and why it was not followed.
    public var unfollowedRedirect: UnfollowedRedirect?

    public init(status: Int, body: [UInt8], seconds: Double, unfollowedRedirect: UnfollowedRedirect? = nil) {
        self.status = status
        self.body = body
        self.seconds = seconds
        self.unfollowedRedirect = unfollowedRedirect
    }

    public var isSuccess: Bool { (200..<400).contains(status) }
}

/// A 3xx's target that was not fetched. A probe times such an answer, not the page it points
/// to, which is worth knowing: an http-to-https redirect in front of the shop says nothing of
/// the shop's load.
public struct UnfollowedRedirect: Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// `follow_redirects` is off (the default).
        case notAsked
        /// The target is on another host, where the source's headers (a token), `connect_to`
        /// and `unix_socket` do not belong.
        case anotherHost
        /// The target is on another scheme or port of the host, while `connect_to` or
        /// `unix_socket` names the one place this source connects to (an http-to-https
        /// redirect would be sent to the http port).
        case anotherAddress
    }

    public var location: String
    public var reason: Reason

    public var description: String {
        switch reason {
        case .notAsked:
            return "redirected to \(location), not followed (follow_redirects = true follows a redirect on the URL's own host)"
        case .anotherHost:
            return "redirected to \(location), on another host, not followed (the source's headers, connect_to and unix_socket "
                + "are for its own host): name that URL in the config"
        case .anotherAddress:
            return "redirected to \(location), another scheme or port than the one place connect_to or unix_socket connects to, "
                + "not followed: name that URL in the config, with a connect_to of its own"
        }
    }
}

/// Why no usable response came back. Each names the URL, since logs list several sources.
public enum HTTPFetchError: Error, Sendable, Equatable, CustomStringConvertible {
    case timedOut(url: String, after: Duration)
    case refused(url: String, reason: String)
    case tooLarge(url: String, limit: Int)
    case truncated(url: String, reason: String)
    case status(url: String, code: Int)
    /// A 3xx where a document was wanted.
    case redirected(url: String, code: Int, UnfollowedRedirect)
    case failed(url: String, reason: String)

    public var description: String {
        switch self {
        case .timedOut(let url, let after): return "\(url): no complete response within \(after.formattedSeconds)"
        case .refused(let url, let reason): return "\(url): connection failed: \(reason)"
        case .tooLarge(let url, let limit): return "\(url): body larger than \(limit) bytes, not read"
        case .truncated(let url, let reason): return "\(url): body cut short: \(reason)"
        case .status(let url, let code): return "\(url): HTTP \(code)"
        case .redirected(let url, let code, let redirect): return "\(url): HTTP \(code), \(redirect)"
        case .failed(let url, let reason): return "\(url): \(reason)"
        }
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }

    /// "2s", "300ms", as the config writes timeouts.
    var formattedSeconds: String {
        let milliseconds = Int((seconds * 1000).rounded())
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
    }
}
