namespace ModelWorker.KServe;

/// <summary>An infer request as both transports read it (JSON body or ModelInferRequest).</summary>
/// <param name="ModelName">The model.</param>
/// <param name="ModelVersion">The version; null or empty = the highest.</param>
/// <param name="Id">Echoed in the answer.</param>
/// <param name="Inputs">The input tensors.</param>
/// <param name="Outputs">The outputs asked for by name; empty = all.</param>
public sealed record InferRequestData(string ModelName, string? ModelVersion, string? Id, IReadOnlyList<InferTensor> Inputs, IReadOnlyList<string> Outputs);
