namespace Gateway.Tests.NginxCompat;

/// <summary>Failing servers: backup, down, max_fails marking, proxy_next_upstream, under real nginx and lbproxy-nginx.</summary>
[Collection(NginxDifferential.Name)]
public sealed class FailureExampleTests
{
    [Fact]
    public async Task ServerParams_BackupDownAndMarking_SameAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("server-params.conf");

        await run.AssertSameAsync([
            .. Enumerable.Range(0, 4).Select(i => new ProbeRequest($"/backup/{i}")),
            .. Enumerable.Range(0, 6).Select(i => new ProbeRequest($"/never/{i}")),
            .. Enumerable.Range(0, 8).Select(i => new ProbeRequest($"/marked/{i}"))]);
    }

    [Fact]
    public async Task Retries_On503TriesAndOff_SameAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("retries.conf");

        var (nginx, gateway) = await run.CompareAsync(async send =>
        {
            foreach (var location in new[] { "/off/", "/default/", "/on-503/", "/two-tries/" })
            {
                for (var i = 0; i < 5; i++)
                {
                    await send(new ProbeRequest($"{location}{i}"));
                }
            }
        }, reset: () => run.Backend("b0").Status = 503);

        DifferentialRun.AssertSame(nginx, gateway);
    }

    [Fact]
    public async Task Failures_LastAnswerPassesThroughAndNoLiveUpstreams_SameAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("failures.conf", responseHeaders: ["X-Upstream-Addr", "X-Upstream-Status"]);

        var (nginx, gateway) = await run.CompareAsync(async send =>
        {
            foreach (var location in new[] { "/all-503/", "/dead/", "/down/", "/dead-then-503/" })
            {
                for (var i = 0; i < 4; i++)
                {
                    await send(new ProbeRequest($"{location}{i}"));
                }
            }
        }, reset: () =>
        {
            foreach (var b in run.Backends)
            {
                b.Status = 503;
            }
        });

        DifferentialRun.AssertSame(nginx, gateway);
    }
}
