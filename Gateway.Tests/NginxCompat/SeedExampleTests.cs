namespace Gateway.Tests.NginxCompat;

/// <summary>The seeds' two nginx configs, under real nginx and under lbproxy-nginx, side by side.</summary>
[Collection(NginxDifferential.Name)]
public sealed class SeedExampleTests
{
    [Fact]
    public async Task BentomlLeastConn_HealthAndSequentialRequests_SameAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("seed-bentoml-least-conn.conf", responseHeaders: ["Content-Type"],
            backendHeaders: ["Host", "X-Real-IP", "X-Forwarded-For", "X-Forwarded-Proto"]);

        var requests = new List<ProbeRequest> { new("/health"), new("/health", Method: "HEAD") };
        // One at a time every replica is idle, so least_conn's tie-break (round-robin) decides: the sequence must match.
        requests.AddRange(Enumerable.Range(0, 9).Select(i => new ProbeRequest($"/predict?i={i}", Host: "models.example.com")));
        requests.Add(new ProbeRequest("/x", Headers: [("X-Forwarded-For", "203.0.113.9")]));
        await run.AssertSameAsync([.. requests]);
    }

    [Fact]
    public async Task ModelServers_OneServerDead_RetriedAndMarkedAsNginxDoes()
    {
        await using var run = await DifferentialRun.StartAsync("seed-model-servers.conf",
            backendHeaders: ["Host", "Connection", "X-Forwarded-For"]);

        // The dead server is tried in turn, fails to connect, the request goes on to the next server, and max_fails=1
        // takes the dead one out for fail_timeout (10 s): later requests alternate between the live two.
        await run.AssertSameAsync([.. Enumerable.Range(0, 8).Select(i => new ProbeRequest($"/predict?n={i}", Method: "POST", Body: "{}")),
            new ProbeRequest("/health"), new ProbeRequest("/health")]);
    }
}
