namespace Gateway.Tests.Infrastructure;

/// <summary>A temp folder removed with everything in it when the test ends.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("lbproxy-test-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
