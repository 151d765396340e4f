using System.Globalization;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Discovery;

/// <summary>
/// A stand-in Kubernetes API server on 127.0.0.1 (real Kestrel, port from the OS) that serves what EndpointSlice
/// discovery calls, in the API's JSON wire format: GET /apis/discovery.k8s.io/v1/namespaces/NS/endpointslices
/// as a list (with a resourceVersion) and, with ?watch=true, as a stream of watch events, one JSON object per line.
/// Tests change slices (each change is an event with the next resourceVersion), break every open watch, or
/// forget history so a resumed watch gets 410 Gone. Every request's query string is kept.
/// </summary>
internal sealed class FakeKubernetesApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, V1EndpointSlice> _slices = new(StringComparer.Ordinal);
    private readonly List<(long Version, string Line)> _history = [];
    private readonly List<Channel<string?>> _watchers = [];
    private long _version = 100;
    private long _oldestKept;

    private FakeKubernetesApi(WebApplication app) => _app = app;

    public string Url => _app.Urls.First();

    public System.Collections.Concurrent.ConcurrentQueue<string> Requests { get; } = new();

    public int OpenWatches
    {
        get
        {
            lock (_lock)
            {
                return _watchers.Count;
            }
        }
    }

    public static async Task<FakeKubernetesApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var api = new FakeKubernetesApi(app);
        app.MapGet("/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices", api.HandleAsync);
        await app.StartAsync();
        return api;
    }

    /// <summary>Adds or replaces a slice (ADDED or MODIFIED to every watch).</summary>
    public void Put(V1EndpointSlice slice)
    {
        lock (_lock)
        {
            var type = _slices.ContainsKey(slice.Metadata.Name) ? "MODIFIED" : "ADDED";
            _slices[slice.Metadata.Name] = slice;
            Emit(type, slice);
        }
    }

    public void Delete(string name)
    {
        lock (_lock)
        {
            if (_slices.Remove(name, out var slice))
            {
                Emit("DELETED", slice);
            }
        }
    }

    /// <summary>Drops every open watch connection mid-stream (no clean end), as a restarted API server or a lost link does.</summary>
    public void BreakWatches() => EndWatches(null);

    /// <summary>From now on, a watch from any resourceVersion seen so far is answered with an ERROR event (410 Gone).</summary>
    public void ForgetHistory()
    {
        lock (_lock)
        {
            _oldestKept = _version + 1;
        }
    }

    public async ValueTask DisposeAsync()
    {
        EndWatches(null);
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private void EndWatches(string? last)
    {
        lock (_lock)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Writer.TryWrite(last);
                watcher.Writer.TryComplete();
            }

            _watchers.Clear();
        }
    }

    private void Emit(string type, V1EndpointSlice slice)
    {
        _version++;
        slice.Metadata.ResourceVersion = _version.ToString(CultureInfo.InvariantCulture);
        var line = Event(type, slice);
        _history.Add((_version, line));
        foreach (var watcher in _watchers)
        {
            watcher.Writer.TryWrite(line);
        }
    }

    private static string Event(string type, object value) =>
        $"{{\"type\":\"{type}\",\"object\":{KubernetesJson.Serialize(value)}}}\n";

    private async Task HandleAsync(HttpContext context, string ns)
    {
        Requests.Enqueue(context.Request.QueryString.Value ?? "");
        if (context.Request.Query["labelSelector"] != $"kubernetes.io/service-name={Slices.Service}")
        {
            context.Response.StatusCode = 400;
            return;
        }

        if (context.Request.Query["watch"] != "true")
        {
            V1EndpointSliceList list;
            lock (_lock)
            {
                list = new V1EndpointSliceList
                {
                    ApiVersion = "discovery.k8s.io/v1",
                    Kind = "EndpointSliceList",
                    Metadata = new V1ListMeta { ResourceVersion = _version.ToString(CultureInfo.InvariantCulture) },
                    Items = [.. _slices.Values],
                };
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(KubernetesJson.Serialize(list));
            return;
        }

        var from = long.Parse(context.Request.Query["resourceVersion"].ToString(), CultureInfo.InvariantCulture);
        var channel = Channel.CreateUnbounded<string?>();
        lock (_lock)
        {
            if (from + 1 < _oldestKept)
            {
                // What the API server sends (the client library cannot serialize a V1Status itself).
                channel.Writer.TryWrite($$$"""{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: {{{from}}} ({{{_oldestKept}}})","reason":"Expired","code":410}}""" + "\n");
                channel.Writer.TryWrite("");
                channel.Writer.TryComplete();
            }
            else
            {
                foreach (var (_, line) in _history.Where(h => h.Version > from))
                {
                    channel.Writer.TryWrite(line);
                }

                _watchers.Add(channel);
            }
        }

        context.Response.ContentType = "application/json";
        await context.Response.Body.FlushAsync(context.RequestAborted);
        try
        {
            await foreach (var line in channel.Reader.ReadAllAsync(context.RequestAborted))
            {
                if (line is null)
                {
                    context.Abort(); // a broken connection, not the end of a chunked response
                    return;
                }

                if (line.Length == 0)
                {
                    return; // a clean end
                }

                await context.Response.WriteAsync(line, context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
            // the client went away
        }
        finally
        {
            lock (_lock)
            {
                _watchers.Remove(channel);
            }
        }
    }
}
