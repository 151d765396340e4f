using System.Text.Json.Serialization;

namespace ModelWorker.Api;

/// <summary>The /predict answer, field names as the seeds' FastAPI service returns them.</summary>
public sealed record PredictResponse(
    [property: JsonPropertyName("prediction")] int Prediction,
    [property: JsonPropertyName("confidence")] float Confidence,
    [property: JsonPropertyName("probabilities")] ReadOnlyMemory<float> Probabilities,
    [property: JsonPropertyName("latency_ms")] double LatencyMs,
    [property: JsonPropertyName("batch_size")] int BatchSize,
    [property: JsonPropertyName("request_id")] string? RequestId);
