using System.Text.Json.Serialization;

namespace ModelWorker.Api;

/// <summary>The /health answer.</summary>
public sealed record HealthResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("device")] string? Device,
    [property: JsonPropertyName("model")] string? Model);
