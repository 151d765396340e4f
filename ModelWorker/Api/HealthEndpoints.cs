using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace ModelWorker.Api;

/// <summary>
/// GET /health (liveness: the model is loaded and the batch loop makes progress: no model Run has taken longer
/// than --batch-run-limit-ms) and GET /ready (readiness: live, accepting, and the queue not deeper than
/// --ready-queue-limit), so the gateway's supervisor replaces a hung worker and its active check and Kubernetes
/// drain a busy one.
/// </summary>
internal sealed class HealthEndpoints(WorkerState state, WorkerOptions options)
{
    public Task HealthAsync(HttpContext context)
    {
        var model = state.Model;
        var stalled = Stalled();
        var body = (model, stalled) switch
        {
            (null, _) => new HealthResponse("loading", null, null),
            (_, not null) => new HealthResponse("stalled", model.Device, model.Name, stalled),
            _ => new HealthResponse("healthy", model.Device, model.Name),
        };
        context.Response.StatusCode = body.Status == "healthy" ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        return context.Response.WriteAsJsonAsync(body, WorkerJsonContext.Default.HealthResponse);
    }

    public Task ReadyAsync(HttpContext context)
    {
        var reason = NotReadyReason(out var depth);
        context.Response.StatusCode = reason is null ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        return context.Response.WriteAsJsonAsync(new ReadyResponse(reason is null, depth, reason), WorkerJsonContext.Default.ReadyResponse);
    }

    /// <summary>Why the worker is not live (loading, a stalled Run), or null when it is (also KServe's /v2/health/live).</summary>
    public string? NotLiveReason() => state.Model is null ? "the model is loading" : Stalled();

    /// <summary>
    /// Why the worker is not ready, or null when it is (also KServe's /v2/health/ready); <paramref name="depth"/> is
    /// the requests waiting in all the worker's batchers.
    /// </summary>
    public string? NotReadyReason(out int depth)
    {
        var batcher = state.Batcher;
        depth = state.TotalQueueDepth;
        return batcher switch
        {
            null => "model not loaded",
            { IsAccepting: false } => "shutting down",
            _ when Stalled() is { } stalled => stalled,
            _ when depth > options.ReadyQueueLimit => $"queue size {depth} is above the ready limit {options.ReadyQueueLimit}",
            _ => null,
        };
    }

    /// <summary>Why the batch loop counts as stuck (a Run over the limit), or null while it makes progress.</summary>
    private string? Stalled()
    {
        var limit = options.BatchRunLimit;
        if (limit <= TimeSpan.Zero)
        {
            return null;
        }

        // Every loaded model's batch loop (with --model-repository, each model has its own): one hung Run is enough.
        foreach (var batcher in state.Batchers)
        {
            if (batcher.RunningFor is { } running && running > limit)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"a model Run of {batcher.RunningBatchSize} rows has been running for {running.TotalSeconds:0.0} s, over --batch-run-limit-ms {limit.TotalMilliseconds:0}");
            }
        }

        return null;
    }
}
