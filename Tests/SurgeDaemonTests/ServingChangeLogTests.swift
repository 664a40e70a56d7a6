@testable import SurgeDetection
import Testing
@testable import SurgeDaemon

/// The log line of a change of the serving weights says which serve and the record that decided it.
@Suite struct ServingChangeLogTests {
    func score(episodes: Int, warned: Int, falseAlarms: Int) -> EpisodeScore {
        var score = EpisodeScore()
        score.episodes = episodes
        score.caughtEarly = warned
        score.falseAlarms = falseAlarms
        score.days = 3
        return score
    }

    @Test func oneOfEachIsSingularAndUnderADayIsADuration() {
        var learned = score(episodes: 1, warned: 1, falseAlarms: 1), trained = score(episodes: 1, warned: 0, falseAlarms: 0)
        learned.days = 0.25
        trained.days = 0.25
        #expect(WeightsReferee.describe(trained: trained, learned: learned, ticks: 2160)
                == "over the last 6h (2160 ticks) the learned weights warned of 1 of 1 overload with 1 false alarm, "
                + "the trained ones warned of 0 of 1 overload with 0 false alarms")
    }

    @Test func bothWaysNameTheRecord() {
        let learned = score(episodes: 44, warned: 41, falseAlarms: 2), trained = score(episodes: 44, warned: 37, falseAlarms: 3)
        #expect(DetectionStage.describe(WeightsReferee.Verdict(serving: .learned, trained: trained, learned: learned))
                == "the weights learned on this host serve from now on: over the last 3.0 days the learned weights warned of 41 of 44 "
                + "overloads with 2 false alarms, the trained ones warned of 37 of 44 overloads with 3 false alarms")
        #expect(DetectionStage.describe(WeightsReferee.Verdict(serving: .trained, trained: learned, learned: trained))
                .hasPrefix("the trained weights serve again: over the last 3.0 days the learned weights warned of 37 of 44"))
    }
}
