using Gateway.Fleet;
using Gateway.Tests.Infrastructure;
using ModelWorker;

namespace Gateway.Tests.Worker;

/// <summary>A worker on port 0 says where it listens (ModelWorker/ListeningLine), in the line the fleet reads.</summary>
public sealed class WorkerListenerAddressTests
{
    [Fact]
    public async Task Start_PortZeroWithGrpc_WritesTheBoundHttpAndGrpcAddresses()
    {
        using var worker = ModelWorkerProcess.Start(0, "--grpc-urls", "http://127.0.0.1:0");
        var url = await worker.WaitUntilReadyAsync();

        var line = worker.Output.Split('\n').Select(l => l.TrimEnd('\r')).Single(l => l.StartsWith(ListeningLine.Prefix, StringComparison.Ordinal));

        Assert.True(WorkerListening.TryParse(line, out var listening), line);
        Assert.Equal(url.ToString().TrimEnd('/'), listening.Http);
        var grpc = new Uri(listening.Grpc!);
        Assert.Equal("127.0.0.1", grpc.Host);
        Assert.NotEqual(0, grpc.Port);
        Assert.NotEqual(url.Port, grpc.Port);
        Assert.Contains($"KServe v2 gRPC (HTTP/2 cleartext) listening on: {listening.Grpc}", worker.Output, StringComparison.Ordinal);
    }
}
