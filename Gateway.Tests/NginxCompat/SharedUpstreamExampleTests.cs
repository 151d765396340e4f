namespace Gateway.Tests.NginxCompat;

/// <summary>
/// One upstream used by locations with different settings (shared-upstream.conf), under real nginx and lbproxy-nginx:
/// one rotation, one mark per server, one max_conns count and one keepalive cache for the upstream, whichever location a
/// request came through.
/// </summary>
[Collection(NginxDifferential.Name)]
public sealed class SharedUpstreamExampleTests
{
    [Fact]
    public async Task SharedUpstream_AlternatingLocationsAndAFailureThroughOne_OneRotationAndOneMarkAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("shared-upstream.conf", responseHeaders: ["X-Upstream-Addr", "X-Upstream-Status"]);
        var b = run.Backend("b1");

        var (nginx, gateway) = await run.CompareAsync(async send =>
        {
            // Alternating locations follow one weighted rotation (a 3, b 2, c 1); dead c is marked the first time either
            // location picks it, and skipped by both after that.
            for (var i = 0; i < 8; i++)
            {
                await send(new ProbeRequest(i % 2 == 0 ? $"/one/{i}" : $"/two/{i}"));
            }

            // b answers 503: a failure for /two (proxy_next_upstream http_503), which retries on a and marks b; /one then
            // skips b too, where on its own it would pass b's 503 through.
            b.Status = 503;
            for (var i = 8; i < 12; i++)
            {
                await send(new ProbeRequest($"/two/{i}"));
            }

            for (var i = 12; i < 15; i++)
            {
                await send(new ProbeRequest($"/one/{i}"));
            }

            b.Status = 200; // still marked for fail_timeout
            for (var i = 15; i < 18; i++)
            {
                await send(new ProbeRequest(i % 2 == 0 ? $"/one/{i}" : $"/two/{i}"));
            }
        }, reset: () => b.Status = 200);

        DifferentialRun.AssertSame(nginx, gateway);
        // The script tells one rotation apart from one per location, and a shared mark from a mark per location: b is
        // reached through both locations in the first part, and never through /one once /two has marked it.
        Assert.Contains(nginx.Take(8).Where((_, i) => i % 2 == 0), o => o.StartsWith("200 b1 ", StringComparison.Ordinal));
        Assert.Contains(nginx.Take(8).Where((_, i) => i % 2 == 1), o => o.StartsWith("200 b1 ", StringComparison.Ordinal));
        Assert.All(nginx.Skip(12), o => Assert.StartsWith("200 b0 ", o, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SharedUpstream_MaxConnsAndKeepaliveThroughTwoLocations_CountedOnceForTheUpstreamAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("shared-upstream.conf");
        var f = run.Backend("b5");
        foreach (var backend in new[] { run.Backend("b3"), run.Backend("b4") })
        {
            backend.Delay = TimeSpan.FromMilliseconds(2500); // the capped requests are in flight together, even on a busy machine
        }

        f.Delay = TimeSpan.FromMilliseconds(800); // every request of a burst is in flight at once

        var (nginx, gateway) = await run.CompareAsync(async send =>
        {
            // max_conns=1 on d and e: one request in flight through each location fills both servers, so a third,
            // through either location, finds no live upstream.
            var first = send(new ProbeRequest("/cap-one/0"));
            await Task.Delay(TimeSpan.FromMilliseconds(300));
            var second = send(new ProbeRequest("/cap-two/0"));
            await Task.Delay(TimeSpan.FromMilliseconds(300));
            await send(new ProbeRequest("/cap-one/1"));
            await Task.WhenAll(first, second);

            // keepalive 2: after a burst of six through the two locations two idle connections stay for the upstream (not
            // two per location), so the second burst opens four new ones.
            for (var burst = 0; burst < 2; burst++)
            {
                await Task.WhenAll(Enumerable.Range(0, 3).SelectMany(i => new[]
                {
                    send(new ProbeRequest($"/pool-one/{burst}-{i}")),
                    send(new ProbeRequest($"/pool-two/{burst}-{i}")),
                }));
                await Task.Delay(TimeSpan.FromMilliseconds(300)); // the connections of the burst go back to the pool
            }
        }, reset: f.ResetConnections, after: _ => Task.FromResult<IEnumerable<string>>([$"pooled: {f.Connections} connection(s)"]));

        // Answers of concurrent requests arrive in any order: compared as status and server (or nginx's page), sorted.
        static List<string> Shape(List<string> seen) =>
            [.. seen.Select(o => char.IsDigit(o[0]) ? string.Join(' ', o.Split(' ').Take(2)) : o).Order(StringComparer.Ordinal)];
        DifferentialRun.AssertSame(Shape(nginx), Shape(gateway));
        Assert.Contains(Shape(nginx), o => o.StartsWith("502 ", StringComparison.Ordinal)); // the third capped request
        Assert.Contains("pooled: 10 connection(s)", nginx); // 6, then 4 more: two idle kept for the upstream, not four
    }

    [Fact]
    public async Task SharedUpstream_Reload_RotationAndMarksStartAfreshAsNginx()
    {
        // Each request on a connection of its own: after the reload nginx's old worker closes the ones it had.
        await using var run = await DifferentialRun.StartAsync("shared-upstream.conf", responseHeaders: ["X-Upstream-Addr", "X-Upstream-Status"],
            freshConnections: true);
        var b = run.Backend("b1");

        var (nginx, gateway) = await run.CompareAsync(async (send, proxy) =>
        {
            // The rotation moves on, dead c is marked, and b is marked through /two (its 503).
            for (var i = 0; i < 4; i++)
            {
                await send(new ProbeRequest($"/one/{i}"));
            }

            b.Status = 503;
            for (var i = 4; i < 7; i++)
            {
                await send(new ProbeRequest($"/two/{i}"));
            }

            b.Status = 200;
            await ReloadAsync(proxy);

            // A new configuration cycle: the rotation starts again from its first server by weight, and c and b (still
            // within their fail_timeout) are tried again.
            for (var i = 7; i < 15; i++)
            {
                await send(new ProbeRequest(i % 2 == 0 ? $"/two/{i}" : $"/one/{i}"));
            }
        }, reset: () => b.Status = 200);

        DifferentialRun.AssertSame(nginx, gateway);
        Assert.DoesNotContain(nginx.Skip(4).Take(3), o => o.StartsWith("200 b1 ", StringComparison.Ordinal)); // b marked before the reload
        Assert.Contains(nginx.Skip(7), o => o.StartsWith("200 b1 ", StringComparison.Ordinal)); // and tried again after it
        Assert.Contains(nginx.Skip(7), o => o.Contains(", ", StringComparison.Ordinal)); // c tried (and failed) again
    }

    /// <summary>
    /// <c>nginx -s reload</c> and wait until it took effect: nginx's old worker has exited (the new ones took over),
    /// lbproxy-nginx has applied the new configuration.
    /// </summary>
    private static async Task ReloadAsync(ProxyProcess proxy)
    {
        var log = Path.Combine(proxy.Prefix, "logs", "error.log");
        await proxy.SignalAsync("HUP");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!(proxy.Kind == "nginx"
            ? File.ReadAllText(log).Contains(" exited with code 0", StringComparison.Ordinal)
            : proxy.Output.Contains("applied as generation 2", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{proxy.Kind} did not reload within 15 s:\n{proxy.Output}\n{File.ReadAllText(log)}");
            await Task.Delay(50);
        }
    }
}
