using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using ModelWorker;

namespace Gateway.Tests.Worker;

/// <summary>The real worker app (real Kestrel on 127.0.0.1, port from the OS, the bundled small model), in-process.</summary>
internal sealed class InProcessWorker : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessWorker(WebApplication app, HttpClient client)
    {
        _app = app;
        Client = client;
    }

    public static string SmallModel => Path.Combine(AppContext.BaseDirectory, "models", "classifier-small.onnx");

    public HttpClient Client { get; }

    /// <summary>The worker app's services (its ModelManager, cache, gRPC listeners).</summary>
    public IServiceProvider Services => _app.Services;

    public static async Task<InProcessWorker> StartAsync(params string[] args)
    {
        var app = WorkerApp.Build(["--urls", "http://127.0.0.1:0", "--model", SmallModel, "--intra-op-threads", "1", .. args]);
        await app.StartAsync();
        await app.Services.GetRequiredService<WorkerState>().Loaded.WaitAsync(TimeSpan.FromSeconds(30));
        var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
        return new InProcessWorker(app, client);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
