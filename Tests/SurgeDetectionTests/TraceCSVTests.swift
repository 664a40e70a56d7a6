import Testing
@testable import SurgeDetection

/// The trace CSV of CONTRACTS.md as people and tools write it: what is read, and what is
/// refused with the path and line.
@Suite struct TraceCSVTests {
    func parse(_ text: String) throws(TraceError) -> Trace {
        try TraceCSV.parse(Array(text.utf8), path: "t.csv")
    }

    func refusal(_ text: String) -> String? {
        do { _ = try parse(text); return nil } catch { return error.description }
    }

    @Test func readsUnixSecondsRFC3339MissingCellsAndBlankLines() throws {
        let trace = try parse("""
            timestamp,cpu_busy,load1

            1767225600,0.5,1.25
            2026-01-01T00:00:10Z,,2
            2026-01-01 08:00:20+08:00,nan,3

            """)
        #expect(trace.schema.names == ["cpu_busy", "load1"])
        #expect(trace.timestamps == [1_767_225_600, 1_767_225_610, 1_767_225_620])
        #expect(trace.value(row: 0, column: 0) == 0.5)
        #expect(trace.value(row: 1, column: 0).isNaN, "an empty cell is a missing value")
        #expect(trace.value(row: 2, column: 0).isNaN)
        #expect(trace.value(row: 2, column: 1) == 3)
        #expect(trace.tickSeconds == 10)
    }

    /// Windows line ends, a spreadsheet's byte order mark and spaces after commas are how such
    /// files arrive; none of them is part of a value or a name.
    @Test func spreadsheetExportsReadLikeThePlainFile() throws {
        let plain = try parse("timestamp,cpu_busy,load1\n1,0.5,1\n2,0.25,\n")
        for variant in ["timestamp,cpu_busy,load1\r\n1,0.5,1\r\n2,0.25,\r\n",
                        "\u{FEFF}timestamp,cpu_busy,load1\n1,0.5,1\n2,0.25,\n",
                        "timestamp, cpu_busy, load1\n1, 0.5 ,1\n 2,\t0.25 , \n"] {
            let trace = try parse(variant)
            #expect(trace.schema.names == plain.schema.names, "\(variant.debugDescription)")
            #expect(trace.timestamps == plain.timestamps, "\(variant.debugDescription)")
            #expect(trace.value(row: 0, column: 0) == 0.5 && trace.value(row: 1, column: 0) == 0.25)
            #expect(trace.value(row: 1, column: 1).isNaN, "\(variant.debugDescription)")
        }
    }

    @Test func badFilesAreNamedWithTheirLine() {
        let cases: [(String, String)] = [
            ("", "t.csv:1: empty file: expected a header starting with 'timestamp'"),
            ("time,cpu_busy\n1,0.5\n", "t.csv:1: the first column must be 'timestamp', got 'time'"),
            ("\n\ntime,cpu_busy\n", "t.csv:3: the first column must be 'timestamp', got 'time'"),
            ("timestamp,cpu_busy,cpu_busy\n", "t.csv:1: column 'cpu_busy' appears twice"),
            ("timestamp,cpu_busy,\n", "t.csv:1: a column has no name"),
            ("timestamp,cpu_busy\n1,0.5\n2,high\n", "t.csv:3: column 'cpu_busy': 'high' is not a number"),
            ("timestamp,cpu_busy\n1,0.5\n2,inf\n", "t.csv:3: column 'cpu_busy': 'inf' is not a number"),
            ("timestamp,cpu_busy\n1,0.5\n2,0.5 0.6\n", "t.csv:3: column 'cpu_busy': '0.5 0.6' is not a number"),
            ("timestamp,cpu_busy\n1,0.5\nyesterday,0.5\n", "t.csv:3: timestamp 'yesterday' is neither Unix seconds nor RFC 3339"),
            // Replay's summary trapped on ticks 1e300 s long (an Int of the days).
            ("timestamp,cpu_busy\n1,0.5\n1e300,0.5\n", "t.csv:3: timestamp '1e300' is outside the years 0000 to 9999"),
            ("timestamp,cpu_busy\n-1e300,0.5\n", "t.csv:2: timestamp '-1e300' is outside the years 0000 to 9999"),
            ("timestamp,cpu_busy\nnan,0.5\n", "t.csv:2: timestamp 'nan' is neither Unix seconds nor RFC 3339"),
            ("timestamp,cpu_busy\n2,0.5\n1,0.5\n", "t.csv:3: timestamp 1.0 is not after the previous row's 2.0; rows must be in time order"),
            ("timestamp,cpu_busy\n1,0.5\n1,0.5\n", "t.csv:3: timestamp 1.0 is not after the previous row's 1.0; rows must be in time order"),
            ("timestamp,cpu_busy,load1\n1,0.5,1\n2,0.5\n", "t.csv:3: 2 cells where the header has 3"),
            ("timestamp,cpu_busy\n1,0.5,1\n", "t.csv:2: more cells than the header's 2 columns"),
        ]
        for (text, expected) in cases {
            #expect(refusal(text) == expected, "\(text.debugDescription)")
        }
    }

    @Test func timestampsAtTheEndsOfTheCalendarAreRead() throws {
        let trace = try parse("timestamp,cpu_busy\n0000-01-01T00:00:00Z,1\n253402300799,2\n")
        #expect(trace.timestamps == [-62_167_219_200, 253_402_300_799])
        #expect(TraceTime.rfc3339(trace.timestamps[1]) == "9999-12-31T23:59:59Z" && TraceTime.rfc3339(trace.timestamps[0]) == "0000-01-01T00:00:00Z")
    }

    @Test func aHeaderAloneIsATraceOfNoRows() throws {
        let trace = try parse("timestamp,cpu_busy\n")
        #expect(trace.count == 0)
        #expect(trace.schema.names == ["cpu_busy"])
    }

    /// What `export` writes from a database no tick has reached yet reads back as such.
    @Test func theHeaderOfNoMetricsIsTimestampAlone() throws {
        #expect(String(decoding: TraceCSV.header([]), as: UTF8.self) == "timestamp\n")
        #expect(String(decoding: TraceCSV.header(["cpu_busy", "load1"]), as: UTF8.self) == "timestamp,cpu_busy,load1\n")
        let trace = try parse(String(decoding: TraceCSV.header([]), as: UTF8.self))
        #expect(trace.count == 0 && trace.schema.names.isEmpty)
    }
}
