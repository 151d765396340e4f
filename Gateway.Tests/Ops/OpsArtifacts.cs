namespace Gateway.Tests.Ops;

/// <summary>
/// Where the operations tests keep what a person looks at afterwards (the status page screenshot, Locust's CSV,
/// Prometheus' answers): Gateway.Tests/TestResults/ops/ in the checkout (ignored by git), and the checkout's own
/// files the tests check (the scrape config, the rules, the dashboard, the locustfile).
/// </summary>
public static class OpsArtifacts
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Folder
    {
        get
        {
            var folder = Path.Combine(RepoRoot, "Gateway.Tests", "TestResults", "ops");
            Directory.CreateDirectory(folder);
            return folder;
        }
    }

    public static string RepoFile(string relative) => Path.Combine(RepoRoot, relative);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LbProxy.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no LbProxy.sln above {AppContext.BaseDirectory}");
    }
}
