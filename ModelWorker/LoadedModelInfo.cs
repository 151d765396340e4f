namespace ModelWorker;

/// <summary>The served model as /health describes it.</summary>
public sealed record LoadedModelInfo(string Name, string Path, string Device, int FeatureCount, int ClassCount, bool OutputIsLogits);
