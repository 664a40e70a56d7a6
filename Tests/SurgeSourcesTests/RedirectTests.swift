import Foundation
import SurgeSampling
import Testing
@testable import SurgeSources

/// A shop that answers its probe or its /metrics with a redirect (http to https, a moved path),
/// against real servers on 127.0.0.1. Off (the default), a probe still counts a 3xx as up but
/// says once that it times the redirect, and a scrape fails naming where it points; with
/// `follow_redirects`, hops on the URL's own host are followed within the one timeout, and
/// never a hop to another host, which would take the source's headers (a token) there.
@Suite struct RedirectTests {
    let server: TestHTTPServer

    init() throws { server = try TestHTTPServer() }

    func redirect(to location: String) -> String {
        server.url("/redirect?to=" + location.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
    }

    @Test func aProbeNotFollowingTimesTheRedirectAndSaysSoOnce() async throws {
        let url = redirect(to: "/slow/3000")
        let probed = await ProbeSource(name: nil, url: url, timeout: .seconds(5)).read(monotonicSeconds: 0)
        #expect(probed.values[1] == 1, "a 3xx is up, as before")
        #expect(probed.values[0] < 3000, "the redirect's own time, not the slow page's: \(probed.values)")
        #expect(probed.problems == [SourceProblem(kind: .notice, location: url, message:
            "\(url): HTTP 302, redirected to \(server.url("/slow/3000")), not followed (follow_redirects = true follows a redirect "
            + "on the URL's own host); probe_latency_ms times that answer, not the page it points to")])
        let plain = await ProbeSource(name: nil, url: server.url("/health"), timeout: .seconds(2)).read(monotonicSeconds: 0)
        #expect(plain.problems.isEmpty)
    }

    @Test func aProbeFollowingTimesEveryHop() async throws {
        let following = HTTPRequestOptions(followRedirects: true)
        // Two hops, then the slow page: the customer waits for all three.
        let url = redirect(to: "/redirect?to=%2Fslow%2F400")
        let probed = await ProbeSource(name: nil, url: url, timeout: .seconds(2), options: following).read(monotonicSeconds: 0)
        #expect(probed.values[1] == 1 && probed.problems.isEmpty, "\(probed.problems)")
        #expect(probed.values[0] >= 400, "\(probed.values)")
        // Twice on one fetcher: the handle goes back to the configured URL after following.
        let fetcher = HTTPFetcher(url: redirect(to: "/health"), timeout: .seconds(2), options: following)
        for _ in 0..<2 { #expect(try await fetcher.document().get() == Array("ok\n".utf8)) }
    }

    @Test func aScrapeNotFollowingFailsNamingTheTarget() async {
        let url = redirect(to: "/metrics")
        let result = await HTTPFetcher(url: url, timeout: .seconds(2)).document()
        #expect(result.failure?.description == "\(url): HTTP 302, redirected to \(server.url("/metrics")), not followed "
                + "(follow_redirects = true follows a redirect on the URL's own host)")
        let scraped = await PrometheusSource(name: nil, url: url, timeout: .seconds(2), options: HTTPRequestOptions(followRedirects: true),
                                             metrics: [("app_inflight", "gauge(app_inflight_requests)")]).read(monotonicSeconds: 0)
        #expect(scraped.problems.isEmpty && !scraped.values[0].isNaN, "\(scraped.problems)")
    }

    /// `localhost` is the same server under another name: libcurl's own following would take
    /// the token there; surgewatch does not.
    @Test func aRedirectToAnotherHostIsNotFollowedWithTheHeaders() async {
        let away = "http://localhost:\(server.port)/echo-headers"
        let url = redirect(to: away)
        let options = HTTPRequestOptions(headers: [("X-Shop-Token", "secret")], followRedirects: true)
        let result = await HTTPFetcher(url: url, timeout: .seconds(2), options: options).document()
        #expect(result.failure == .redirected(url: url, code: 302, UnfollowedRedirect(location: away, reason: .anotherHost)))
        #expect(result.failure?.description == "\(url): HTTP 302, redirected to \(away), on another host, not followed (the source's "
                + "headers, connect_to and unix_socket are for its own host): name that URL in the config")
        let probed = await ProbeSource(name: nil, url: url, timeout: .seconds(2), options: options).read(monotonicSeconds: 0)
        #expect(probed.values[1] == 1 && probed.problems.map(\.kind) == [.notice], "\(probed.problems)")
        #expect(probed.problems.first?.message.contains("on another host") == true)
    }

    @Test func aLoopEndsAfterFiveHops() async {
        let url = server.url("/loop")
        let probed = await ProbeSource(name: nil, url: url, timeout: .seconds(2), options: HTTPRequestOptions(followRedirects: true))
            .read(monotonicSeconds: 0)
        #expect(probed.values[1] == 0 && probed.values[0].isNaN)
        #expect(probed.problems == [SourceProblem(kind: .failure, location: url, message: "\(url): more than 5 redirects, the last to \(url)")])
    }

    /// The timeout is the whole request's: hops that each fit in it do not add up past it.
    @Test func hopsShareOneTimeout() {
        let following = HTTPRequestOptions(followRedirects: true)
        let fits = HTTPFetcher(url: redirect(to: "/slow/100") + "&after=100", timeout: .milliseconds(600), options: following)
        #expect(fits.getBlocking().failure == nil)
        let url = redirect(to: "/slow/350") + "&after=350"
        let started = ContinuousClock.now
        let result = HTTPFetcher(url: url, timeout: .milliseconds(600), options: following).getBlocking()
        #expect(result.failure == .timedOut(url: url, after: .milliseconds(600)), "each hop fits, both do not")
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    /// With connect_to, every hop would go to its one address: a path on the same scheme and
    /// port is followed there (the Host header still the URL's name), an http-to-https redirect
    /// is not (it would be sent, in TLS, to the http port), and says so.
    @Test func withConnectToOnlyTheSameSchemeAndPortAreFollowed() async {
        let options = HTTPRequestOptions(connectTo: "127.0.0.1:\(server.port)", followRedirects: true)
        let base = "http://shop.example.com:\(server.port)"
        let sameAddress = base + "/redirect?to=%2Fvhost%2Fshop.example.com"
        let followed = await ProbeSource(name: nil, url: sameAddress, timeout: .seconds(2), options: options).read(monotonicSeconds: 0)
        #expect(followed.values[1] == 1 && followed.problems.isEmpty, "\(followed.problems)")
        let secure = "https://shop.example.com:\(server.port)/health"
        let url = base + "/redirect?to=" + secure.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let result = await HTTPFetcher(url: url, timeout: .seconds(2), options: options).document()
        #expect(result.failure == .redirected(url: "\(url) (at 127.0.0.1:\(server.port))", code: 302,
                                              UnfollowedRedirect(location: secure, reason: .anotherAddress)), "\(String(describing: result.failure))")
    }

    /// http to https on another port of the same host, as a shop's front redirects: followed,
    /// with the https server's certificate checked.
    @Test func httpToHTTPSOnTheSameHostIsFollowed() async throws {
        let tls = try HTTPSSourceTests.Certificate(subjectAltName: "IP:127.0.0.1")
        let secure = try TestHTTPServer(tls: (tls.certificate, tls.key))
        let url = redirect(to: "https://127.0.0.1:\(secure.port)/health")
        let probed = await ProbeSource(name: nil, url: url, timeout: .seconds(2),
                                       options: HTTPRequestOptions(caFile: tls.certificate, followRedirects: true)).read(monotonicSeconds: 0)
        #expect(probed.values[1] == 1 && probed.problems.isEmpty, "\(probed.problems)")
    }
}
