namespace Gateway.Tests.K8s;

/// <summary>The repository's root folder (the one with LbProxy.sln), found upwards from the test output.</summary>
internal static class Repository
{
    public static string Root { get; } = Find();

    public static string K8s => Path.Combine(Root, "k8s");

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LbProxy.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"no LbProxy.sln above {AppContext.BaseDirectory}");
    }
}
