import CCurl
import Glibc
import SurgeSampling
import Synchronization

/// GETs one URL, with a hard deadline and a cap on the body, through libcurl (README, "Why
/// libcurl"). Each request runs on its own plain thread, never on a thread of Swift's small
/// cooperative pool, so a slow endpoint cannot hold up the other sources or the tick loop.
///
/// One fetcher owns one curl handle: scrapes reuse their keep-alive connection from tick to
/// tick; a probe asks for a fresh connection each time, because a full listen queue shows first
/// in the connect.
public final class HTTPFetcher: Sendable {
    public let url: String
    /// How messages name the request: the URL, and where it connects when `connect_to` says
    /// ("https://shop.example.com/health (at 127.0.0.1:443)"), so a refusal is not read as DNS's.
    public let label: String
    public let timeout: Duration
    /// The most of a body kept; nil: none is kept, and the body is read to its end whatever
    /// its size (a probe, which times the page and reads nothing in it).
    public let maxBodyBytes: Int?
    private let handle: Mutex<CurlHandle>

    /// `options`: the config's for this source; an `Accept` among its headers replaces `accept`.
    /// `contentType`: the type of what `post` sends (a fetcher that posts).
    public init(url: String, timeout: Duration, maxBodyBytes: Int? = 4 << 20, freshConnection: Bool = false,
                accept: String? = nil, contentType: String? = nil, options: HTTPRequestOptions = HTTPRequestOptions()) {
        self.url = url
        label = (options.connectTo ?? options.unixSocket.map { "unix:" + $0 }).map { "\(url) (at \($0))" } ?? url
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
        var lines = options.headers.map { "\($0.name): \($0.value)" }
        if let accept, !options.headers.contains(where: { $0.name.lowercased() == "accept" }) { lines.append("Accept: \(accept)") }
        if let contentType { lines.append("Content-Type: \(contentType)") }
        handle = Mutex(CurlHandle(url: url, label: label, timeout: timeout, freshConnection: freshConnection, headerLines: lines,
                                  options: options))
    }

    public func get() async -> Result<HTTPResponse, HTTPFetchError> {
        await withCheckedContinuation { continuation in
            let started = PlainThread.start(detached: true) { [self] in
                continuation.resume(returning: getBlocking())
            }
            if started == nil {
                continuation.resume(returning: .failure(.failed(url: label, reason: "no thread could be started for the request")))
            }
        }
    }
}

extension HTTPFetcher {
    /// The request on the calling thread, which it blocks until the response or the timeout.
    func getBlocking() -> Result<HTTPResponse, HTTPFetchError> {
        handle.withLock { $0.perform(maxBodyBytes: maxBodyBytes, timeout: timeout) }
    }

    /// POSTs `body` on the calling thread, which it blocks until the answer or the timeout: for
    /// a sender with a thread of its own (alerts to an Alertmanager), never the tick's.
    public func postBlocking(_ body: String) -> Result<HTTPResponse, HTTPFetchError> {
        handle.withLock { $0.perform(maxBodyBytes: maxBodyBytes, timeout: timeout, posting: body) }
    }

    /// The body of a 2xx answer, for sources that read a document (a scrape, a status page).
    public func document() async -> Result<[UInt8], HTTPFetchError> {
        await get().flatMap { response in
            if (200..<300).contains(response.status) { return .success(response.body) }
            if let redirect = response.unfollowedRedirect { return .failure(.redirected(url: label, code: response.status, redirect)) }
            return .failure(.status(url: label, code: response.status))
        }
    }
}

/// How a source makes its request beside URL and timeout (the config's `headers`,
/// `header_files`, `connect_to`, `unix_socket`, `tls_ca_file`, `follow_redirects`).
public struct HTTPRequestOptions: Sendable {
    public var headers: [(name: String, value: String)]
    /// "host:port" connected to in place of the URL's host and port (curl's --connect-to).
    public var connectTo: String?
    /// A unix socket connected to in place of the URL's host and port (curl's --unix-socket).
    public var unixSocket: String?
    /// PEM certificates to trust for https.
    public var caFile: String?
    /// Redirects to the URL's own host are followed, within the one timeout.
    public var followRedirects: Bool
    /// PEM files shown to a server that asks for a client certificate; a nil key is in the
    /// certificate's file.
    public var clientCertificate: (certificate: String, key: String?)?

    public init(headers: [(name: String, value: String)] = [], connectTo: String? = nil, unixSocket: String? = nil, caFile: String? = nil,
                followRedirects: Bool = false, clientCertificate: (certificate: String, key: String?)? = nil) {
        self.headers = headers
        self.connectTo = connectTo
        self.unixSocket = unixSocket
        self.caFile = caFile
        self.followRedirects = followRedirects
        self.clientCertificate = clientCertificate
    }
}

/// The curl easy handle and what a request needs beside it. Used under the fetcher's lock only.
private final class CurlHandle {
    let url: String
    /// The fetcher's `label`, which errors name.
    let label: String
    let unixSocket: String?
    let followRedirects: Bool
    /// A hop may not change scheme or port: `connect_to` or `unix_socket` names one place.
    let connectsElsewhere: Bool
    let clientCertificate: String?
    let handle: UnsafeMutableRawPointer?
    var errorText = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    var headers: UnsafeMutablePointer<curl_slist>?
    var connectToList: UnsafeMutablePointer<curl_slist>?

    static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    init(url: String, label: String, timeout: Duration, freshConnection: Bool, headerLines: [String], options: HTTPRequestOptions) {
        self.url = url
        self.label = label
        unixSocket = options.unixSocket
        followRedirects = options.followRedirects
        connectsElsewhere = options.connectTo != nil || options.unixSocket != nil
        clientCertificate = options.clientCertificate?.certificate
        _ = Self.globalInit
        handle = curl_easy_init()
        guard let handle else { return }
        surge_curl_set_string(handle, CURLOPT_URL, url)
        surge_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        surge_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        // Never through a proxy the environment names (http_proxy, ALL_PROXY: libcurl would
        // take even 127.0.0.1 there): a probe times the shop, not a proxy, as Prometheus
        // ignores those variables too. An empty string turns libcurl's reading of them off.
        surge_curl_set_string(handle, CURLOPT_PROXY, "")
        surge_curl_set_string(handle, CURLOPT_USERAGENT, "surgewatch")
        if freshConnection {
            surge_curl_set_long(handle, CURLOPT_FRESH_CONNECT, 1)
            surge_curl_set_long(handle, CURLOPT_FORBID_REUSE, 1)
        }
        for line in headerLines { headers = curl_slist_append(headers, line) }
        if headers != nil { surge_curl_set_pointer(handle, CURLOPT_HTTPHEADER, headers) }
        if let connectTo = options.connectTo {
            // Empty host and port: whatever the URL names is connected to at `connectTo`.
            connectToList = curl_slist_append(nil, "::" + connectTo)
            surge_curl_set_pointer(handle, CURLOPT_CONNECT_TO, connectToList)
        }
        if let socket = options.unixSocket { surge_curl_set_string(handle, CURLOPT_UNIX_SOCKET_PATH, socket) }
        if let caFile = options.caFile { surge_curl_set_string(handle, CURLOPT_CAINFO, caFile) }
        if let client = options.clientCertificate {
            surge_curl_set_string(handle, CURLOPT_SSLCERT, client.certificate)
            surge_curl_set_string(handle, CURLOPT_SSLKEY, client.key ?? client.certificate)
        }
        surge_curl_set_write_function(handle) { data, size, count, context in
            let body = Unmanaged<BodyBuffer>.fromOpaque(context!).takeUnretainedValue()
            let length = size * count
            guard let limit = body.limit else { return length }
            guard body.bytes.count + length <= limit else {
                body.overflowed = true
                return 0  // anything but `length` makes curl stop with CURLE_WRITE_ERROR
            }
            data!.withMemoryRebound(to: UInt8.self, capacity: length) {
                body.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
            }
            return length
        }
    }

    deinit {
        if let handle { curl_easy_cleanup(handle) }
        curl_slist_free_all(headers)
        curl_slist_free_all(connectToList)
    }

    /// Why the socket at `path` cannot be connected to, when the file says: absent, or not
    /// writable by this process (connecting takes write permission); nil when nothing there
    /// tells (a socket nothing listens on).
    static func unixSocketProblem(_ path: String) -> String? {
        guard access(path, F_OK) == 0 else { return "\(path): \(String(cString: strerror(errno)))" }
        guard access(path, W_OK) == 0 else {
            return "\(path): \(String(cString: strerror(errno))) (read as uid \(getuid()): connecting takes write permission on the socket; "
                + "under the shipped unit, a socket only a group may write to takes SupplementaryGroups=GROUP in a drop-in)"
        }
        return nil
    }

    /// At most this many redirects are followed for one request (a loop ends here).
    static let redirectLimit = 5

    /// The request; when `followRedirects` says, the redirects it answers with on the URL's own
    /// host too, every hop within what is left of the one timeout. Followed by hand rather than
    /// by libcurl, which would take the source's headers (a token among them) to any host.
    func perform(maxBodyBytes: Int?, timeout: Duration, posting body: String? = nil) -> Result<HTTPResponse, HTTPFetchError> {
        guard let handle else { return .failure(.failed(url: label, reason: "libcurl could not make a handle")) }
        if let body {
            // The size first: COPYPOSTFIELDS copies that many bytes, and the handle posts from then on.
            surge_curl_set_long(handle, CURLOPT_POSTFIELDSIZE, body.utf8.count)
            surge_curl_set_string(handle, CURLOPT_COPYPOSTFIELDS, body)
        }
        var target = url
        defer { if target != url { surge_curl_set_string(handle, CURLOPT_URL, url) } }
        var earlierHops = 0.0
        var hops = 0
        while true {
            let left = timeout.seconds - earlierHops
            guard left > 0 else { return .failure(.timedOut(url: label, after: timeout)) }
            let milliseconds = max(1, Int(left * 1000))
            surge_curl_set_long(handle, CURLOPT_TIMEOUT_MS, milliseconds)
            surge_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds)
            let result = performOnce(handle, maxBodyBytes: maxBodyBytes, timeout: timeout)
            guard case .success(var response) = result else { return result }
            response.seconds += earlierHops
            guard followRedirects, var redirect = response.unfollowedRedirect else { return .success(response) }
            let from = Self.origin(of: url), to = Self.origin(of: redirect.location)
            let refusal: UnfollowedRedirect.Reason? = to?.host != from?.host ? .anotherHost
                : connectsElsewhere && (to?.scheme != from?.scheme || to?.port != from?.port) ? .anotherAddress : nil
            if let refusal {
                redirect.reason = refusal
                response.unfollowedRedirect = redirect
                return .success(response)
            }
            guard hops < Self.redirectLimit else {
                return .failure(.failed(url: label, reason: "more than \(Self.redirectLimit) redirects, the last to \(redirect.location)"))
            }
            hops += 1
            earlierHops = response.seconds
            target = redirect.location
            surge_curl_set_string(handle, CURLOPT_URL, target)
        }
    }

    /// The scheme, host (lower-cased) and port (the scheme's when none is written) a URL
    /// names; nil when libcurl cannot parse it.
    static func origin(of url: String) -> (scheme: String, host: String, port: String)? {
        guard let parsed = curl_url() else { return nil }
        defer { curl_url_cleanup(parsed) }
        guard curl_url_set(parsed, CURLUPART_URL, url, 0) == CURLUE_OK else { return nil }
        func part(_ which: CURLUPart, _ flags: UInt32 = 0) -> String? {
            var text: UnsafeMutablePointer<CChar>?
            guard curl_url_get(parsed, which, &text, flags) == CURLUE_OK, let text else { return nil }
            defer { curl_free(text) }
            return String(cString: text).lowercased()
        }
        guard let scheme = part(CURLUPART_SCHEME), let host = part(CURLUPART_HOST),
              let port = part(CURLUPART_PORT, UInt32(CURLU_DEFAULT_PORT)) else { return nil }
        return (scheme, host, port)
    }

    /// One request to the URL the handle holds.
    private func performOnce(_ handle: UnsafeMutableRawPointer, maxBodyBytes: Int?, timeout: Duration) -> Result<HTTPResponse, HTTPFetchError> {
        let body = BodyBuffer(limit: maxBodyBytes)
        let context = Unmanaged.passRetained(body)
        defer { context.release() }
        surge_curl_set_pointer(handle, CURLOPT_WRITEDATA, context.toOpaque())
        errorText[0] = 0
        let code = errorText.withUnsafeMutableBufferPointer { buffer in
            surge_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, buffer.baseAddress)
            defer { surge_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, nil) }
            return curl_easy_perform(handle)
        }
        let detail = errorText.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let reason = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : String(decoding: detail, as: UTF8.self)
        switch code {
        case CURLE_OK:
            var status = 0
            surge_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
            var microseconds: curl_off_t = 0
            surge_curl_get_offset(handle, CURLINFO_TOTAL_TIME_T, &microseconds)
            // Where a 3xx points, resolved against the URL (libcurl fills it only for a 3xx with a Location).
            var location: UnsafeMutablePointer<CChar>?
            surge_curl_get_string(handle, CURLINFO_REDIRECT_URL, &location)
            let redirect = location.map { UnfollowedRedirect(location: String(cString: $0), reason: .notAsked) }
            return .success(HTTPResponse(status: status, body: body.bytes, seconds: Double(microseconds) / 1e6, unfollowedRedirect: redirect))
        case CURLE_OPERATION_TIMEDOUT:
            return .failure(.timedOut(url: label, after: timeout))
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST:
            // curl words a refused unix socket as the URL's port ("port 80 ... Couldn't connect").
            let socketProblem = unixSocket.flatMap(Self.unixSocketProblem)
            return .failure(.refused(url: label, reason: socketProblem ?? reason))
        case CURLE_WRITE_ERROR where body.overflowed:
            return .failure(.tooLarge(url: label, limit: maxBodyBytes ?? 0))
        case CURLE_RECV_ERROR where reason.contains(" alert "), CURLE_SSL_CONNECT_ERROR:
            // TLS 1.3 sends a refused client certificate after the handshake: curl meets the
            // server's alert reading the answer, which is no body cut short (TLS 1.2: in it).
            return .failure(.failed(url: label, reason: reason + TLSAlert.hint(reason, clientCertificate: clientCertificate)))
        case CURLE_PARTIAL_FILE, CURLE_GOT_NOTHING, CURLE_RECV_ERROR:
            return .failure(.truncated(url: label, reason: reason))
        default:
            return .failure(.failed(url: label, reason: reason))
        }
    }
}

/// What a server's TLS alert says to an operator.
enum TLSAlert {
    static func hint(_ reason: String, clientCertificate: String?) -> String {
        if reason.contains("alert certificate required") {
            return " (the server asks for a client certificate: tls_cert_file and tls_key_file)"
        }
        let refusals = ["unknown ca", "bad certificate", "certificate expired", "certificate revoked", "unsupported certificate",
                        "certificate unknown", "access denied"]
        if let clientCertificate, refusals.contains(where: { reason.contains("alert " + $0) }) {
            return " (the server refused the client certificate \(clientCertificate))"
        }
        return ""
    }
}

/// Collects a response body up to a limit (nil: keeps none); written by curl's callback on the
/// request's thread.
private final class BodyBuffer {
    let limit: Int?
    var bytes: [UInt8] = []
    var overflowed = false

    init(limit: Int?) { self.limit = limit }
}
