using Microsoft.AspNetCore.Http;

namespace ModelWorker.Api;

/// <summary>
/// GET /health (liveness: the model is loaded) and GET /ready (readiness: loaded, accepting, and the queue
/// not deeper than --ready-queue-limit), so the gateway's active check and Kubernetes drain a busy worker.
/// </summary>
internal sealed class HealthEndpoints(WorkerState state, WorkerOptions options)
{
    public Task HealthAsync(HttpContext context)
    {
        var model = state.Model;
        context.Response.StatusCode = model is null ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        var body = model is null ? new HealthResponse("loading", null, null) : new HealthResponse("healthy", model.Device, model.Name);
        return context.Response.WriteAsJsonAsync(body, WorkerJsonContext.Default.HealthResponse);
    }

    public Task ReadyAsync(HttpContext context)
    {
        var batcher = state.Batcher;
        var depth = batcher?.QueueDepth ?? 0;
        var reason = batcher switch
        {
            null => "model not loaded",
            { IsAccepting: false } => "shutting down",
            _ when depth > options.ReadyQueueLimit => $"queue size {depth} is above the ready limit {options.ReadyQueueLimit}",
            _ => null,
        };
        context.Response.StatusCode = reason is null ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        return context.Response.WriteAsJsonAsync(new ReadyResponse(reason is null, depth, reason), WorkerJsonContext.Default.ReadyResponse);
    }
}
