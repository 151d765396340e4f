using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using ModelWorker.Batching;
using ModelWorker.Cache;
using ModelWorker.Metrics;
using ModelWorker.Models;
using StatusValues = ModelWorker.Metrics.MetricTags.StatusValues;

namespace ModelWorker.Api;

/// <summary>
/// POST /predict (the --model one) and POST /models/{name}[/versions/{version}]/predict (any model the worker serves,
/// loaded on first use): validate the body, queue the row in the model's batcher (or answer it from the prediction
/// cache), answer with the row's probabilities. Bad input never reaches the batcher. Every answer carries
/// X-Queue-Depth (requests waiting in all the worker's batchers) for the gateway's adaptive policy.
/// </summary>
internal sealed class PredictEndpoint(ModelManager models, WorkerState state, WorkerMetrics metrics, CachedInference inference)
{
    public const string QueueDepthHeader = "X-Queue-Depth";

    /// <summary>"hit" or "miss" while the prediction cache is on.</summary>
    public const string CacheHeader = "X-Cache";

    public Task HandleAsync(HttpContext context) => HandleAsync(context, null, null);

    public Task HandleModelAsync(HttpContext context, string name) => HandleAsync(context, name, null);

    public Task HandleModelVersionAsync(HttpContext context, string name, string version) => HandleAsync(context, name, version);

    private async Task HandleAsync(HttpContext context, string? name, string? version)
    {
        var started = Stopwatch.GetTimestamp();
        metrics.RequestStarted();
        var status = StatusValues.Error;
        try
        {
            status = await PredictAsync(context, name, version, started);
        }
        finally
        {
            metrics.RequestEnded(status, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private async Task<string> PredictAsync(HttpContext context, string? name, string? version, long started)
    {
        ModelLease lease;
        if (name is null)
        {
            if (models.Default is not { } pinned || !pinned.TryAcquire(0))
            {
                return await RejectAsync(context, 0, StatusCodes.Status503ServiceUnavailable, "Model not loaded",
                    "the model is still loading; retry shortly (GET /health turns 200 when it is loaded)", StatusValues.Rejected);
            }

            lease = new ModelLease(pinned, ModelAcquireStatus.Acquired, null);
        }
        else
        {
            lease = await models.AcquireAsync(name, version, context.RequestAborted);
            if (lease.Model is null)
            {
                return await RejectModelAsync(context, lease);
            }
        }

        using (lease)
        {
            return await PredictAsync(context, lease.Model!, started);
        }
    }

    private Task<string> RejectModelAsync(HttpContext context, ModelLease lease) => lease.Status switch
    {
        ModelAcquireStatus.NotFound => RejectAsync(context, state.TotalQueueDepth, StatusCodes.Status404NotFound, "Model not found", lease.Error!, StatusValues.Invalid),
        ModelAcquireStatus.LoadFailed => RejectAsync(context, state.TotalQueueDepth, StatusCodes.Status500InternalServerError, "Model failed to load", lease.Error!, StatusValues.Error),
        _ => RejectAsync(context, state.TotalQueueDepth, StatusCodes.Status503ServiceUnavailable, "Model not available", lease.Error!, StatusValues.Rejected),
    };

    private async Task<string> PredictAsync(HttpContext context, ServedModel model, long started)
    {
        var batcher = model.Batcher;

        // One pooled buffer per request: the row in front, the batcher writes the probabilities behind it.
        // The batcher is done with it once SubmitAsync's task completes, whatever the outcome.
        var features = batcher.FeatureCount;
        var buffer = ArrayPool<float>.Shared.Rent(features + batcher.ClassCount);
        try
        {
            var (valid, requestId) = await ReadRequestAsync(context, batcher, buffer.AsMemory(0, features));
            if (!valid)
            {
                return StatusValues.Invalid;
            }

            var result = await inference.PredictAsync(model, buffer.AsMemory(0, features), buffer.AsMemory(features, batcher.ClassCount), context.RequestAborted);
            if (inference.CacheEnabled && result.Status == BatchStatus.Succeeded)
            {
                context.Response.Headers[CacheHeader] = result.BatchSize == 0 ? "hit" : "miss";
            }

            return await AnswerAsync(context, result, requestId, started);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    private async Task<string> AnswerAsync(HttpContext context, BatchResult result, string? requestId, long started)
    {
        var depth = state.TotalQueueDepth;
        return result.Status switch
        {
            BatchStatus.Succeeded => WriteSuccess(context, requestId, result, depth, started),
            BatchStatus.QueueFull => await RejectAsync(context, depth, StatusCodes.Status503ServiceUnavailable, "Queue full",
                $"the worker's queue is full ({depth} requests waiting); retry after the Retry-After delay or add workers", StatusValues.Rejected),
            BatchStatus.ShuttingDown => await RejectAsync(context, depth, StatusCodes.Status503ServiceUnavailable, "Shutting down",
                "the worker is draining for shutdown; send the request to another worker", StatusValues.Rejected),
            BatchStatus.TimedOut => await RejectAsync(context, depth, StatusCodes.Status504GatewayTimeout, "Request timed out",
                "the request waited in the queue past the worker's --request-timeout-ms and was not run; retry or add workers", StatusValues.Timeout),
            BatchStatus.Cancelled => StatusValues.Cancelled, // the client is gone: nobody reads an answer
            _ => await RejectAsync(context, depth, StatusCodes.Status500InternalServerError, "Inference failed",
                $"the model failed on this request's batch ({result.Error?.Message}); the worker keeps serving, retry", StatusValues.Error),
        };
    }

    private async Task<(bool Valid, string? RequestId)> ReadRequestAsync(HttpContext context, Batcher batcher, Memory<float> features)
    {
        var body = context.Request.BodyReader;
        ReadResult read;
        try
        {
            while (true)
            {
                read = await body.ReadAsync(context.RequestAborted);
                if (read.IsCompleted || read.IsCanceled)
                {
                    break;
                }

                body.AdvanceTo(read.Buffer.Start, read.Buffer.End); // buffer until the whole body is in
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteProblemAsync(context, state.TotalQueueDepth, StatusCodes.Status413PayloadTooLarge, "Body too large",
                $"the request body is larger than the worker's limit; send one row of {batcher.FeatureCount} features (raise --max-body-bytes for wider models)");
            return (false, null);
        }

        var valid = PredictRequestParser.TryParse(read.Buffer, features.Span, out var requestId, out var error);
        body.AdvanceTo(read.Buffer.End);
        if (!valid)
        {
            await WriteProblemAsync(context, state.TotalQueueDepth, StatusCodes.Status400BadRequest, "Invalid prediction request", error!);
        }

        return (valid, requestId);
    }

    private static string WriteSuccess(HttpContext context, string? requestId, BatchResult result, int depth, long started)
    {
        var probabilities = result.Probabilities.Span;
        var best = 0;
        for (var i = 1; i < probabilities.Length; i++)
        {
            best = probabilities[i] > probabilities[best] ? i : best;
        }

        var response = new PredictResponse(best, probabilities[best], result.Probabilities,
            Stopwatch.GetElapsedTime(started).TotalMilliseconds, result.BatchSize, requestId);
        SetQueueDepth(context, depth);
        ResponseWriter.WriteJson(context.Response, response, WorkerJsonContext.Default.PredictResponse);
        return StatusValues.Success;
    }

    private static async Task<string> RejectAsync(HttpContext context, int depth, int status, string title, string detail, string outcome)
    {
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = "1";
        }

        await WriteProblemAsync(context, depth, status, title, detail);
        return outcome;
    }

    private static Task WriteProblemAsync(HttpContext context, int depth, int status, string title, string detail)
    {
        SetQueueDepth(context, depth);
        return Problems.WriteAsync(context, status, title, detail);
    }

    private static void SetQueueDepth(HttpContext context, int depth) =>
        context.Response.Headers[QueueDepthHeader] = depth.ToString(CultureInfo.InvariantCulture);
}
