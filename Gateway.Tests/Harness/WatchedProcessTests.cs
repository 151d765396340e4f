using Benchmarks.Local;
using Gateway.Tests.NginxCompat;

namespace Gateway.Tests.Harness;

/// <summary>benchmarks' Local/WatchedProcess: learning a port from a line a process prints, and nginx started again on fresh ports.</summary>
[Collection(NginxDifferential.Name)]
public sealed class WatchedProcessTests
{
    [Fact]
    public async Task WaitForLine_PrintedBeforeAndAfterTheCall_FoundEither()
    {
        var go = Path.Combine(Path.GetTempPath(), $"watched-{Guid.NewGuid():N}");
        await using var process = WatchedProcess.Start("/bin/sh", ["-c", $"echo 'early 1'; while [ ! -e {go} ]; do sleep 0.05; done; echo 'late 2'; sleep 30"]);
        try
        {
            Assert.Equal("early 1", await process.WaitForLineAsync(l => l.StartsWith("early", StringComparison.Ordinal), TimeSpan.FromSeconds(30)));

            var late = process.WaitForLineAsync(l => l.StartsWith("late", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            Assert.False(late.IsCompleted); // the script waits for the file
            await File.WriteAllTextAsync(go, "");
            Assert.Equal("late 2", await late);
        }
        finally
        {
            File.Delete(go);
        }
    }

    [Fact]
    public async Task WaitForLine_ExitsWithoutIt_FailsWithItsOutput()
    {
        await using var process = WatchedProcess.Start("/bin/sh", ["-c", "echo 'bind: address already in use' >&2; exit 3"]);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => process.WaitForLineAsync(l => l.Contains("listening", StringComparison.Ordinal), TimeSpan.FromSeconds(30)));

        Assert.Contains("ended its output", error.Message, StringComparison.Ordinal);
        Assert.Contains("address already in use", error.Message, StringComparison.Ordinal);
        Assert.True(process.AddressInUse);
    }

    [Fact]
    public async Task StartOnFreshPorts_NginxFirstPortTaken_StartsAgainAndListens()
    {
        var dir = Directory.CreateTempSubdirectory("watched-nginx-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "logs"));
        try
        {
            using var taken = new ReservedDeadPort();
            var given = new Queue<int>([taken.Port]);
            var conf = Path.Combine(dir, "nginx.conf");
            var written = 0;
            var (nginx, ports) = await WatchedProcess.StartOnFreshPortsAsync(1, p =>
            {
                written++;
                File.WriteAllText(conf, $"daemon off;\nworker_processes 1;\npid {dir}/nginx.pid;\nerror_log stderr;\nevents {{}}\n" +
                    $"http {{\n  access_log off;\n  server {{\n    listen 127.0.0.1:{p[0]};\n    location / {{ return 200 \"up\"; }}\n  }}\n}}\n");
                return (ProxyProcess.NginxBinary, ["-p", dir, "-c", conf], Path.Combine(dir, "nginx.pid"));
            }, TimeSpan.FromSeconds(30), () => given.TryDequeue(out var port) ? port : LocalProcesses.FreePort());
            await using (nginx)
            {
                Assert.InRange(written, 2, LocalProcesses.PortAttempts); // 2 unless a fresh port was taken too
                Assert.NotEqual(taken.Port, ports[0]);
                using var client = new HttpClient();
                Assert.Equal("up", await client.GetStringAsync($"http://127.0.0.1:{ports[0]}/"));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
