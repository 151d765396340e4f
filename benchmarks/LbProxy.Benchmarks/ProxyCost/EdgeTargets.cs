using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Benchmarks.ProxyCost;

/// <summary>
/// proxy-cost's optional targets for the edge features (Gateway/Edge/README.md), each the default gateway variant
/// (epoll) with one feature on: <c>--edge</c> adds "+ratelimit" (a per-client rule no request reaches, so only
/// its check is measured) and "+tracing" (every request traced, exported to an OTLP sink in this process, as a collector
/// on the same host would take it); <c>--baseline-gateway PATH/Gateway.dll</c> adds "baseline", another build of the
/// gateway (e.g. before the edge features) with the same config, to show what the features cost when off; several
/// builds, comma-separated, optionally <c>LABEL=PATH</c>, run side by side. <c>LABEL=PATH:NAME=VALUE;NAME2=VALUE</c> runs that
/// build with those environment variables too (runtime knobs such as <c>DOTNET_GCgen0size</c>, which only the environment sets).
/// </summary>
internal sealed class EdgeTargets : IAsyncDisposable
{
    private WebApplication? _sink;

    public static async Task<EdgeTargets> AddAsync(List<ProxyTarget> targets, string[] args, string dir, IReadOnlyList<int> backendPorts,
        string gatewayDll, IEnumerable<string> policies)
    {
        var edge = new EdgeTargets();
        var baseline = args.SkipWhile(a => a != "--baseline-gateway").Skip(1).FirstOrDefault();
        if (!args.Contains("--edge") && baseline is null)
        {
            return edge;
        }

        var environment = new Dictionary<string, string> { ["LBPROXY_INLINE_SCHEDULING"] = "1" };
        var sinkUrl = args.Contains("--edge") ? await edge.StartSinkAsync() : null;
        // One build or several, comma-separated: several commits side by side in one run (bisecting a regression).
        var builds = baseline?.Split(',', StringSplitOptions.RemoveEmptyEntries).Select((spec, i) => Build(spec, i, environment)).ToList() ?? [];
        foreach (var policy in policies)
        {
            var variants = new List<(string Label, string Dll, JsonObject? LbProxy, Dictionary<string, string> Environment)>();
            variants.AddRange(builds.Select(b => (b.Label, b.Dll, (JsonObject?)null, b.Environment)));
            if (sinkUrl is not null)
            {
                variants.Add(("epoll +ratelimit", gatewayDll, new JsonObject
                {
                    ["RateLimits"] = new JsonObject
                    {
                        ["per-client"] = new JsonObject { ["Key"] = "ip", ["RequestsPerSecond"] = 1_000_000, ["ConcurrentRequests"] = 100_000 },
                    },
                }, environment));
                variants.Add(("epoll +tracing", gatewayDll, new JsonObject
                {
                    ["Tracing"] = new JsonObject { ["OtlpEndpoint"] = sinkUrl, ["ExportDelayMilliseconds"] = 1000 },
                }, environment));
            }

            foreach (var (label, dll, lbProxy, variantEnvironment) in variants)
            {
                var config = Path.Combine(dir, $"gateway-{policy}-{label.Replace(' ', '-').Replace('+', '_')}.json");
                await File.WriteAllTextAsync(config, ProxyConfigs.Gateway(policy, backendPorts, lbProxy: lbProxy));
                targets.Add(ProxyCostBenchmark.Gateway($"gateway {policy} {label}", dll, config, variantEnvironment));
            }
        }

        return edge;
    }

    /// <summary>
    /// One <c>--baseline-gateway</c> build: "LABEL=PATH" or a bare path ("baseline", "baseline2", ...), either with
    /// ":NAME=VALUE;NAME2=VALUE" after it for environment variables of its own (on top of <paramref name="environment"/>).
    /// </summary>
    private static (string Label, string Dll, Dictionary<string, string> Environment) Build(string spec, int index,
        IReadOnlyDictionary<string, string> environment)
    {
        var (label, path) = spec.IndexOf('=') is var eq and > 0 && spec.IndexOf('/') is var slash && (slash < 0 || eq < slash)
            ? (spec[..eq], spec[(eq + 1)..])
            : (index == 0 ? "baseline" : $"baseline{index + 1}", spec);
        var withEnvironment = new Dictionary<string, string>(environment);
        if (path.IndexOf(':') is var colon and > 0)
        {
            foreach (var setting in path[(colon + 1)..].Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                var (name, value) = setting.IndexOf('=') is var at and > 0
                    ? (setting[..at], setting[(at + 1)..])
                    : throw new ArgumentException($"--baseline-gateway: '{setting}' is not NAME=VALUE");
                withEnvironment[name] = value;
            }

            path = path[..colon];
        }

        return (label, Path.GetFullPath(path), withEnvironment);
    }

    public async ValueTask DisposeAsync()
    {
        if (_sink is not null)
        {
            await _sink.DisposeAsync();
        }
    }

    /// <summary>An OTLP/HTTP endpoint that reads each export and throws it away.</summary>
    private async Task<string> StartSinkAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _sink = builder.Build();
        _sink.MapPost("/v1/traces", async (HttpContext context) =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            return Results.Bytes([], "application/x-protobuf");
        });
        await _sink.StartAsync();
        return _sink.Urls.First();
    }
}
