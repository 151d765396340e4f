using Benchmarks.Local;

namespace Gateway.Tests.NginxCompat;

/// <summary>
/// ProxyProcess picks the listen ports of nginx and lbproxy-nginx before they bind them; when a port was taken in
/// between, the program fails with "Address already in use" and is started again on fresh ports. Here the first port
/// handed out is one held by the test, so the first start fails for certain.
/// </summary>
[Collection(NginxDifferential.Name)]
public sealed class ProxyProcessPortRetryTests
{
    private static string Server(int port) => $"  server {{\n    listen 127.0.0.1:{port};\n    location / {{ return 200 \"up\"; }}\n  }}\n";

    [Fact]
    public async Task StartLauncher_FirstPortTaken_StartsAgainOnAFreshPort()
    {
        using var taken = new ReservedDeadPort();
        var prefix = Directory.CreateTempSubdirectory("nginx-retry-").FullName;
        var conf = Path.Combine(prefix, "nginx.conf");

        await using var launcher = await ProxyProcess.StartLauncherAsync(prefix, conf, 1,
            ports => $"pid {prefix}/nginx.pid;\nevents {{}}\nhttp {{\n{Server(ports[0])}}}\n", Ports(taken.Port));

        Assert.InRange(launcher.Attempts, 2, LocalProcesses.PortAttempts); // 2 unless a fresh port was taken too
        Assert.NotEqual(taken.Port, launcher.Ports[0]);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{launcher.Ports[0]}") };
        Assert.Equal("up", await client.GetStringAsync("/"));
    }

    [Fact]
    public async Task StartNginx_SecondOfTwoPortsTaken_StartsAgainOnFreshPorts()
    {
        using var taken = new ReservedDeadPort();
        var prefix = Directory.CreateTempSubdirectory("nginx-retry-").FullName;
        Directory.CreateDirectory(Path.Combine(prefix, "logs"));
        var conf = Path.Combine(prefix, "nginx.conf");
        var first = LocalProcesses.FreePort();

        await using var nginx = await ProxyProcess.StartNginxAsync(prefix, conf, 2,
            ports => $"daemon off;\nworker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/logs/error.log info;\n" +
                $"events {{}}\nhttp {{\n  access_log off;\n{Server(ports[0])}{Server(ports[1])}}}\n", Ports(first, taken.Port));

        Assert.InRange(nginx.Attempts, 2, LocalProcesses.PortAttempts);
        Assert.DoesNotContain(taken.Port, nginx.Ports);
        using var client = new HttpClient();
        foreach (var port in nginx.Ports)
        {
            Assert.Equal("up", await client.GetStringAsync($"http://127.0.0.1:{port}/"));
        }
    }

    /// <summary>These ports first, then fresh ones.</summary>
    private static Func<int> Ports(params int[] first)
    {
        var queue = new Queue<int>(first);
        return () => queue.TryDequeue(out var port) ? port : LocalProcesses.FreePort();
    }
}
