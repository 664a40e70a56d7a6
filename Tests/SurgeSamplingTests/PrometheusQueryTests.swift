import Testing
@testable import SurgeSampling

/// The query language of `[sources.prometheus.metrics]`: parsing, errors with offsets, and
/// evaluation over pairs of scrapes (rates, ratios, histogram quantiles, gauges, missing values).
@Suite struct PrometheusQueryTests {
    static func scrape(_ text: String) throws -> PrometheusExposition {
        try PrometheusExposition.parse(Array(text.utf8))
    }

    /// Evaluates `expressions` on `first` (at t = 0) and then `second` (at t = 10 s); returns
    /// both rows of values, NaN meaning missing.
    static func evaluate(_ expressions: [String], _ first: String, _ second: String) throws -> (first: [Double], second: [Double]) {
        var evaluator = PrometheusQueryEvaluator(queries: try expressions.map { try PrometheusQuery.parse($0) })
        let a = evaluator.evaluate(try evaluator.parse(Array(first.utf8)), at: 0)
        let b = evaluator.evaluate(try evaluator.parse(Array(second.utf8)), at: 10)
        return (a, b)
    }

    @Test func parsesTheContractExamples() throws {
        #expect(try PrometheusQuery.parse("rate(http_requests_total)") == .rate(SeriesSelector(name: "http_requests_total")))
        let errors = try PrometheusQuery.parse(#"ratio(rate(http_requests_total{code=~"5.."}), rate(http_requests_total))"#)
        #expect(errors == .ratio(
            .rate(SeriesSelector(name: "http_requests_total", matchers: [try LabelMatcher(label: "code", op: .matches, value: "5..")])),
            .rate(SeriesSelector(name: "http_requests_total"))))
        #expect(try PrometheusQuery.parse("histogram_quantile(0.99, http_request_duration_seconds) * 1000")
            == .binary(.multiply, .histogramQuantile(0.99, SeriesSelector(name: "http_request_duration_seconds")), .number(1000)))
        #expect(try PrometheusQuery.parse("gauge(app_inflight_requests{pool!='batch', zone !~ \"eu-.*\"})") == .gauge(
            SeriesSelector(name: "app_inflight_requests", matchers: [
                try LabelMatcher(label: "pool", op: .notEqual, value: "batch"),
                try LabelMatcher(label: "zone", op: .notMatches, value: "eu-.*"),
            ])))
        #expect(try PrometheusQuery.parse("(rate(a) + rate(b)) * 2 or 0") == .binary(.or,
            .binary(.multiply, .binary(.add, .rate(SeriesSelector(name: "a")), .rate(SeriesSelector(name: "b"))), .number(2)),
            .number(0)))
        #expect(try PrometheusQuery.parse("rate(a) - 1.5e3 / 2") == .binary(.subtract, .rate(SeriesSelector(name: "a")),
            .binary(.divide, .number(1500), .number(2))))
    }

    @Test(arguments: [
        ("rate(x", 6, "expected ')' to close rate(, got the end"),
        ("rate x", 5, "expected '(' after 'rate', got 'x'"),
        ("avg(x)", 0, "'avg' is not needed: each rate(...) or gauge(...) sums the series its selector matches"),
        ("exp(x)", 0, "unknown function 'exp'; expected rate, gauge, ratio or histogram_quantile"),
        ("increase(x)", 0, "'increase' is rate(...) here: the per-second increase since the last tick's scrape"),
        // PromQL's habits, said as such rather than as a missing ')'.
        ("rate(x[5m])", 6, "no range is written here: rates and quantiles are over the last tick (the scrape before this one)"),
        ("histogram_quantile(0.99, lat_bucket)", 25,
         "write the histogram's name, lat: its _bucket series are read, and their increase over the last tick taken"),
        ("histogram_quantile(0.99, rate(lat_bucket[5m]))", 25,
         "write histogram_quantile(0.99, NAME) with the histogram's name: the increase of its buckets over the last tick is taken for you"),
        ("histogram_quantile(1.5, x)", 19, "histogram_quantile needs a quantile from 0 to 1 first, such as 0.99"),
        ("rate(x{code=5})", 12, "expected a quoted label value"),
        ("rate(x{code=\"5})", 12, "unterminated quoted value"),
        ("rate(x{code<\"5\"})", 11, "expected =, !=, =~ or !~ after label 'code'"),
        ("rate(x) rate(y)", 8, "unexpected 'rate(y)' after the expression"),
        ("ratio(rate(x))", 13, "expected ',' between ratio's two arguments, got ')'"),
        ("", 0, "expected a number or rate(...), gauge(...), ratio(...), histogram_quantile(...), got the end"),
        (")", 0, "expected a number or rate(...), gauge(...), ratio(...), histogram_quantile(...), got ')'"),
        ("rate(x{code!5})", 11, "expected '!=' or '!~' after label 'code'"),
    ])
    func errorsNameTheOffset(text: String, offset: Int, reason: String) {
        do {
            _ = try PrometheusQuery.parse(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.offset == offset, "\(text)")
            #expect(error.reason == reason)
        }
    }

    /// Found by fuzzing: thousands of '(' overflowed the parser's stack. Deep nesting and long
    /// chains (whose tree the evaluator and the release walk recursively) are refused instead.
    @Test func deepOrLongQueriesAreRefusedNotOverflowed() throws {
        let deep = String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000)
        #expect(throws: PrometheusQueryError(offset: 32, reason: "nested more than 32 levels deep (parentheses and ratio)")) {
            try PrometheusQuery.parse(deep)
        }
        let ratios = String(repeating: "ratio(", count: 40) + "1" + String(repeating: ", 1)", count: 40)
        #expect(throws: PrometheusQueryError.self) { try PrometheusQuery.parse(ratios) }
        let long = "1" + String(repeating: " + rate(x)", count: 200_000)
        #expect(throws: PrometheusQueryError(offset: 1_283, reason: "more than 256 operators and functions in one query")) {
            try PrometheusQuery.parse(long)
        }
        // At the limits, still a query.
        let nested = String(repeating: "(", count: 31) + "rate(x)" + String(repeating: ")", count: 31)
        #expect(try PrometheusQuery.parse(nested) == .rate(SeriesSelector(name: "x")))
        _ = try PrometheusQuery.parse("1" + String(repeating: " + 1", count: 256))
    }

    @Test func badRegexIsRejected() {
        #expect(throws: PrometheusQueryError.self) { try PrometheusQuery.parse(#"rate(x{code=~"5..("})"#) }
    }

    @Test func counterRateSumsMatchingSeriesOverTheTick() throws {
        let values = try Self.evaluate(
            ["rate(http_requests_total)", #"rate(http_requests_total{code=~"5.."})"#, #"rate(http_requests_total{code="200"})"#],
            """
            http_requests_total{code="200",path="/buy"} 100
            http_requests_total{code="503",path="/buy"} 10
            http_requests_total{code="1503",path="/buy"} 0
            """,
            """
            http_requests_total{path="/buy",code="200"} 180
            http_requests_total{code="503",path="/buy"} 30
            http_requests_total{code="1503",path="/buy"} 5
            """)
        #expect(values.first.allSatisfy { $0.isNaN }, "no previous scrape: rates unknown")
        // Labels in another order are the same series; the regex is anchored, so 1503 is not 5xx.
        #expect(values.second == [10.5, 2, 8])
    }

    @Test func ratioAndOrAndArithmetic() throws {
        let values = try Self.evaluate(
            [#"ratio(rate(req{code=~"5.."}), rate(req))"#, #"ratio(rate(req{code="404"}), rate(req))"#,
             #"ratio(rate(req{code="404"}), rate(req)) or 0"#, "rate(req) * 60", "ratio(rate(idle), rate(idle))"],
            "req{code=\"200\"} 0\nreq{code=\"500\"} 0\nidle 7\n",
            "req{code=\"200\"} 90\nreq{code=\"500\"} 10\nidle 7\n")
        #expect(values.second[0] == 0.1)
        #expect(values.second[1].isNaN, "no 404 series: missing, not zero (CONTRACTS.md)")
        #expect(values.second[2] == 0, "'or 0' turns the absent series into zero")
        #expect(values.second[3] == 600)
        #expect(values.second[4].isNaN, "0/0: no traffic, no ratio")
    }

    /// A shop that has not answered a 500 yet has no `code="500"` series (client libraries make
    /// a labelled series at its first count): the error ratio is missing, as the contract has
    /// an absent series, and 0 with the shipped configs' `or 0`. The tick the first 500 comes,
    /// its series is new and its increase unknown (a series may come back with its old count);
    /// from the next it counts.
    @Test func aLabelledSeriesNotYetMadeIsMissingUnlessOrZero() throws {
        var evaluator = PrometheusQueryEvaluator(queries: try [
            #"ratio(rate(req{code=~"5.."}), rate(req))"#, #"ratio(rate(req{code=~"5.."}) or 0, rate(req))"#, #"rate(gone{code="500"})"#,
        ].map { try PrometheusQuery.parse($0) })
        let pages = ["req{code=\"200\"} 100\n", "req{code=\"200\"} 200\n", "req{code=\"200\"} 290\nreq{code=\"500\"} 10\n",
                     "req{code=\"200\"} 380\nreq{code=\"500\"} 20\n"]
        let rows = try pages.enumerated().map { tick, page in evaluator.evaluate(try Self.scrape(page), at: Double(tick) * 10) }
        #expect(rows[1][0].isNaN && rows[2][0].isNaN && rows[3][0] == 0.1, "\(rows)")
        #expect(rows[0][1].isNaN && rows[1][1] == 0 && rows[2][1] == 0 && rows[3][1] == 0.1, "\(rows)")
        #expect(evaluator.findings == [.absentName("gone")], "the metric itself absent: missing, and said")
    }

    /// What the log says of a selector beyond its value: a name on no line (a typo, or not
    /// exported yet), a label test no series passes, with the labels the series do carry.
    @Test func findingsNameAnAbsentMetricAndAnUnmatchedSelector() throws {
        var evaluator = PrometheusQueryEvaluator(queries: try [
            "rate(http_request_total)", #"rate(http_requests_total{status=~"5.."})"#, "histogram_quantile(0.99, lat{path=\"/x\"})",
            #"gauge(http_requests_total{code="200"})"#].map { try PrometheusQuery.parse($0) })
        _ = evaluator.evaluate(try Self.scrape("http_requests_total{code=\"200\",path=\"/\"} 1\nlat_bucket{le=\"+Inf\",path=\"/\"} 1\n"), at: 0)
        let status = SeriesSelector(name: "http_requests_total", matchers: [try LabelMatcher(label: "status", op: .matches, value: "5..")])
        let path = SeriesSelector(name: "lat_bucket", matchers: [try LabelMatcher(label: "path", op: .equal, value: "/x")])
        #expect(evaluator.findings == [.absentName("http_request_total"), .unmatched(status, labels: ["code", "path"]),
                                       .unmatched(path, labels: ["path"])])
        // Unmatched tick after tick: the labels gathered once are kept, not gathered again.
        _ = evaluator.evaluate(try Self.scrape("http_requests_total{code=\"200\",zone=\"b\"} 2\nlat_bucket{le=\"+Inf\",path=\"/\"} 2\n"), at: 10)
        #expect(evaluator.findings.dropFirst().first == .unmatched(status, labels: ["code", "path"]))
        #expect(status.text == #"http_requests_total{status=~"5.."}"#)
        #expect(SeriesSelector(name: "x", matchers: [try LabelMatcher(label: "p", op: .notEqual, value: #"a"b\c"#)]).text == #"x{p!="a\"b\\c"}"#)
    }

    @Test func counterResetAndNewSeries() throws {
        let values = try Self.evaluate(
            ["rate(a)", "rate(b)", "rate(c)"],
            "a{x=\"1\"} 50\na{x=\"2\"} 10\nb 5\n",
            "a{x=\"1\"} 60\na{x=\"2\"} 10\na{x=\"3\"} 1000\nb 2\nc 9\n")
        #expect(values.second[0] == 1, "the new series x=3 has no baseline and is left out")
        #expect(values.second[1].isNaN, "b went backwards: reset, increase unknowable")
        #expect(values.second[2].isNaN, "c appeared only now")
    }

    /// A label value written with escapes in the config matches the same value escaped in the
    /// exposition format (\" \\ \n), in either kind of quotes.
    @Test func escapedLabelValuesMatchAcrossTheQueryAndTheScrape() throws {
        let values = try Self.evaluate(
            [#"gauge(x{path="a\"b\\c"})"#, #"gauge(x{path='a"b\\c'})"#, #"gauge(x{note="two\nlines"})"#, #"gauge(x{path="a\"b"})"#],
            #"""
            x{path="a\"b\\c"} 7
            x{note="two\nlines"} 2
            """#,
            "")
        #expect(values.first[0] == 7 && values.first[1] == 7, "\(values.first)")
        #expect(values.first[2] == 2)
        #expect(values.first[3].isNaN, "a\"b is not a\"b\\c: no series, no value")
    }

    @Test func gaugeSumsCurrentValuesAndSkipsNonFinite() throws {
        let values = try Self.evaluate(
            ["gauge(inflight)", #"gauge(inflight{pool="web"})"#, "gauge(absent)", "gauge(broken)"],
            "inflight{pool=\"web\"} 3\ninflight{pool=\"batch\"} 4\nbroken NaN\n",
            "inflight{pool=\"web\"} 5\ninflight{pool=\"batch\"} 1\nbroken +Inf\n")
        #expect(values.first[0] == 7 && values.first[1] == 3)
        #expect(values.second[0] == 6 && values.second[1] == 5)
        #expect(values.first[2].isNaN && values.first[3].isNaN && values.second[3].isNaN)
    }

    @Test func histogramQuantileOverTheTicksBucketIncreases() throws {
        // Increases over the tick: ≤0.1: 50, ≤0.25: 90, ≤0.5: 98, ≤1: 100, +Inf: 100, summed
        // across the two paths. Prometheus' interpolation gives p50 = 0.1, p90 = 0.25,
        // p99 = 0.5 + 0.5 × (99 − 98) / 2 = 0.75.
        func buckets(_ path: String, _ counts: [Int]) -> String {
            zip(["0.1", "0.25", "0.5", "1.0", "+Inf"], counts).map { "lat_bucket{le=\"\($0)\",path=\"\(path)\"} \($1)" }.joined(separator: "\n")
        }
        let values = try Self.evaluate(
            ["histogram_quantile(0.5, lat)", "histogram_quantile(0.9, lat)", "histogram_quantile(0.99, lat) * 1000",
             #"histogram_quantile(0.99, lat{path="/none"})"#],
            buckets("/a", [1000, 1000, 1000, 1000, 1000]) + "\n" + buckets("/b", [0, 0, 0, 0, 0]),
            buckets("/a", [1030, 1060, 1065, 1066, 1066]) + "\n" + buckets("/b", [20, 30, 33, 34, 34]))
        #expect(values.first.allSatisfy { $0.isNaN })
        #expect(abs(values.second[0] - 0.1) < 1e-12)
        #expect(abs(values.second[1] - 0.25) < 1e-12)
        #expect(abs(values.second[2] - 750) < 1e-9)
        #expect(values.second[3].isNaN, "no matching buckets")
    }

    @Test func histogramEdgeCases() {
        let quantile = Self.quantile
        // Rank in the +Inf bucket: the highest finite bound.
        #expect(quantile(0.99, [(0.1, 10), (.infinity, 100)]) == 0.1)
        // No observations in the tick: unknown.
        #expect(quantile(0.99, [(0.1, 0), (.infinity, 0)]) == nil)
        // No +Inf bucket: not a valid histogram.
        #expect(quantile(0.5, [(0.1, 1), (0.2, 2)]) == nil)
        // Non-monotonic cumulative counts are raised: (0.2, 3) behaves as (0.2, 5).
        #expect(quantile(0.5, [(0.1, 5), (0.2, 3), (.infinity, 10)]) == quantile(0.5, [(0.1, 5), (0.2, 5), (.infinity, 10)]))
    }

    static func quantile(_ phi: Double, _ buckets: [(Double, Double)]) -> Double? {
        PrometheusQueryEvaluator.bucketQuantile(phi, buckets: buckets.map { (key: $0.0, value: $0.1) })
    }

    @Test func aFailedScrapeKeepsTheBaseline() throws {
        var evaluator = PrometheusQueryEvaluator(queries: [try PrometheusQuery.parse("rate(a)")])
        _ = evaluator.evaluate(try Self.scrape("a 100\n"), at: 0)
        // The scrape at t = 10 failed (the source never calls evaluate); the next spans 20 s.
        let values = evaluator.evaluate(try Self.scrape("a 300\n"), at: 20)
        #expect(values == [10])
    }

    @Test func onlyQueriedSeriesAreDecoded() throws {
        let evaluator = PrometheusQueryEvaluator(queries: [try PrometheusQuery.parse("histogram_quantile(0.5, lat) + gauge(g)")])
        #expect(evaluator.seriesNames == ["lat_bucket", "g"])
        let scrape = try evaluator.parse(Array("other 1\nlat_bucket{le=\"+Inf\"} 1\ng 2\nlat_count 1\n".utf8))
        #expect(scrape.samples.map(\.name) == ["lat_bucket", "g"])
    }
}
