namespace Benchmarks.Soak;

/// <summary>What a running soak shows every second.</summary>
public sealed record SoakProgress(string Phase, TimeSpan Elapsed, TimeSpan Total, long Sent, long Errors, double RssMb, int Workers, int Kills, int Reloads);
