using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.K8s;

/// <summary>The PrometheusRule's groups pass Prometheus's own `promtool check rules` and `promtool test rules`.</summary>
public sealed class PrometheusRuleTests
{
    [Fact]
    public async Task Promtool_RenderedRules_CheckAndUnitTestsPass()
    {
        using var folder = new TempFolder();
        var rendered = await Overlays.RenderAsync("cpu", folder.Path);
        await Overlays.ExtractAsync(rendered, folder.Path);
        var rules = Path.Combine(folder.Path, "rules.yaml");
        File.Copy(Path.Combine(Repository.K8s, "tests", "rules.test.yaml"), Path.Combine(folder.Path, "rules.test.yaml"));

        var check = await Tool.RunOkAsync("promtool", "check", "rules", rules);
        var test = await Tool.RunInAsync(folder.Path, "promtool", "test", "rules", "rules.test.yaml");

        Assert.Contains("SUCCESS: 11 rules found", check, StringComparison.Ordinal);
        Assert.True(test.ExitCode == 0, $"promtool test rules failed: {test}");
        Assert.Contains("SUCCESS", test.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promtool_AlertThatNeverFires_FailsTheUnitTests()
    {
        // promtool must be able to fail here, or a passing run proves nothing: raise a threshold out of reach.
        using var folder = new TempFolder();
        await Overlays.ExtractAsync(await Overlays.RenderAsync("cpu", folder.Path), folder.Path);
        var rules = Path.Combine(folder.Path, "rules.yaml");
        await File.WriteAllTextAsync(rules, (await File.ReadAllTextAsync(rules)).Replace("ml_avg_queue_size > 50", "ml_avg_queue_size > 5000", StringComparison.Ordinal));
        File.Copy(Path.Combine(Repository.K8s, "tests", "rules.test.yaml"), Path.Combine(folder.Path, "rules.test.yaml"));

        var test = await Tool.RunInAsync(folder.Path, "promtool", "test", "rules", "rules.test.yaml");

        Assert.NotEqual(0, test.ExitCode);
        Assert.Contains("HighQueueDepth", test.Output + test.Error, StringComparison.Ordinal);
    }
}
