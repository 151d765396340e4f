namespace Gateway.Tests.Fuzzing;

/// <summary>
/// How long the fuzzers run in the test command: bounded by iterations and by seconds, whichever ends first, so the whole
/// Fuzzing namespace stays within about 30 s on two loaded cores. Set LBPROXY_FUZZ_SECONDS for a longer hunt.
/// </summary>
public static class FuzzBudget
{
    public static int Seconds => int.TryParse(Environment.GetEnvironmentVariable("LBPROXY_FUZZ_SECONDS"), out var s) ? s : 4;

    public static long Iterations => Environment.GetEnvironmentVariable("LBPROXY_FUZZ_SECONDS") is null ? 3000 : long.MaxValue;
}
