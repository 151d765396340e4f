using System.Diagnostics;
using System.Text.RegularExpressions;
using Gateway.Tests.NginxCompat;

namespace Gateway.Tests.AccessLog;

/// <summary>
/// nginx.conf's access logs on the shared engine, through lbproxy-nginx: nginx's default log (no access_log: logs/access.log
/// under the prefix, combined), <c>access_log off</c>, and <c>-s reopen</c> after logrotate moved the file. (The line-exact
/// comparison of access_log/log_format with real nginx is NginxCompat.LocationExampleTests.AccessLog_*; Debian's nginx
/// is built with --http-log-path=/var/log/nginx/access.log, so its default cannot be compared in a temp prefix.)
/// </summary>
[Collection(NginxDifferential.Name)]
public sealed partial class NginxAccessLogTests
{
    [GeneratedRegex("""^127\.0\.0\.1 - - \[[^\]]+\] "(?<request>[^"]*)" (?<status>\d{3}) (?<bytes>\d+) "-" "(?<agent>[^"]*)"$""")]
    private static partial Regex Combined();

    [Fact]
    public async Task NoAccessLog_DefaultLogUnderPrefixOffHonouredReopenAfterMove()
    {
        var prefix = Directory.CreateTempSubdirectory("nginx-accesslog-").FullName;
        try
        {
            var conf = Path.Combine(prefix, "nginx.conf");
            await using var launcher = await ProxyProcess.StartLauncherAsync(prefix, conf, 1, ports => $$"""
                pid {{prefix}}/nginx.pid;
                events {}
                http {
                    server {
                        listen 127.0.0.1:{{ports[0]}};
                        location / { return 200 "hi\n"; }
                        location /quiet { access_log off; return 204; }
                    }
                }
                """);
            var port = launcher.Ports[0];
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            client.DefaultRequestHeaders.UserAgent.ParseAdd("probe/2");
            Assert.Equal("hi\n", await client.GetStringAsync("/first"));
            (await client.GetAsync("/quiet")).Dispose();
            Assert.Equal("hi\n", await client.GetStringAsync("/second"));

            var log = Path.Combine(prefix, "logs", "access.log");
            var lines = await AccessLogConfigs.LinesAsync(log, 2);
            Assert.Equal(2, lines.Length);
            var first = Combined().Match(lines[0]);
            Assert.True(first.Success, lines[0]);
            Assert.Equal("GET /first HTTP/1.1", first.Groups["request"].Value);
            Assert.Equal("200", first.Groups["status"].Value);
            Assert.Equal("3", first.Groups["bytes"].Value);
            Assert.Equal("probe/2", first.Groups["agent"].Value);
            Assert.Contains("GET /second HTTP/1.1", lines[1], StringComparison.Ordinal);

            // logrotate: move, then nginx -s reopen (the launcher reads the pid file and sends SIGUSR1).
            File.Move(log, log + ".1");
            var (code, output) = await RunLauncherAsync("-s", "reopen", "-p", prefix, "-c", conf);
            Assert.True(code == 0, output);
            var reopened = false;
            for (var i = 0; i < 100 && !reopened; i++)
            {
                Assert.Equal("hi\n", await client.GetStringAsync("/after"));
                reopened = File.Exists(log);
                await Task.Delay(reopened ? 0 : 50);
            }

            Assert.True(reopened, launcher.Output);
            Assert.All(await AccessLogConfigs.LinesAsync(log, 1), l => Assert.Contains("GET /after HTTP/1.1", l, StringComparison.Ordinal));
            Assert.StartsWith("127.0.0.1 - - [", (await File.ReadAllLinesAsync(log + ".1"))[0], StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(prefix)) // the launcher's dispose removes its prefix
            {
                Directory.Delete(prefix, recursive: true);
            }
        }
    }

    private static async Task<(int Code, string Output)> RunLauncherAsync(params string[] args)
    {
        var info = new ProcessStartInfo(ProxyProcess.Launcher) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
