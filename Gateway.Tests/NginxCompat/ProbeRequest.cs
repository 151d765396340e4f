namespace Gateway.Tests.NginxCompat;

/// <summary>One request of a differential script: target, method, headers, which listen it goes to, and from which client address.</summary>
public sealed record ProbeRequest(string Target, string Method = "GET", string? Host = null, int Listen = 0, string? SourceIp = null,
    IReadOnlyList<(string Name, string Value)>? Headers = null, string? Body = null);
