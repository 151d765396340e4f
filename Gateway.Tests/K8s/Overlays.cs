namespace Gateway.Tests.K8s;

/// <summary>Renders a k8s/ overlay with `kubectl kustomize` and runs the k8s/validate scripts over it.</summary>
internal static class Overlays
{
    public static readonly string[] Names = ["cpu", "gpu", "keda"];

    private static string Validate => Path.Combine(Repository.K8s, "validate");

    /// <summary>Writes the rendered overlay into <paramref name="folder"/> and returns the file's path.</summary>
    public static async Task<string> RenderAsync(string overlay, string folder)
    {
        var yaml = await Tool.RunOkAsync("kubectl", "kustomize", Path.Combine(Repository.K8s, "overlays", overlay));
        var path = Path.Combine(folder, overlay + ".yaml");
        await File.WriteAllTextAsync(path, yaml);
        return path;
    }

    /// <summary>The validator's verdict: exit code and one "ok Kind/name" or "FAIL ..." line per object.</summary>
    public static async Task<Tool.Result> ValidateAsync(string rendered)
    {
        RequireNodeModules();
        return await Tool.RunInAsync(Validate, "node", "validate.mjs", rendered);
    }

    /// <summary>Writes rules.yaml (the PrometheusRule's .spec) and signals.json into <paramref name="folder"/>.</summary>
    public static async Task ExtractAsync(string rendered, string folder)
    {
        RequireNodeModules();
        var result = await Tool.RunInAsync(Validate, "node", "extract.mjs", rendered, folder);
        Assert.True(result.ExitCode == 0, $"extract.mjs failed: {result}");
    }

    private static void RequireNodeModules()
    {
        var models = Path.Combine(Validate, "node_modules", "kubernetes-models");
        Assert.True(Directory.Exists(models),
            $"{models} is missing: run `npm ci --prefix k8s/validate` (`bash .ci/test.sh` does it).");
    }
}
