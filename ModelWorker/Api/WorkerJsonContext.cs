using System.Text.Json.Serialization;

namespace ModelWorker.Api;

/// <summary>Source-generated serializers for the worker's answers (no reflection on the request path).</summary>
[JsonSerializable(typeof(PredictResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ReadyResponse))]
internal sealed partial class WorkerJsonContext : JsonSerializerContext;
