namespace Gateway.Fleet;

/// <summary>What one failure means: how long the next start waits, failures in the last minute, and whether that is a crash loop.</summary>
internal readonly record struct RestartDecision(TimeSpan Wait, int RecentFailures, bool CrashLoop);
