using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.K8s;

/// <summary>
/// The k8s/ overlays render with the real `kubectl kustomize`, and every rendered object validates offline
/// against the Kubernetes, KEDA and prometheus-operator schemas (npm kubernetes-models, k8s/validate).
/// </summary>
public sealed class ManifestTests
{
    private static readonly string[] s_common =
    [
        "ConfigMap/lbproxy-gateway-config", "Deployment/lbproxy-gateway", "Deployment/lbproxy-worker", "NetworkPolicy/lbproxy-worker",
        "PodDisruptionBudget/lbproxy-gateway", "PrometheusRule/lbproxy", "Role/lbproxy-gateway-discovery", "RoleBinding/lbproxy-gateway-discovery",
        "Service/lbproxy-gateway", "Service/lbproxy-gateway-admin", "Service/lbproxy-worker", "ServiceAccount/lbproxy-gateway",
        "ServiceMonitor/lbproxy-gateway", "ServiceMonitor/lbproxy-worker",
    ];

    [Theory]
    [InlineData("cpu", "HorizontalPodAutoscaler/lbproxy-worker")]
    [InlineData("gpu", "HorizontalPodAutoscaler/lbproxy-worker")]
    [InlineData("keda", "ScaledObject/lbproxy-worker")]
    public async Task Kustomize_Overlay_RendersAndEveryObjectValidates(string overlay, string autoscaler)
    {
        using var folder = new TempFolder();
        var rendered = await Overlays.RenderAsync(overlay, folder.Path);

        var result = await Overlays.ValidateAsync(rendered);

        Assert.True(result.ExitCode == 0, $"schema validation of {overlay} failed: {result}");
        var objects = result.Output.Split('\n').Where(l => l.StartsWith("ok ", StringComparison.Ordinal))
            .Select(l => l[3..].Trim()).Select(WithoutHashSuffix).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(s_common.Append(autoscaler).Order(StringComparer.Ordinal), objects);
    }

    [Fact]
    public async Task Validator_BrokenObject_Fails()
    {
        // The validator must be able to say no, or the test above proves nothing.
        using var folder = new TempFolder();
        var rendered = await Overlays.RenderAsync("cpu", folder.Path);
        var yaml = await File.ReadAllTextAsync(rendered);
        await File.WriteAllTextAsync(rendered, yaml.Replace("maxReplicas: 20", "maxReplicas: twenty", StringComparison.Ordinal));

        var result = await Overlays.ValidateAsync(rendered);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("FAIL HorizontalPodAutoscaler/lbproxy-worker", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kustomize_GpuOverlay_WorkersAskForAGpuOnGpuNodes()
    {
        using var folder = new TempFolder();
        var cpu = await File.ReadAllTextAsync(await Overlays.RenderAsync("cpu", folder.Path));
        var gpu = await File.ReadAllTextAsync(await Overlays.RenderAsync("gpu", folder.Path));

        Assert.DoesNotContain("nvidia.com/gpu", cpu, StringComparison.Ordinal);
        Assert.Equal(2, CountOf(gpu, "nvidia.com/gpu: 1")); // request and limit
        Assert.Contains("nvidia.com/gpu.present: \"true\"", gpu, StringComparison.Ordinal); // node selector
        Assert.Contains("key: nvidia.com/gpu", gpu, StringComparison.Ordinal); // toleration
        Assert.Contains("image: lbproxy/model-worker:latest-gpu", gpu, StringComparison.Ordinal);
        Assert.Contains("- cuda", gpu, StringComparison.Ordinal);
        foreach (var rendered in new[] { cpu, gpu })
        {
            Assert.Contains("name: MAX_BATCH_SIZE", rendered, StringComparison.Ordinal);
            Assert.Contains("name: MAX_WAIT_MS", rendered, StringComparison.Ordinal);
            Assert.Contains("path: /health", rendered, StringComparison.Ordinal);
            Assert.Contains("path: /ready", rendered, StringComparison.Ordinal);
        }
    }

    /// <summary>configMapGenerator appends a content hash to the ConfigMap's name.</summary>
    private static string WithoutHashSuffix(string kindName) =>
        kindName.StartsWith("ConfigMap/lbproxy-gateway-config-", StringComparison.Ordinal) ? "ConfigMap/lbproxy-gateway-config" : kindName;

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;
}
