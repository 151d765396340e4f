namespace Gateway.Tests.NginxCompat;

/// <summary><c>keepalive N</c> as a cap on idle upstream connections (keepalive-cap.conf), under real nginx and lbproxy-nginx.</summary>
[Collection(NginxDifferential.Name)]
public sealed class KeepaliveCapExampleTests
{
    [Fact]
    public async Task Keepalive_BurstThenBurst_ConnectionsBeyondNClosedAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("keepalive-cap.conf");
        foreach (var b in run.Backends)
        {
            b.Delay = TimeSpan.FromMilliseconds(800); // every request of a burst is in flight at once
        }

        // Two bursts of six concurrent requests per location, one after the other: the second finds only N idle
        // connections (2, and 3 across the two servers), and opens the rest anew. Answers arrive in any order: sorted.
        var (nginx, gateway) = await run.CompareAsync(async send =>
        {
            for (var burst = 0; burst < 2; burst++)
            {
                await Task.WhenAll(Enumerable.Range(0, 6).SelectMany(i => new[]
                {
                    send(new ProbeRequest($"/one/{burst}-{i}")),
                    send(new ProbeRequest($"/two/{burst}-{i}")),
                }));
                await Task.Delay(TimeSpan.FromMilliseconds(300)); // the connections of the burst go back to the pool
            }
        }, reset: () =>
        {
            foreach (var b in run.Backends)
            {
                b.ResetConnections();
            }
        }, after: _ => Task.FromResult<IEnumerable<string>>(
        [
            $"one: {run.Backend("b0").Connections} connection(s)",
            $"two: {run.Backend("b1").Connections + run.Backend("b2").Connections} connection(s)",
        ]));

        // Which request of a burst reaches which server depends on arrival order: compared as status and server only.
        static List<string> Shape(List<string> seen) =>
            [.. seen.Select(o => char.IsDigit(o[0]) ? string.Join(' ', o.Split(' ').Take(2)) : o).Order(StringComparer.Ordinal)];
        DifferentialRun.AssertSame(Shape(nginx), Shape(gateway));
        Assert.Contains("one: 10 connection(s)", nginx); // 6, then 4 more: the test tells the cap apart from no cap (6)
        Assert.Contains("two: 9 connection(s)", nginx);
    }
}
