using Gateway.LoadBalancing;

namespace Gateway.Tests.LoadBalancing;

/// <summary>Small builders for policy-core tests.</summary>
internal static class Destinations
{
    public static DestinationStats[] Make(params int[] weights) => Make(LatencyModel.Default, weights);

    public static DestinationStats[] Make(LatencyModel model, params int[] weights) =>
        weights.Select((w, i) => new DestinationStats(((char)('a' + i)).ToString(), model, w)).ToArray();

    public static DestinationStats[] Count(int n) => Make(Enumerable.Repeat(1, n).ToArray());

    public static void Load(DestinationStats d, int inFlight)
    {
        for (var i = 0; i < inFlight; i++)
        {
            d.Begin();
        }
    }
}
