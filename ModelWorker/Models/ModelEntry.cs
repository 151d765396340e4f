namespace ModelWorker.Models;

/// <summary>One servable model file: what the repository knows before it is loaded.</summary>
/// <param name="Key">Name and version.</param>
/// <param name="Path">The .onnx file.</param>
/// <param name="SizeBytes">The file's size: the memory estimate the limit counts (weights dominate a model's memory).</param>
public sealed record ModelEntry(ModelKey Key, string Path, long SizeBytes);
