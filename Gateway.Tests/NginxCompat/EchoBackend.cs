using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.NginxCompat;

/// <summary>
/// A real Kestrel backend that answers with its name, the request target it received and every header it received
/// (JSON), so the same request through nginx and through the gateway can be compared at the backend.
/// </summary>
public sealed class EchoBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EchoBackend(string name, WebApplication app)
    {
        Name = name;
        _app = app;
    }

    public string Name { get; }

    public string Address => new Uri(_app.Urls.First()).Authority;

    /// <summary>The status it answers with (the body is the same JSON).</summary>
    public int Status { get; set; } = 200;

    /// <summary>How many TCP connections requests came in on (since <see cref="ResetConnections"/>).</summary>
    public int Connections => _connections.Count;

    public void ResetConnections() => _connections.Clear();

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _connections = new();

    /// <summary>How long it waits before answering.</summary>
    public TimeSpan Delay { get; set; }

    public static async Task<EchoBackend> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var backend = new EchoBackend(name, app);
        app.UseWebSockets();
        app.Run(backend.HandleAsync);
        await app.StartAsync();
        return backend;
    }

    private async Task HandleAsync(HttpContext context)
    {
        _connections.TryAdd(context.Connection.Id, true);
        if (context.WebSockets.IsWebSocketRequest)
        {
            // WebSocket: echo each text message back prefixed with this backend's name.
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (received.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", context.RequestAborted);
                    return;
                }

                var reply = System.Text.Encoding.UTF8.GetBytes($"{Name}: {System.Text.Encoding.UTF8.GetString(buffer, 0, received.Count)}");
                await socket.SendAsync(reply, System.Net.WebSockets.WebSocketMessageType.Text, true, context.RequestAborted);
            }
        }

        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, context.RequestAborted);
        }

        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        context.Response.StatusCode = Status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            backend = Name,
            target = context.Features.Get<IHttpRequestFeature>()!.RawTarget,
            method = context.Request.Method,
            protocol = context.Request.Protocol,
            headers,
        }));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
