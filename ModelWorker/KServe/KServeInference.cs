using System.Diagnostics;
using System.Globalization;
using ModelWorker.Batching;
using ModelWorker.Cache;
using ModelWorker.Metrics;
using ModelWorker.Models;
using StatusValues = ModelWorker.Metrics.MetricTags.StatusValues;

namespace ModelWorker.KServe;

/// <summary>
/// The Open Inference Protocol's infer, for both transports: checks the request against the model's one FP32 input
/// [batch, features], sends each row through the model's batcher (rows of one request batch with each other and with
/// every other client's, and repeated rows come from the prediction cache), and collects the rows' answers.
/// Counted in ml_requests_total and ml_request_latency_seconds like /predict, one request per infer call.
/// </summary>
public sealed class KServeInference(ModelManager models, CachedInference inference, WorkerState state, WorkerOptions options, WorkerMetrics metrics)
{
    public const string DatatypeFp32 = "FP32";
    public const string DatatypeInt64 = "INT64";

    /// <summary>The platform name metadata reports (Triton's for ONNX models).</summary>
    public const string Platform = "onnxruntime_onnx";

    public async Task<(InferResult? Result, KServeError? Error)> InferAsync(InferRequestData request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = Stopwatch.GetTimestamp();
        metrics.RequestStarted();
        var status = StatusValues.Error;
        try
        {
            using var lease = await models.AcquireAsync(request.ModelName, request.ModelVersion, cancellationToken);
            if (lease.Model is not { } model)
            {
                status = lease.Status == ModelAcquireStatus.NotFound ? StatusValues.Invalid : StatusValues.Rejected;
                return (null, KServeError.From(lease));
            }

            var (rows, error) = Validate(request, model);
            if (error is not null)
            {
                status = StatusValues.Invalid;
                return (null, error);
            }

            var (result, failure) = await RunRowsAsync(request, model, rows, cancellationToken);
            status = failure is null ? StatusValues.Success
                : failure.HttpStatus == 504 ? StatusValues.Timeout
                : failure.HttpStatus == 503 ? StatusValues.Rejected : StatusValues.Error;
            return (result, failure);
        }
        finally
        {
            metrics.RequestEnded(status, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>The model's input and outputs as metadata describes them (name, datatype, shape with -1 for the batch).</summary>
    public static (string Name, string Datatype, long[] Shape)[] Inputs(ServedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return [(model.Onnx.Signature.InputName, DatatypeFp32, [-1, model.Onnx.FeatureCount])];
    }

    /// <inheritdoc cref="Inputs"/>
    public static (string Name, string Datatype, long[] Shape)[] Outputs(ServedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return [(model.Onnx.Signature.OutputName, DatatypeFp32, [-1, model.Onnx.ClassCount]), (InferResult.ClassOutputName, DatatypeInt64, [-1])];
    }

    private (int Rows, KServeError? Error) Validate(InferRequestData request, ServedModel model)
    {
        var signature = model.Onnx.Signature;
        var expected = string.Create(CultureInfo.InvariantCulture, $"'{signature.InputName}' {DatatypeFp32} [-1, {signature.FeatureCount}]");
        if (request.Inputs.Count != 1)
        {
            return (0, KServeError.BadRequest($"model {model.Key} takes one input, {expected}; the request has {request.Inputs.Count}"));
        }

        var input = request.Inputs[0];
        if (input.Name != signature.InputName)
        {
            return (0, KServeError.BadRequest($"model {model.Key} has no input '{input.Name}'; it takes {expected}"));
        }

        if (input.Datatype != DatatypeFp32)
        {
            return (0, KServeError.BadRequest($"input '{input.Name}' has datatype {input.Datatype}; model {model.Key} takes {expected}"));
        }

        var shape = input.Shape;
        if (shape.Length != 2 || shape[1] != signature.FeatureCount || shape[0] < 1)
        {
            return (0, KServeError.BadRequest($"input '{input.Name}' has shape [{string.Join(", ", shape)}]; model {model.Key} takes {expected} (rows >= 1)"));
        }

        var limit = options.Batching.QueueCapacity;
        if (shape[0] > limit)
        {
            return (0, KServeError.BadRequest($"input '{input.Name}' has {shape[0]} rows; at most {limit} per request (the worker's --queue-capacity)"));
        }

        var count = shape[0] * shape[1];
        if (input.Data is null || input.Data.Length != count)
        {
            return (0, KServeError.BadRequest($"input '{input.Name}' with shape [{string.Join(", ", shape)}] needs {count} values, got {input.Data?.Length ?? 0}"));
        }

        foreach (var name in request.Outputs)
        {
            if (name != signature.OutputName && name != InferResult.ClassOutputName)
            {
                return (0, KServeError.BadRequest($"model {model.Key} has no output '{name}'; outputs: '{signature.OutputName}' ({DatatypeFp32}), '{InferResult.ClassOutputName}' ({DatatypeInt64})"));
            }
        }

        return ((int)shape[0], null);
    }

    private async Task<(InferResult? Result, KServeError? Error)> RunRowsAsync(InferRequestData request, ServedModel model, int rows, CancellationToken cancellationToken)
    {
        var features = model.Onnx.FeatureCount;
        var classes = model.Onnx.ClassCount;
        var data = request.Inputs[0].Data!;
        var probabilities = new float[rows * classes];
        var pending = new Task<BatchResult>[rows];
        for (var r = 0; r < rows; r++)
        {
            pending[r] = inference.PredictAsync(model, data.AsMemory(r * features, features), probabilities.AsMemory(r * classes, classes), cancellationToken);
        }

        var results = await Task.WhenAll(pending);
        foreach (var result in results)
        {
            if (result.Status != BatchStatus.Succeeded)
            {
                return (null, KServeError.From(result, state.TotalQueueDepth));
            }
        }

        var all = request.Outputs.Count == 0;
        return (new InferResult(model.Key, request.Id, model.Onnx.Signature.OutputName, rows, classes, probabilities,
            all || request.Outputs.Contains(model.Onnx.Signature.OutputName), all || request.Outputs.Contains(InferResult.ClassOutputName)), null);
    }
}
