using Gateway.Tests.Tls;

namespace Gateway.Tests.NginxCompat;

/// <summary><c>-t</c> on bad configs: lbproxy-nginx must print the [emerg] line real nginx prints and exit 1 as it does.</summary>
[Collection(NginxDifferential.Name)]
public sealed class ConfigTestMessagesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nginx-t-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("events {}\nhttp {\n  server {\n    listen 127.0.0.1:1;\n    foo bar;\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  server {\n    listen 127.0.0.1:1;\n  }\n}\n}\n")]
    [InlineData("events {}\nhttp {\n  server {\n    listen 127.0.0.1:1;\n    location / {\n      proxy_pass;\n    }\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  upstream u {\n    server 127.0.0.1:1 weight=x;\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  upstream u {\n    server 127.0.0.1:1 weight=0;\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  upstream u {\n    server no-such-host.invalid:80;\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  server {\n    listen 127.0.0.1:1;\n    location / { proxy_pass http://no-such-host.invalid; }\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  upstream u {\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  server {\n    listen 127.0.0.1:1;\n    location /a { return 200; }\n    location /a { return 204; }\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  proxy_pass http://127.0.0.1:1;\n}\n")]
    [InlineData("events {}\nhttp {\n  server {\n    listen 127.0.0.1:1;\n    location ~ ^/a { proxy_pass http://127.0.0.1:1/x; }\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  server {\n    listen 127.0.0.1:1;\n    return 200 \"a\"b;\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  server {\n    listen 127.0.0.1:1;\n    return 200 $nosuchvar;\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  server {\n    listen 127.0.0.1:1;\n    location / {\n")]
    [InlineData("events {}\nhttp {\n  upstream u {\n    ip_hash;\n    server 127.0.0.1:1 backup;\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  upstream u {\n    server 127.0.0.1:1 max_fails=2 fail_timeout=5s slow;\n  }\n}\n")]
    public async Task TestFlag_BadConfig_SameEmergLineAndExitCodeAsNginx(string text)
    {
        var conf = Path.Combine(_dir, "nginx.conf");
        await File.WriteAllTextAsync(conf, text);

        var ((nginxCode, nginxOut), (ourCode, ourOut)) = await NginxConfigTest.RunBothAsync(_dir, conf);

        Assert.Equal(1, nginxCode);
        Assert.Equal(nginxCode, ourCode);
        Assert.Equal(NginxConfigTest.Emerg(nginxOut), NginxConfigTest.Emerg(ourOut));
        Assert.Contains($"nginx: configuration file {conf} test failed", ourOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TestFlag_GoodConfig_SuccessLinesAndExitZero()
    {
        var conf = Path.Combine(ExampleConfig.ExamplesDir, "seed-bentoml-least-conn.conf");
        var copy = Path.Combine(_dir, "nginx.conf");
        // The seed names compose hosts; -t resolves them as nginx does, so make them local first.
        await File.WriteAllTextAsync(copy, (await File.ReadAllTextAsync(conf)).Replace("bentoml-service", "127.0.0.1", StringComparison.Ordinal));

        var (code, output) = await ExternalTool.RunAsync(ProxyProcess.Launcher, "-t", "-c", copy);

        Assert.Equal(0, code);
        Assert.Contains($"nginx: the configuration file {copy} syntax is ok", output, StringComparison.Ordinal);
        Assert.Contains($"nginx: configuration file {copy} test is successful", output, StringComparison.Ordinal);
    }
}
