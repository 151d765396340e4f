using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelWorker.Batching;
using ModelWorker.Inference;
using ModelWorker.KServe;
using ModelWorker.Metrics;
using ModelWorker.Models;

namespace ModelWorker;

/// <summary>
/// Loads the model after Kestrel is up (so /health can say 503 "loading" rather than refuse connections),
/// then runs the batch loop. On shutdown (SIGTERM) it stops accepting at once and lets the loop finish
/// what is queued before the host stops Kestrel.
/// </summary>
internal sealed partial class WorkerService(
    WorkerOptions options,
    WorkerState state,
    WorkerMetrics metrics,
    ModelManager models,
    GrpcListeners grpc,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggerFactory) : BackgroundService
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<WorkerService>();
    private OnnxBatchModel? _model;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // let the host finish starting; loading a large model takes a while
        Batcher batcher;
        try
        {
            _model = OnnxModelLoader.Load(options.ModelPath, options.Device, options.IntraOpThreads, _logger);
            IBatchModel model = _model;
            if (options.TestHangAfterBatches is { } hangAfter)
            {
                TestHangEnabled(_logger, hangAfter);
                model = new HangingBatchModel(_model, hangAfter);
            }

            batcher = new Batcher(model, options.Batching, time, loggerFactory.CreateLogger<Batcher>(), metrics);
        }
#pragma warning disable CA1031 // Any load failure ends the process with a clear message and exit code 1.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LoadFailed(_logger, options.ModelPath, ex.Message);
            state.LoadFailed(ex);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
            return;
        }

        var info = new LoadedModelInfo(Path.GetFileName(options.ModelPath), options.ModelPath, _model.Device,
            _model.FeatureCount, _model.ClassCount, _model.OutputIsLogits);
        if (options.GrpcUrls.Count > 0)
        {
            // The gRPC ports (port 0 resolved) are known once Kestrel has bound them, and a small model loads before it
            // may have: logged as "http://127.0.0.1:0" then (seen in a CI run). Logged before the worker says it is ready.
            if (!await StartedAsync(stoppingToken))
            {
                return;
            }

            GrpcListening(_logger, string.Join(", ", grpc.Urls));
        }

        lifetime.ApplicationStopping.Register(models.StopAccepting);
        state.Publish(batcher, info);
        models.AddPinned(new ServedModel(models.Repository.Default, _model, batcher, pinned: true));

        ModelLoaded(_logger, info.Path, info.Device, info.FeatureCount, info.ClassCount, info.OutputIsLogits ? "logits, softmax applied" : "probabilities",
            Describe(options.Batching), options.IntraOpThreads);
        await batcher.RunAsync();
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        state.Batcher?.Complete();
        models.StopAccepting();
        await base.StopAsync(cancellationToken);
        await models.DisposeLoadedAsync();
        if (ExecuteTask?.IsCompleted != false)
        {
            _model?.Dispose(); // only once the loop has finished: never free a session a Run still uses
        }
    }

    /// <summary>Whether the host has started (its server listening); false when it is stopping first.</summary>
    private async Task<bool> StartedAsync(CancellationToken stoppingToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => done.TrySetResult()))
        using (stoppingToken.Register(() => done.TrySetResult()))
        {
            await done.Task;
        }

        return lifetime.ApplicationStarted.IsCancellationRequested && !stoppingToken.IsCancellationRequested;
    }

    // "batching 32 / 50 ms" as before (the k8s tests read it from the overlays' MAX_BATCH_SIZE / MAX_WAIT_MS), then
    // the mode; work-conserving never waits, which the wait's note says.
    private static string Describe(BatcherOptions batching) => batching.Mode == BatchingMode.FixedWindow
        ? FormattableString.Invariant($"{batching.MaxBatchSize} / {batching.MaxWait.TotalMilliseconds} ms (fixed-window)")
        : FormattableString.Invariant($"{batching.MaxBatchSize} / {batching.MaxWait.TotalMilliseconds} ms (work-conserving: an idle model never waits)");

    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Model {Path} loaded on {Device}: {Features} features -> {Classes} classes ({Output}); batching {Batching}, {Threads} intra-op threads; ready")]
    private static partial void ModelLoaded(ILogger logger, string path, string device, int features, int classes, string output, string batching, int threads);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "KServe v2 gRPC (HTTP/2 cleartext) listening on: {Urls}")]
    private static partial void GrpcListening(ILogger logger, string urls);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "TEST HOOK: --test-only-hang-after-batches {Batches}: every model Run after batch {Batches} hangs forever")]
    private static partial void TestHangEnabled(ILogger logger, int batches);

    [LoggerMessage(EventId = 2, Level = LogLevel.Critical, Message = "ModelWorker cannot start with model {Path}: {Reason}")]
    private static partial void LoadFailed(ILogger logger, string path, string reason);
}
