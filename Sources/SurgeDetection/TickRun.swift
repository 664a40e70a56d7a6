/// Whether two stored ticks belong to one run of ticks an interval apart, as the daemon takes
/// them: the restored window and online learning's recalled memory span no stop of the daemon
/// (a gap of 1.5 intervals or more), no change of interval (ticks at half or twice the spacing:
/// 10 s ticks are no run at 20 s, nor at 5 s) and no wall clock set back. The ticks' own jitter,
/// milliseconds on a monotonic schedule, is far inside the bounds.
public enum TickRun {
    public static func continues(gap: Double, intervalSeconds: Double) -> Bool {
        gap > 0.5 * intervalSeconds && gap < 1.5 * intervalSeconds
    }
}
