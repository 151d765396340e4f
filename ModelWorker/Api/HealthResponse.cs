using System.Text.Json.Serialization;

namespace ModelWorker.Api;

/// <summary>The /health answer; <see cref="Reason"/> says why a 503 is not live.</summary>
public sealed record HealthResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("device")] string? Device,
    [property: JsonPropertyName("model")] string? Model,
    [property: JsonPropertyName("reason")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    string? Reason = null);
