import Testing
import SurgeConfig
@testable import SurgeDetection

/// The referee's record, saved as bytes, comes back whole, and bytes it cannot read change nothing.
@Suite struct RefereeRecordTests {
    let base = WeightsRefereeTests()

    /// The learned weights warn of every overload, at tick 37 of each 50; some labels unknown.
    func recorded(ticks: Int, recordTicks: Int = 10_000) -> WeightsReferee {
        var referee = base.referee(recordTicks: recordTicks)
        for tick in 0..<ticks {
            _ = referee.observe(timestamp: Double(tick) * 10, trained: 0.05,
                                learned: WeightsRefereeTests.foresight(tick),
                                label: tick % 97 == 5 ? nil : WeightsRefereeTests.overload(tick), holding: false)
        }
        return referee
    }

    @Test func theRecordComesBackAsItWasSaved() throws {
        // 230 ticks: the record ends between overloads, with both shadow alerts closed, and 30
        // ticks after the verdict at tick 200.
        let saved = recorded(ticks: 230)
        #expect(saved.serving == .learned, "the learned weights warned of the overloads: they serve since tick 99")
        // The serving choice comes back with the checkpoint, the record with these bytes.
        var restored = WeightsReferee(alert: base.alert, horizon: 3, policy: saved.policy, serving: saved.serving)
        try restored.restoreRecord(from: saved.encodedRecord())
        #expect(restored.recordCount == 230)
        #expect(restored.scores() == saved.scores())
        #expect(restored.encodedRecord() == saved.encodedRecord())
        #expect(saved.encodedRecord().count == 13 + 230 * 9)

        // Both go on alike: no more overloads come, and the learned weights alert at tick 20
        // of each 50, false alarms, until they net less than the trained ones. The verdict
        // comes at the same tick from both, a multiple of 100 ticks after the last (at 200).
        var original = saved
        let next = 230..<1000
        let trained: (Int) -> Double = { _ in 0.05 }
        let learned: (Int) -> Double = { $0 % 50 == 20 ? 0.95 : 0.05 }
        let afterOriginal = base.run(&original, next, trained: trained, learned: learned, label: { _ in false })
        let afterRestored = base.run(&restored, next, trained: trained, learned: learned, label: { _ in false })
        #expect(afterOriginal.count == 1 && afterOriginal.first?.verdict.serving == .trained)
        #expect(afterRestored.map(\.tick) == afterOriginal.map(\.tick))
        #expect(afterRestored.map(\.verdict) == afterOriginal.map(\.verdict))
        #expect(original.scores() == restored.scores())
    }

    @Test func shadowAlertsOpenAtTheLastTickStayOpen() throws {
        // 245 ticks: the record ends at the last tick of an overload, both shadow alerts open
        // (the trained one breached, the learned one warned ahead).
        let saved = recorded(ticks: 245)
        #expect(saved.shadowAlertsOpen == (true, true))
        var restored = WeightsReferee(alert: base.alert, horizon: 3, policy: saved.policy, serving: saved.serving)
        try restored.restoreRecord(from: saved.encodedRecord())
        #expect(restored.shadowAlertsOpen == (true, true))

        // Calm ticks: both resolve after three of them, in the restored referee as in the
        // original, so their records go on byte for byte (closed from tick 245 they would not).
        var original = saved
        _ = base.run(&original, 245..<260, trained: { _ in 0.05 }, learned: { _ in 0.05 })
        _ = base.run(&restored, 245..<260, trained: { _ in 0.05 }, learned: { _ in 0.05 })
        let sameRecord = restored.encodedRecord() == original.encodedRecord()
        #expect(sameRecord, "the restored referee's record goes on as the original's")
        #expect(restored.shadowAlertsOpen == (false, false))

        // A record that ends with both closed leaves them closed.
        var closed = WeightsReferee(alert: base.alert, horizon: 3, policy: saved.policy)
        try closed.restoreRecord(from: recorded(ticks: 230).encodedRecord())
        #expect(closed.shadowAlertsOpen == (false, false))
    }

    @Test func aRecordLongerThanThePolicyKeepsItsLastTicks() throws {
        let long = recorded(ticks: 1000)
        let short = recorded(ticks: 1000, recordTicks: 300)
        var restored = base.referee(recordTicks: 300)
        try restored.restoreRecord(from: long.encodedRecord())
        #expect(restored.recordCount == 300)
        #expect(restored.scores() == short.scores())
    }

    @Test func bytesItCannotReadAreRefusedAndChangeNothing() {
        let good = recorded(ticks: 120).encodedRecord()
        var referee = recorded(ticks: 60)
        let before = referee.scores()

        func refusal(_ bytes: [UInt8]) -> String? {
            do {
                try referee.restoreRecord(from: bytes)
                return nil
            } catch {
                return error.description
            }
        }
        var flags = good
        flags[13 + 8] = 0x12
        var labelWithoutKnown = good
        labelWithoutKnown[13 + 9 + 8] = 2
        var notANumber = good
        for index in 0..<8 { notANumber[13 + 9 * 4 + index] = index == 6 ? 0xF8 : (index == 7 ? 0x7F : 0) }
        var newer = good
        newer[4] = 2
        #expect(refusal(Array("SQLite format 3".utf8)) == "referee record: not a referee record (no SWRR header)")
        #expect(refusal(Array(good.dropLast(4))) == "referee record: 120 ticks need 1093 bytes, it has 1089")
        #expect(refusal(flags) == "referee record: tick 1: flags 18 are not ones this surgewatch writes")
        #expect(refusal(labelWithoutKnown) == "referee record: tick 2: flags 2 are not ones this surgewatch writes")
        #expect(refusal(notANumber) == "referee record: tick 5: its timestamp is not a number")
        #expect(refusal(newer) == "referee record: format 2 is not one this surgewatch reads (1)")
        #expect(referee.recordCount == 60 && referee.scores() == before, "the record held is kept")
    }
}
