using Gateway.Admin;

namespace Gateway.Split;

/// <summary>
/// Reads a <see cref="CounterSnapshot"/> from what the gateway already keeps: each destination's statistics record
/// (tries, failures) and the admin port's own /metrics text for the latency histogram, as the status page does.
/// </summary>
internal sealed class GatewayCounters(GatewayStateReader state, Func<CancellationToken, Task<string>> scrapeMetrics)
{
    public async Task<CounterSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var buckets = DurationBuckets.Parse(await scrapeMetrics(cancellationToken));
        var destinations = new Dictionary<(string, string), DestinationCounters>();
        foreach (var view in state.Destinations())
        {
            var key = (view.ClusterId, view.Destination.DestinationId);
            destinations[key] = new DestinationCounters(view.Stats.Requests, view.Stats.Failures, buckets.GetValueOrDefault(key) ?? []);
        }

        return new CounterSnapshot(destinations);
    }
}
