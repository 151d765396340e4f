using System.Diagnostics;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.K8s;

/// <summary>
/// The worker Deployment's environment (MAX_BATCH_SIZE, MAX_WAIT_MS, READY_QUEUE_LIMIT) is what a real ModelWorker
/// process reads: started with exactly the rendered overlay's values, it reports that batching when ready.
/// </summary>
public sealed class WorkerEnvironmentTests
{
    [Theory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    public async Task Worker_OverlayEnvironment_SetsTheBatching(string overlay)
    {
        using var folder = new TempFolder();
        await Overlays.ExtractAsync(await Overlays.RenderAsync(overlay, folder.Path), folder.Path);
        using var signals = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder.Path, "signals.json")));
        var env = signals.RootElement.GetProperty("workerEnv").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        Assert.True(env.ContainsKey("MAX_BATCH_SIZE") && env.ContainsKey("MAX_WAIT_MS"), $"worker env: {string.Join(", ", env.Keys)}");

        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "ModelWorker.dll"), "--urls", "http://127.0.0.1:0", "--intra-op-threads", "1", "--device", "cpu" })
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in env)
        {
            info.Environment[name] = value;
        }

        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var worker = new Process { StartInfo = info };
        worker.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.EndsWith("; ready", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult(e.Data);
            }
        };
        worker.Start();
        try
        {
            worker.BeginOutputReadLine();
            worker.BeginErrorReadLine();
            var line = await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Contains($"batching {env["MAX_BATCH_SIZE"]} / {env["MAX_WAIT_MS"]} ms", line, StringComparison.Ordinal);
        }
        finally
        {
            worker.Kill(entireProcessTree: true);
            await worker.WaitForExitAsync();
        }
    }
}
