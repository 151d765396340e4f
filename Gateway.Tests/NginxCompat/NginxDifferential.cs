namespace Gateway.Tests.NginxCompat;

/// <summary>The differential tests start real processes: one at a time keeps the two shared cores free for them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NginxDifferential
{
    public const string Name = "nginx differential";
}
