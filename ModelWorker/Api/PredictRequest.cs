namespace ModelWorker.Api;

/// <summary>A validated /predict body: {"features":[...], "request_id":"optional"}.</summary>
public sealed record PredictRequest(float[] Features, string? RequestId);
