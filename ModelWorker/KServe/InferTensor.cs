namespace ModelWorker.KServe;

/// <summary>One input tensor of an infer request as either transport carried it; <see cref="Data"/> is set for FP32 only.</summary>
/// <param name="Name">The input's name, which must be the model's.</param>
/// <param name="Datatype">The protocol's type name (FP32, INT64, ...).</param>
/// <param name="Shape">Dimensions, batch first.</param>
/// <param name="Data">The values, row-major, when the datatype is FP32 and the data could be read.</param>
public sealed record InferTensor(string Name, string Datatype, long[] Shape, float[]? Data);
