namespace Gateway.Tests.NginxCompat;

/// <summary>
/// max_fails/fail_timeout as nginx counts them (max-fails.conf): failures with successes between them, the effective
/// weight after a failure, a marked server's probe after fail_timeout, a success that clears the count, and the error
/// log's [error]/[warn] lines, under real nginx and lbproxy-nginx.
/// </summary>
[Collection(NginxDifferential.Name)]
public sealed partial class MaxFailsExampleTests
{
    [Fact]
    public async Task MaxFails_CountedAsNginxCountsThem_SameAsNginxWithSameErrorLog()
    {
        await using var run = await DifferentialRun.StartAsync("max-fails.conf", responseHeaders: ["X-Upstream-Addr", "X-Upstream-Status"]);
        var x = run.Backend("b0");
        var p = run.Backend("b2");
        var t = run.Backend("b6");

        var (nginx, gateway) = await run.CompareAsync(async send =>
        {
            // flaky: x fails (503, retried on y), answers, fails again: marked at the second failure, so the rest go to y.
            x.Status = 503;
            await send(new ProbeRequest("/flaky/0"));
            x.Status = 200;
            for (var i = 1; i < 3; i++)
            {
                await send(new ProbeRequest($"/flaky/{i}"));
            }

            x.Status = 503;
            for (var i = 3; i < 8; i++)
            {
                await send(new ProbeRequest($"/flaky/{i}"));
            }

            // weighted: one failure of p, then its effective weight climbs back in the rotation.
            p.Status = 503;
            await send(new ProbeRequest("/weighted/0"));
            p.Status = 200;
            for (var i = 1; i < 12; i++)
            {
                await send(new ProbeRequest($"/weighted/{i}"));
            }

            // probe: r is marked at once (the next requests, well within a second, skip it); recover: t fails once.
            for (var i = 0; i < 3; i++)
            {
                await send(new ProbeRequest($"/probe/{i}"));
            }

            t.Status = 503;
            await send(new ProbeRequest("/recover/0"));
            t.Status = 200;

            // Past fail_timeout=1s in nginx's whole seconds (now - checked > 1): r is probed again, t's next success clears it.
            await Task.Delay(TimeSpan.FromMilliseconds(2200));
            for (var i = 3; i < 8; i++)
            {
                await send(new ProbeRequest($"/probe/{i}"));
            }

            for (var i = 1; i < 4; i++)
            {
                await send(new ProbeRequest($"/recover/{i}"));
            }

            t.Status = 503;
            for (var i = 4; i < 9; i++)
            {
                await send(new ProbeRequest($"/recover/{i}"));
            }
        }, reset: () =>
        {
            foreach (var b in run.Backends)
            {
                b.Status = 200;
            }
        }, after: proxy =>
        {
            // The [error] and [warn] lines of each proxy's error_log, with what differs by nature masked: time, pid#tid, *N,
            // the listen port.
            var lines = File.ReadAllLines(Path.Combine(proxy.Prefix, "logs", "error.log"))
                .Where(l => l.Contains(" [error] ", StringComparison.Ordinal) || l.Contains(" [warn] ", StringComparison.Ordinal))
                .Select(l => LinePrefix().Replace(l, "TIME [$1] PID#TID: *N ").Replace($":{proxy.Ports[0]}", ":LISTEN", StringComparison.Ordinal));
            return Task.FromResult(lines);
        });

        DifferentialRun.AssertSame(nginx, gateway);
        // The script tells the counting apart: x was marked (in a row it would not have been), r was probed and marked again.
        Assert.Equal(2, nginx.Count(l => l.Contains("[warn]", StringComparison.Ordinal) && l.Contains("/probe/", StringComparison.Ordinal)));
        Assert.Contains(nginx, l => l.Contains("[warn]", StringComparison.Ordinal) && l.Contains("/flaky/", StringComparison.Ordinal));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(error|warn)\] \d+#\d+: \*\d+ ")]
    private static partial System.Text.RegularExpressions.Regex LinePrefix();
}
