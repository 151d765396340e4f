namespace ModelWorker.Models;

/// <summary>A model by name and version (a Triton repository's numbered version directory; "1" for <c>--model</c>).</summary>
public readonly record struct ModelKey(string Name, string Version)
{
    public override string ToString() => $"{Name}/{Version}";
}
