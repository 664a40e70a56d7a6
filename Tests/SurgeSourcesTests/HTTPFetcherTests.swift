import Foundation
import SurgeSampling
import Testing
import TestSupport
@testable import SurgeSources

/// libcurl behind `HTTPFetcher`, against a real server on 127.0.0.1 that answers slowly, with
/// errors, cut short or too much, and against a port where nothing listens.
@Suite struct HTTPFetcherTests {
    let server: TestHTTPServer

    init() throws { server = try TestHTTPServer() }

    @Test func answersWithStatusBodyAndTime() async throws {
        let fetcher = HTTPFetcher(url: server.url("/health"), timeout: .seconds(2))
        let response = try await fetcher.get().get()
        #expect(response.status == 200)
        #expect(response.body == Array("ok\n".utf8))
        #expect(response.seconds > 0 && response.seconds < 2)
        // The handle is reused: a second request on the same fetcher works too.
        #expect(try await fetcher.get().get().status == 200)
    }

    /// The config's headers go out as written, each on its own line; an `Accept` among them
    /// replaces the source's own rather than doubling it.
    @Test func configuredHeadersAreSentAndReplaceTheSourcesAccept() async throws {
        let fetcher = HTTPFetcher(url: server.url("/echo-headers"), timeout: .seconds(2), accept: "text/plain",
                                  options: HTTPRequestOptions(headers: [("Host", "shop.example.com"), ("X-Shop-Token", "a b;c"),
                                                                        ("accept", "application/openmetrics-text")]))
        let lines = String(decoding: try await fetcher.document().get(), as: UTF8.self).split(separator: "\n")
        #expect(lines.contains("Host: shop.example.com") && lines.contains("X-Shop-Token: a b;c"), "\(lines)")
        #expect(lines.filter { $0.lowercased().hasPrefix("accept:") } == ["accept: application/openmetrics-text"], "\(lines)")
        let plain = HTTPFetcher(url: server.url("/echo-headers"), timeout: .seconds(2), accept: "text/plain")
        let plainLines = String(decoding: try await plain.document().get(), as: UTF8.self).split(separator: "\n")
        #expect(plainLines.contains("Accept: text/plain") && plainLines.contains("Host: 127.0.0.1:\(server.port)"), "\(plainLines)")
    }

    @Test func errorStatusIsAResponseButNotADocument() async throws {
        let fetcher = HTTPFetcher(url: server.url("/status/503"), timeout: .seconds(2))
        #expect(try await fetcher.get().get().status == 503)
        #expect(await fetcher.document() == .failure(.status(url: server.url("/status/503"), code: 503)))
    }

    /// Timed on the thread that makes the request: the async path adds waiting for a pool
    /// thread, which other tests running at the same time can hold.
    @Test func slowEndpointTimesOutOnTime() {
        let fetcher = HTTPFetcher(url: server.url("/slow/5000"), timeout: .milliseconds(300))
        let started = ContinuousClock.now
        let result = fetcher.getBlocking()
        let elapsed = ContinuousClock.now - started
        #expect(result.failure == .timedOut(url: server.url("/slow/5000"), after: .milliseconds(300)))
        #expect(elapsed < .seconds(3), "the request must give up near its timeout, not wait for the server")
        #expect(result.failure?.description == "\(server.url("/slow/5000")): no complete response within 300ms")
    }

    @Test func slowEndpointTimesOutThroughTheAsyncPath() async {
        let result = await HTTPFetcher(url: server.url("/slow/5000"), timeout: .milliseconds(300)).get()
        #expect(result.failure == .timedOut(url: server.url("/slow/5000"), after: .milliseconds(300)))
    }

    @Test func refusedConnectionIsNamed() async throws {
        let url = "http://127.0.0.1:\(try LoopbackPort.unused())/metrics"
        let result = await HTTPFetcher(url: url, timeout: .seconds(1)).get()
        guard case .refused(let failedURL, let reason)? = result.failure else {
            Issue.record("expected a refused connection, got \(result)")
            return
        }
        #expect(failedURL == url)
        #expect(reason.contains("onnect"), "\(reason)")
    }

    @Test func truncatedBodyIsAnError() async {
        let result = await HTTPFetcher(url: server.url("/truncated"), timeout: .seconds(2)).get()
        guard case .truncated? = result.failure else {
            Issue.record("expected a truncated body, got \(result)")
            return
        }
    }

    @Test func tenMegabyteBodyStopsAtTheCap() async throws {
        let capped = await HTTPFetcher(url: server.url("/big/10"), timeout: .seconds(5), maxBodyBytes: 4 << 20).get()
        #expect(capped.failure == .tooLarge(url: server.url("/big/10"), limit: 4 << 20))
        let allowed = try await HTTPFetcher(url: server.url("/big/10"), timeout: .seconds(5), maxBodyBytes: 16 << 20).get().get()
        #expect(allowed.body.count == 10 << 20)
    }

    @Test func invalidSchemeFails() async {
        let result = await HTTPFetcher(url: "ftp://127.0.0.1/x", timeout: .seconds(1)).get()
        #expect(result.failure != nil)
    }

    /// Fetchers share nothing (no global lock, one curl handle each): six one-second requests
    /// on six threads finish together, where one after another would take six seconds.
    @Test func slowRequestsDoNotQueueBehindEachOther() {
        let fetchers = (0..<6).map { _ in HTTPFetcher(url: server.url("/slow/1000"), timeout: .seconds(5)) }
        let started = ContinuousClock.now
        let threads = fetchers.compactMap { fetcher in PlainThread.start { _ = fetcher.getBlocking() } }
        #expect(threads.count == 6)
        for thread in threads { pthread_join(thread, nil) }
        #expect(ContinuousClock.now - started < .seconds(4))
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
