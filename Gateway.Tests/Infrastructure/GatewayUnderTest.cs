using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Infrastructure;

/// <summary>The real gateway on 127.0.0.1 with OS-chosen ports, loading a config file in a temp folder.</summary>
public sealed class GatewayUnderTest : IAsyncDisposable
{
    private GatewayUnderTest(GatewayHost host, string configPath, string folder)
    {
        Host = host;
        ConfigPath = configPath;
        Folder = folder;
        Proxy = new HttpClient { BaseAddress = new Uri(host.ProxyUrls[0]), Timeout = TimeSpan.FromSeconds(30) };
        Admin = new HttpClient { BaseAddress = new Uri(host.AdminUrls[0]), Timeout = TimeSpan.FromSeconds(30) };
    }

    public GatewayHost Host { get; }

    public string MeterName { get; private init; } = "";

    public string ConfigPath { get; }

    public string Folder { get; }

    public HttpClient Proxy { get; }

    public HttpClient Admin { get; }

    /// <param name="configJson">The config file's text.</param>
    /// <param name="minimumLevel">The gateway's minimum log level.</param>
    /// <param name="log">When given, every line the gateway logs is also added here (see <see cref="ListLoggerProvider"/>).</param>
    public static async Task<GatewayUnderTest> StartAsync(string configJson, LogLevel minimumLevel = LogLevel.Warning, List<string>? log = null)
    {
        var folder = Directory.CreateTempSubdirectory("lbproxy-test-").FullName;
        var path = Path.Combine(folder, "gateway.json");
        await File.WriteAllTextAsync(path, configJson);
        var meterName = $"LbProxy.Gateway.Test.{Guid.NewGuid():N}"; // parallel tests share the process
        var host = await GatewayHost.StartAsync(new GatewayHostOptions
        {
            ConfigPath = path,
            Urls = ["http://127.0.0.1:0"],
            AdminUrls = ["http://127.0.0.1:0"],
            MeterName = meterName,
        }, logging =>
        {
            logging.SetMinimumLevel(minimumLevel);
            if (log is not null)
            {
                logging.AddProvider(new ListLoggerProvider(log));
            }
        });
        return new GatewayUnderTest(host, path, folder) { MeterName = meterName };
    }

    /// <summary>Sends <paramref name="count"/> GETs one after another; returns the answering backend names.</summary>
    public async Task<List<string>> GetSequentialAsync(int count, string path = "/", Action<HttpRequestMessage>? configure = null)
    {
        var names = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            configure?.Invoke(request);
            using var response = await Proxy.SendAsync(request);
            Assert.True(response.IsSuccessStatusCode, $"request {i} failed: {(int)response.StatusCode}");
            names.Add(await response.Content.ReadAsStringAsync());
        }

        return names;
    }

    public async Task<JsonElement> StatusAsync()
    {
        using var doc = JsonDocument.Parse(await Admin.GetStringAsync("/status"));
        return doc.RootElement.Clone();
    }

    /// <summary>Rewrites the config file and waits (at most 2 s, the promise) for the reload to be applied or rejected.</summary>
    public async Task<(long Generation, TimeSpan Took)> RewriteConfigAsync(string configJson, bool expectApplied = true)
    {
        var before = await StatusAsync();
        var generation = before.GetProperty("config").GetProperty("generation").GetInt64();
        var lastError = before.GetProperty("config").GetProperty("lastReloadError").ToString();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await File.WriteAllTextAsync(ConfigPath, configJson);
        while (clock.Elapsed < TimeSpan.FromSeconds(2))
        {
            var config = (await StatusAsync()).GetProperty("config");
            var now = config.GetProperty("generation").GetInt64();
            if (expectApplied ? now > generation : config.GetProperty("lastReloadError").ToString() != lastError)
            {
                return (now, clock.Elapsed);
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"config reload not {(expectApplied ? "applied" : "rejected")} within 2 s");
    }

    public async ValueTask DisposeAsync()
    {
        Proxy.Dispose();
        Admin.Dispose();
        await Host.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}
