using System.Collections.Concurrent;
using Gateway.Tests.Tracing.Otlp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Tracing;

/// <summary>
/// A test OTLP/HTTP collector on 127.0.0.1: a real Kestrel endpoint taking POST /v1/traces
/// (application/x-protobuf ExportTraceServiceRequest, as an OpenTelemetry Collector does) and keeping every span.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OtlpReceiver(WebApplication app) => _app = app;

    /// <summary>The collector's base URL (the exporter adds /v1/traces).</summary>
    public string Url => _app.Urls.First();

    public ConcurrentQueue<(Span Span, IReadOnlyDictionary<string, object> Resource)> Spans { get; } = new();

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var request = ExportTraceServiceRequest.Parser.ParseFrom(body.ToArray());
            foreach (var resourceSpans in request.ResourceSpans)
            {
                var resource = Attributes(resourceSpans.Resource?.Attributes ?? []);
                foreach (var span in resourceSpans.ScopeSpans.SelectMany(s => s.Spans))
                {
                    receiver.Spans.Enqueue((span, resource));
                }
            }

            context.Response.ContentType = "application/x-protobuf";
            return Results.Bytes([], "application/x-protobuf"); // an empty ExportTraceServiceResponse: all accepted
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Waits (at most 15 s) until the spans received satisfy <paramref name="done"/>.</summary>
    public async Task<List<Span>> WaitForAsync(Func<List<Span>, bool> done)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var spans = Spans.Select(s => s.Span).ToList();
            if (done(spans))
            {
                return spans;
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(15))
            {
                throw new TimeoutException($"the OTLP receiver got {spans.Count} span(s), not what the test waits for: "
                    + string.Join("; ", spans.Select(s => $"{s.Name} {string.Join(',', Attributes(s.Attributes).Select(kv => $"{kv.Key}={kv.Value}"))}")));
            }

            await Task.Delay(50);
        }
    }

    public static Dictionary<string, object> Attributes(IEnumerable<KeyValue> attributes) => attributes.ToDictionary(a => a.Key, a => a.Value.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => (object)a.Value.StringValue,
        AnyValue.ValueOneofCase.IntValue => a.Value.IntValue,
        AnyValue.ValueOneofCase.BoolValue => a.Value.BoolValue,
        AnyValue.ValueOneofCase.DoubleValue => a.Value.DoubleValue,
        _ => "",
    });

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
