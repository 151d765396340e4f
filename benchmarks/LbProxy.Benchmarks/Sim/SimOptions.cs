namespace Benchmarks.Sim;

/// <summary>The `sim` verb's command line: SCENARIO [--seed N] [--policies a,b] [--out DIR].</summary>
public sealed record SimOptions(string ScenarioPath, int? Seed, IReadOnlyList<string>? Policies, string OutDir, bool Plots)
{
    public const string Usage =
        "sim SCENARIO [--seed N] [--policies a,b] [--out DIR] [--no-plots]   discrete-event LB simulation (results/sim/)";

    public static SimOptions? Parse(string[] args, string repoRoot, out string? error)
    {
        error = null;
        string? path = null;
        int? seed = null;
        string[]? policies = null;
        var outDir = Path.Combine(repoRoot, "benchmarks", "results", "sim");
        var plots = true;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seed" when i + 1 < args.Length && int.TryParse(args[i + 1], out var s):
                    seed = s;
                    i++;
                    break;
                case "--policies" when i + 1 < args.Length:
                    policies = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    break;
                case "--out" when i + 1 < args.Length:
                    outDir = args[++i];
                    break;
                case "--no-plots":
                    plots = false;
                    break;
                default:
                    if (args[i].StartsWith('-') || path is not null)
                    {
                        error = $"unexpected argument '{args[i]}'";
                        return null;
                    }

                    path = args[i];
                    break;
            }
        }

        if (path is null)
        {
            error = "name a scenario: a file, or a name in benchmarks/scenarios/ (e.g. linkerd-2016)";
            return null;
        }

        if (!File.Exists(path))
        {
            var named = Path.Combine(repoRoot, "benchmarks", "scenarios", path.EndsWith(".json", StringComparison.Ordinal) ? path : path + ".json");
            if (!File.Exists(named))
            {
                error = $"no scenario '{path}' (looked for {named}); the shipped ones are in benchmarks/scenarios/";
                return null;
            }

            path = named;
        }

        return new SimOptions(path, seed, policies, outDir, plots);
    }
}
