using System.Text.Json.Serialization;

namespace ModelWorker.Api;

/// <summary>The /ready answer; <see cref="Reason"/> says why a 503 is not ready.</summary>
public sealed record ReadyResponse(
    [property: JsonPropertyName("ready")] bool Ready,
    [property: JsonPropertyName("queue_size")] int QueueSize,
    [property: JsonPropertyName("reason")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    string? Reason);
