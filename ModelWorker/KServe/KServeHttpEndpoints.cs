using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ModelWorker.Api;
using ModelWorker.Models;

namespace ModelWorker.KServe;

/// <summary>
/// The Open Inference Protocol (KServe v2) over HTTP/REST: health, server and model metadata, model readiness and
/// infer with JSON tensors. Errors are the protocol's <c>{"error": "..."}</c> with 400 (bad request), 404 (no such
/// model or version), 503/504 (queue full, draining, timed out) or 500. A model loads on its first request of any kind.
/// </summary>
internal sealed class KServeHttpEndpoints(ModelManager models, KServeInference inference, HealthEndpoints health)
{
    public const string ServerName = "ModelWorker";

    internal static readonly JsonDocumentOptions ReadOptions = new() { MaxDepth = 16 };

    // Messages quote names ('x'); the relaxed encoder writes them as they are instead of \u0027 (the body is JSON, never HTML).
    private static readonly JsonWriterOptions WriteOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string ServerVersion => typeof(KServeHttpEndpoints).Assembly.GetName().Version?.ToString(3) ?? "1.0.0";

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v2/health/live", LiveAsync);
        app.MapGet("/v2/health/ready", ReadyAsync);
        app.MapGet("/v2", ServerMetadataAsync);
        app.MapGet("/v2/models/{name}", (HttpContext c, string name) => ModelMetadataAsync(c, name, null));
        app.MapGet("/v2/models/{name}/versions/{version}", (HttpContext c, string name, string version) => ModelMetadataAsync(c, name, version));
        app.MapGet("/v2/models/{name}/ready", (HttpContext c, string name) => ModelReadyAsync(c, name, null));
        app.MapGet("/v2/models/{name}/versions/{version}/ready", (HttpContext c, string name, string version) => ModelReadyAsync(c, name, version));
        app.MapPost("/v2/models/{name}/infer", (HttpContext c, string name) => InferAsync(c, name, null));
        app.MapPost("/v2/models/{name}/versions/{version}/infer", (HttpContext c, string name, string version) => InferAsync(c, name, version));
    }

    private Task LiveAsync(HttpContext context)
    {
        var reason = health.NotLiveReason();
        return WriteAsync(context, reason is null ? 200 : 503, w =>
        {
            w.WriteBoolean("live", reason is null);
            WriteReason(w, reason);
        });
    }

    private Task ReadyAsync(HttpContext context)
    {
        var reason = health.NotReadyReason(out _);
        return WriteAsync(context, reason is null ? 200 : 503, w =>
        {
            w.WriteBoolean("ready", reason is null);
            WriteReason(w, reason);
        });
    }

    private static Task ServerMetadataAsync(HttpContext context) => WriteAsync(context, 200, w =>
    {
        w.WriteString("name", ServerName);
        w.WriteString("version", ServerVersion);
        w.WriteStartArray("extensions");
        w.WriteEndArray();
    });

    private async Task ModelMetadataAsync(HttpContext context, string name, string? version)
    {
        using var lease = await models.AcquireAsync(name, version, context.RequestAborted);
        if (lease.Model is not { } model)
        {
            await WriteErrorAsync(context, KServeError.From(lease));
            return;
        }

        await WriteAsync(context, 200, w =>
        {
            w.WriteString("name", model.Key.Name);
            w.WriteStartArray("versions");
            foreach (var entry in models.Repository.Versions(model.Key.Name))
            {
                w.WriteStringValue(entry.Key.Version);
            }

            w.WriteEndArray();
            w.WriteString("platform", KServeInference.Platform);
            WriteTensors(w, "inputs", KServeInference.Inputs(model));
            WriteTensors(w, "outputs", KServeInference.Outputs(model));
        });
    }

    // 200 when the model is loaded (a model not loaded yet loads now), else the error: 4xx/5xx = not ready.
    private async Task ModelReadyAsync(HttpContext context, string name, string? version)
    {
        using var lease = await models.AcquireAsync(name, version, context.RequestAborted);
        if (lease.Model is not { } model)
        {
            await WriteErrorAsync(context, KServeError.From(lease));
            return;
        }

        await WriteAsync(context, 200, w =>
        {
            w.WriteString("name", model.Key.Name);
            w.WriteString("version", model.Key.Version);
            w.WriteBoolean("ready", true);
        });
    }

    private async Task InferAsync(HttpContext context, string name, string? version)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(context.Request.Body, ReadOptions, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            await WriteErrorAsync(context, KServeError.BadRequest($"the body is not valid JSON ({ex.Message})"));
            return;
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteErrorAsync(context, new KServeError(413, global::Grpc.Core.StatusCode.ResourceExhausted,
                "the request body is larger than the worker's --max-body-bytes"));
            return;
        }

        using (document)
        {
            var request = KServeJsonReader.Read(document.RootElement, name, version, out var error);
            if (request is null)
            {
                await WriteErrorAsync(context, KServeError.BadRequest(error!));
                return;
            }

            var (result, failure) = await inference.InferAsync(request, context.RequestAborted);
            if (failure is not null)
            {
                await WriteErrorAsync(context, failure);
                return;
            }

            await WriteAsync(context, 200, w => WriteInferResult(w, result!));
        }
    }

    private static void WriteInferResult(Utf8JsonWriter w, InferResult result)
    {
        w.WriteString("model_name", result.Model.Name);
        w.WriteString("model_version", result.Model.Version);
        if (result.Id is not null)
        {
            w.WriteString("id", result.Id);
        }

        w.WriteStartArray("outputs");
        if (result.WithProbabilities)
        {
            WriteTensorHead(w, result.OutputName, KServeInference.DatatypeFp32, [result.Rows, result.Classes]);
            w.WriteStartArray("data");
            foreach (var p in result.Probabilities)
            {
                w.WriteNumberValue(p);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        if (result.WithClass)
        {
            WriteTensorHead(w, InferResult.ClassOutputName, KServeInference.DatatypeInt64, [result.Rows]);
            w.WriteStartArray("data");
            foreach (var c in result.ClassOfEachRow())
            {
                w.WriteNumberValue(c);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteTensors(Utf8JsonWriter w, string property, (string Name, string Datatype, long[] Shape)[] tensors)
    {
        w.WriteStartArray(property);
        foreach (var (name, datatype, shape) in tensors)
        {
            WriteTensorHead(w, name, datatype, shape);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    // Opens the tensor's object; the caller may add data before closing it.
    private static void WriteTensorHead(Utf8JsonWriter w, string name, string datatype, long[] shape)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("datatype", datatype);
        w.WriteStartArray("shape");
        foreach (var d in shape)
        {
            w.WriteNumberValue(d);
        }

        w.WriteEndArray();
    }

    private static void WriteReason(Utf8JsonWriter w, string? reason)
    {
        if (reason is not null)
        {
            w.WriteString("reason", reason);
        }
    }

    private static Task WriteErrorAsync(HttpContext context, KServeError error)
    {
        if (error.HttpStatus == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = "1";
        }

        return WriteAsync(context, error.HttpStatus, w => w.WriteString("error", error.Message));
    }

    private static async Task WriteAsync(HttpContext context, int status, Action<Utf8JsonWriter> body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await using (var writer = new Utf8JsonWriter(context.Response.BodyWriter, WriteOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}
