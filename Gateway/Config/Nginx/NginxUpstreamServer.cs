namespace Gateway.Config.Nginx;

/// <summary>One <c>server</c> line of an <c>upstream</c>, with nginx's defaults (weight 1, max_fails 1, fail_timeout 10 s).</summary>
public sealed record NginxUpstreamServer(string Text, string Host, int Port)
{
    public int Weight { get; init; } = 1;

    public int MaxFails { get; init; } = 1;

    public double FailTimeoutSeconds { get; init; } = 10;

    public bool Backup { get; init; }

    public bool Down { get; init; }

    public int MaxConns { get; init; }

    public string Address => $"http://{(Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host)}:{Port}";
}
