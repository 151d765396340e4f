namespace Gateway.Admin.Guard;

/// <summary>The guard's settings from the process environment, read once at start-up (they win over the config file's).</summary>
internal sealed record AdminEnvironment(string? Token, bool OpenMetrics)
{
    public static AdminEnvironment FromProcess() => new(
        Environment.GetEnvironmentVariable(AdminGuardOptions.TokenVariable) is { Length: > 0 } token ? token : null,
        Environment.GetEnvironmentVariable(AdminGuardOptions.OpenMetricsVariable) is "1" or "true" or "TRUE" or "True");
}
