using System.Text.Json;
using Gateway.Tests.Fleet;
using Grpc.Net.Client;
using ModelWorker.KServe.Grpc;

namespace Gateway.Tests.EndToEnd.Grpc;

/// <summary>
/// The embedded default with gRPC (what <c>--h2c-urls</c> starts): the fleet's workers open their gRPC ports and join
/// the gRPC cluster, and a gRPC client on the gateway's h2c listener is balanced over them.
/// </summary>
[Collection(FleetProcesses.Name)]
public sealed class GrpcFleetTests
{
    [Fact]
    public async Task ModelInfer_EmbeddedFleetWithGrpc_AnsweredByEveryWorker()
    {
        await using var host = await GrpcFleetGateway.StartAsync(2);
        await host.Fleet!.InitialReady.WaitAsync(TimeSpan.FromSeconds(60));
        using var channel = GrpcChannel.ForAddress(host.H2cUrls.Single());
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        for (var i = 0; i < 10; i++)
        {
            var response = await client.ModelInferAsync(GrpcFleetGateway.InferRequest(), deadline: DateTime.UtcNow.AddSeconds(30));
            Assert.Equal([1L, 3L], response.Outputs[0].Shape);
        }

        using var admin = new HttpClient { BaseAddress = new Uri(host.AdminUrls[0]) };
        using var status = JsonDocument.Parse(await admin.GetStringAsync("/status"));
        var grpc = status.RootElement.GetProperty("clusters").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "fleet-grpc");
        var requests = grpc.GetProperty("destinations").EnumerateArray().Select(d => d.GetProperty("requests").GetInt64()).ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal(10, requests.Sum());
        Assert.All(requests, r => Assert.True(r > 0, $"requests per worker: {string.Join(", ", requests)}"));
    }
}
