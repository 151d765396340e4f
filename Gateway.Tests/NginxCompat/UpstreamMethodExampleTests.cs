namespace Gateway.Tests.NginxCompat;

/// <summary>Every upstream method, under real nginx and under lbproxy-nginx: the same backend for every request.</summary>
[Collection(NginxDifferential.Name)]
public sealed class UpstreamMethodExampleTests
{
    [Fact]
    public async Task RoundRobinWeighted_Sequence_SameAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("round-robin-weighted.conf");

        await run.AssertSameAsync([
            .. Enumerable.Range(0, 14).Select(i => new ProbeRequest($"/weighted/{i}")),
            .. Enumerable.Range(0, 6).Select(i => new ProbeRequest($"/plain/{i}"))]);
    }

    [Fact]
    public async Task IpHash_ClientsFromManyAddresses_SameServerAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("ip-hash.conf");

        // Loopback is all of 127/8 on Linux: clients from 40 different /24s, each twice (and once from another host in its /24).
        var requests = Enumerable.Range(0, 40).SelectMany(i => new[]
        {
            new ProbeRequest($"/r{i}", SourceIp: $"127.{i}.{(i * 7) % 256}.1"),
            new ProbeRequest($"/r{i}b", SourceIp: $"127.{i}.{(i * 7) % 256}.200"),
        });
        await run.AssertSameAsync([.. requests]);
    }

    [Fact]
    public async Task HashAndConsistentHash_ManyKeys_SameServerAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("hash.conf");

        await run.AssertSameAsync([
            .. Enumerable.Range(0, 60).Select(i => new ProbeRequest($"/uri/item-{i}?v={i % 3}")),
            .. Enumerable.Range(0, 60).Select(i => new ProbeRequest($"/user/page?user=user{i * 31}")),
            new ProbeRequest("/user/page"), new ProbeRequest("/user/page"), new ProbeRequest("/user/page")]);
    }

    [Fact]
    public async Task Random_AndRandomTwo_SharesMatchNginxStatistically()
    {
        await using var run = await DifferentialRun.StartAsync("random.conf");
        const int n = 600;

        var (nginx, gateway) = await run.CompareAsync(async send =>
        {
            for (var i = 0; i < n; i++)
            {
                await send(new ProbeRequest($"/one/{i}"));
                await send(new ProbeRequest($"/two/{i}"));
            }
        });

        foreach (var location in new[] { "/one/", "/two/" })
        {
            foreach (var backend in new[] { "b0", "b1", "b2" })
            {
                double Share(List<string> seen) => seen.Count(s => s.Contains($" {backend} GET {location}", StringComparison.Ordinal)) / (double)n;
                // 600 draws each: the standard error of the difference of two shares near 1/3 is about 0.027; 0.12 is 4.4 of them.
                var (ours, theirs) = (Share(gateway), Share(nginx));
                Assert.True(Math.Abs(ours - theirs) <= 0.12, $"{location} {backend}: lbproxy-nginx {ours:F3}, nginx {theirs:F3}");
            }
        }

        // random's weights: app-a has weight 2 of 4.
        Assert.InRange(gateway.Count(s => s.Contains(" b0 GET /one/", StringComparison.Ordinal)) / (double)n, 0.4, 0.6);
    }
}
