namespace Gateway.Admin;

/// <summary>The kinds of <see cref="OpsEvent"/>, as the page shows and colours them.</summary>
internal static class OpsEventKinds
{
    public const string Ejected = "ejected";
    public const string Recovered = "recovered";
    public const string HalfOpen = "half-open";
    public const string ProbeDown = "probe-down";
    public const string ProbeUp = "probe-up";
    public const string Draining = "draining";
    public const string Reload = "reload";
    public const string ReloadError = "reload-error";
    public const string ScaleUp = "scale-up";
    public const string ScaleDown = "scale-down";
    public const string WorkerReady = "worker-ready";
    public const string WorkerExited = "worker-exited";
    public const string WorkerFailed = "worker-failed";
    public const string CrashLoop = "crash-loop";
    public const string Canary = "canary";
    public const string CanaryRollback = "canary-rollback";
    public const string SplitChanged = "split";
}
