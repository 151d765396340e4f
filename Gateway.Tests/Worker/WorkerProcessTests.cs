using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Worker;

/// <summary>Behaviour that is about the process: SIGTERM drain and start-up failures.</summary>
public sealed class WorkerProcessTests
{
    private static readonly float[] Row = [1f, 2f, 3f, 4f];

    [Fact]
    public async Task Sigterm_WithQueuedRequests_FinishesThemAndExitsZero()
    {
        // A long fixed window keeps the requests queued until the signal; the drain must not wait it out.
        using var worker = ModelWorkerProcess.Start(0, "--batching", "fixed-window", "--max-wait-ms", "20000", "--max-batch-size", "64");
        using var client = new HttpClient { BaseAddress = await worker.WaitUntilReadyAsync(), Timeout = TimeSpan.FromSeconds(30) };
        var requests = Enumerable.Range(0, 3).Select(_ => client.PostAsJsonAsync("/predict", new { features = Row })).ToArray();
        await WaitForQueueAsync(client, 3);

        worker.Terminate();

        var responses = await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(15));
        foreach (var response in responses)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(3, json.RootElement.GetProperty("batch_size").GetInt32());
            response.Dispose();
        }

        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.Contains("draining", worker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_DeviceCudaWithoutCuda_ExitsOneWithAClearMessage()
    {
        using var worker = ModelWorkerProcess.Start(0, "--device", "cuda");

        var exitCode = await worker.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, exitCode);
        Assert.Contains("CUDA execution provider is not available", worker.Output, StringComparison.Ordinal);
        Assert.Contains("-p:OnnxRuntimeFlavor=Gpu", worker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_InvalidOptions_ExitsTwoListingEachProblem()
    {
        using var worker = ModelWorkerProcess.Start(0, "--max-batch-size", "0", "--device", "tpu");

        var exitCode = await worker.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        Assert.Contains("--max-batch-size must be an integer from 1", worker.Output, StringComparison.Ordinal);
        Assert.Contains("--device must be auto, cpu or cuda", worker.Output, StringComparison.Ordinal);
    }

    // Polls /ready (a real probe, as the gateway does) until the requests are queued; bounded by a deadline.
    private static async Task WaitForQueueAsync(HttpClient client, int depth)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            using var json = JsonDocument.Parse(await client.GetStringAsync("/ready"));
            if (json.RootElement.GetProperty("queue_size").GetInt32() >= depth)
            {
                return;
            }

            await Task.Delay(10);
        }

        throw new TimeoutException($"queue never reached {depth}");
    }
}
