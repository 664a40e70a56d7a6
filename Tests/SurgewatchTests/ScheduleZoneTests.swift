import Foundation
import Testing

/// A daily sale in the host's zone is only as right as that zone (a container without
/// /etc/localtime reads "daily 20:00" as UTC), so check-config and the daemon name the zone
/// they read it in. TZ in POSIX form, so no zone file is needed.
@Suite struct ScheduleZoneTests {
    func schedule(_ sales: String, tz: String) throws -> String {
        let scratch = try Scratch(config: "[schedule]\nsales = [\(sales)]\n")
        let tool = try DaemonProcess(["check-config", scratch.config], environment: ["TZ": tz])
        #expect(tool.waitForExit(.seconds(30)) == 0, "\(tool.stderr)")
        let out = tool.stdout
        return out.split(separator: "\n").first { $0.hasPrefix("schedule: ") }.map(String.init) ?? out
    }

    @Test func dailyTimesInTheHostsZoneNameIt() throws {
        let china = try schedule("\"daily 20:00\"", tz: "CST-8")
        #expect(china.contains("T12:00:00Z (daily times read in this host's zone, CST, UTC+08:00): "), "\(china)")
        let utc = try schedule("\"daily 20:00\"", tz: "UTC0")
        #expect(utc.contains("T20:00:00Z (daily times read in this host's zone, UTC): "), "\(utc)")
        // A zone file that is not there: the C library reads UTC and has no name for it.
        let missing = try schedule("\"daily 20:00\"", tz: ":/nonexistent/zone")
        #expect(missing.contains("T20:00:00Z (daily times read in this host's zone, UTC+00:00): "), "\(missing)")
    }

    @Test func salesWithTheirOwnOffsetNeedNoZone() throws {
        let fixed = try schedule("\"daily 20:00+08:00\", \"2999-12-12T20:00:00+08:00\"", tz: "UTC0")
        #expect(fixed.hasPrefix("schedule: 2 announced sales, the next at ") && !fixed.contains("zone"), "\(fixed)")
    }
}
