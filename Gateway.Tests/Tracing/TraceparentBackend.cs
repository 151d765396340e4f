using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Tracing;

/// <summary>A real Kestrel backend on 127.0.0.1 that answers with the traceparent header it received ("-" when none).</summary>
public sealed class TraceparentBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TraceparentBackend(WebApplication app) => _app = app;

    public string Url => _app.Urls.First();

    public static async Task<TraceparentBackend> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.Run(context => context.Response.WriteAsync(context.Request.Headers.TraceParent.FirstOrDefault() ?? "-"));
        await app.StartAsync();
        return new TraceparentBackend(app);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
