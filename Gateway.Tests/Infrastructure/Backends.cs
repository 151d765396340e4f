namespace Gateway.Tests.Infrastructure;

/// <summary>A set of named test backends (a, b, c, ...), disposed together.</summary>
public sealed class Backends : IAsyncDisposable
{
    private Backends(TestBackend[] all) => All = all;

    public TestBackend[] All { get; }

    public TestBackend this[string name] => All.Single(b => b.Name == name);

    public static async Task<Backends> StartAsync(int count) =>
        new(await Task.WhenAll(Enumerable.Range(0, count).Select(i => TestBackend.StartAsync(((char)('a' + i)).ToString()))));

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in All)
        {
            await backend.DisposeAsync();
        }
    }
}
